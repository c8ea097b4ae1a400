#!/usr/bin/env python3
"""Generate the country gazetteer: every ISO 3166-1 alpha-2 code, named as CLDR names it.

Usage (from the repository root):

    pip install babel pycountry
    python3 scripts/gen_countries.py          # writes the two files below
    python3 scripts/gen_countries.py --check  # exits 1 if they are not up to date

Design: one embedded file per country, built from two inputs kept apart.
- Generated part: the 249 codes of ISO 3166-1 alpha-2 (from `pycountry`, which ships the
  Debian iso-codes tables), each with its Arabic name from CLDR (`babel.Locale("ar").territories`)
  and its English name from CLDR (`babel.Locale("en").territories`). A CLDR name with a
  parenthesis ("هونغ كونغ الصينية (منطقة إدارية خاصة)") also gets its plain form as an alias.
  CLDR's other two-letter territory codes that are not ISO 3166-1 (EU, UN, XK, EZ, QO, AC, …)
  are left out, and listed on the console.
- Wikidata ids: from Natural Earth 1:50m admin-0 countries 5.0.0
  (`/work/shared/data/countries-natural-earth.tsv`, public domain; its `iso_a2`, or `iso_a2_eh`
  where `iso_a2` is -99, e.g. France and Norway). A code with several Natural Earth rows (Australia
  and two of its dependencies) takes the row whose English name is the country's; a code Natural
  Earth does not cover gets no id unless the curated file gives one. A curated id wins, but where
  it disagrees with Natural Earth the script stops: one of them is wrong.
- Curated part: `gazetteers/curated/countries.toml`, written by hand: the variant spellings and
  official long forms of the Arabic press, demonym stems and broken plurals, Wikidata ids,
  English-name overrides. It lives in a sub-folder, which build.rs does not embed, so no id is
  defined twice.
The script merges both into `gazetteers/countries.generated.toml` (the only embedded country file;
do not edit it by hand: edit the curated file and rerun), and writes
`tests/data/countries_cldr.tsv` (code, Arabic CLDR name, English CLDR name), which
tests/coverage.rs reads to check that every country is found under its CLDR name.

A code that CLDR does not name is not skipped silently: the script stops, unless the curated file
gives a `name_ar` for it, and then says so in the console and in the entity's attributes.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import sys
import tomllib
from pathlib import Path

import babel
import pycountry
from babel import Locale

from gazetteer_text import fold, quote

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "gazetteers" / "curated" / "countries.toml"
OUTPUT = ROOT / "gazetteers" / "countries.generated.toml"
TSV = ROOT / "tests" / "data" / "countries_cldr.tsv"
# Natural Earth admin-0 countries (public domain): the Wikidata ids. Kept outside the repository,
# in the shared data folder beside it (../shared/data, as .ci/run finds ../shared/tools); override
# with ALAM_NATURAL_EARTH_COUNTRIES. Without the file, writing stops (a gazetteer must not silently
# lose its ids); --check falls back to the ids already in the generated file, and says so.
NATURAL_EARTH = Path(os.environ.get("ALAM_NATURAL_EARTH_COUNTRIES",
                                    ROOT.parent / "shared" / "data" / "countries-natural-earth.tsv"))

CURATED_KEYS = {"code", "aliases", "demonym_stems", "demonym_plurals", "variants", "wikidata",
                "name_en", "name_ar", "attributes"}
QID = re.compile(r"^Q[1-9][0-9]*$")


def plain_form(name: str) -> str | None:
    """The name without its parenthesized part, if it has one."""
    if "(" not in name:
        return None
    plain = re.sub(r"\s*\([^)]*\)\s*", " ", name).strip()
    return plain or None


def load_curated() -> dict[str, dict]:
    data = tomllib.loads(CURATED.read_text(encoding="utf-8"))
    unknown_top = set(data) - {"country"}
    if unknown_top:
        sys.exit(f"{CURATED}: unknown top-level keys {sorted(unknown_top)}")
    curated: dict[str, dict] = {}
    for entry in data.get("country", []):
        unknown = set(entry) - CURATED_KEYS
        if unknown:
            sys.exit(f"{CURATED}: {entry.get('code')}: unknown keys {sorted(unknown)}")
        code = entry["code"]
        if code in curated:
            sys.exit(f"{CURATED}: {code} listed twice")
        curated[code] = entry
    return curated


def load_natural_earth(en: dict[str, str], check: bool, notes: list[str]) -> dict[str, str]:
    """ISO alpha-2 code -> Wikidata id, from Natural Earth's admin-0 table."""
    if not NATURAL_EARTH.exists():
        if not check:
            sys.exit(f"{NATURAL_EARTH}: not found (Natural Earth countries with Wikidata ids); "
                     "set ALAM_NATURAL_EARTH_COUNTRIES")
        notes.append(f"NOTE: {NATURAL_EARTH} not here: checking against the Wikidata ids "
                     f"already in {OUTPUT.relative_to(ROOT)}")
        if not OUTPUT.exists():
            return {}
        generated = tomllib.loads(OUTPUT.read_text(encoding="utf-8"))
        return {e["id"].split(":", 1)[1]: e["wikidata"]
                for e in generated.get("entity", []) if "wikidata" in e}
    rows: dict[str, list[dict[str, str]]] = {}
    with NATURAL_EARTH.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            code = row["iso_a2"] if row["iso_a2"] != "-99" else row["iso_a2_eh"]
            if code == "-99":
                continue  # Somaliland, Northern Cyprus, Siachen: no ISO code
            rows.setdefault(code, []).append(row)
    ids: dict[str, str] = {}
    for code, found in rows.items():
        if len(found) > 1:
            names = {en.get(code, "")}
            country = pycountry.countries.get(alpha_2=code)
            if country:
                names |= {country.name, getattr(country, "common_name", "")}
            found = [r for r in found if r["name_en"] in names]
            if len(found) != 1:
                sys.exit(f"{NATURAL_EARTH}: {code} has several rows and none (or more than one) "
                         "is named as the country")
        qid = found[0]["wikidata"].strip()
        if not QID.match(qid):
            sys.exit(f"{NATURAL_EARTH}: {code}: bad Wikidata id {qid!r}")
        ids[code] = qid
    return ids


def build(check: bool = False) -> tuple[str, str, list[str]]:
    notes: list[str] = []
    iso = sorted(c.alpha_2 for c in pycountry.countries)
    if len(iso) != 249:
        notes.append(f"NOTE: pycountry lists {len(iso)} alpha-2 codes, not 249")
    ar = Locale("ar").territories
    en = Locale("en").territories
    cldr_two = {k for k in ar if len(k) == 2 and k.isalpha()}
    extra = sorted(cldr_two - set(iso))
    notes.append(
        "CLDR two-letter territories that are not ISO 3166-1, left out: "
        + ", ".join(f"{k} ({ar[k]})" for k in extra)
    )
    curated = load_curated()
    stray = sorted(set(curated) - set(iso))
    if stray:
        sys.exit(f"{CURATED}: codes not in ISO 3166-1: {stray}")
    natural_earth = load_natural_earth(en, check, notes)
    ne_extra = sorted(set(natural_earth) - set(iso))
    if ne_extra:
        notes.append("Natural Earth codes that are not ISO 3166-1, left out: " + ", ".join(ne_extra))
    for code, entry in sorted(curated.items()):
        qid = entry.get("wikidata")
        if qid is not None and not QID.match(qid):
            sys.exit(f"{CURATED}: {code}: bad Wikidata id {qid!r}")
        if qid and code in natural_earth and natural_earth[code] != qid:
            sys.exit(f"{CURATED}: {code}: Wikidata {qid} disagrees with Natural Earth's "
                     f"{natural_earth[code]}: check both")
    without_id = [c for c in iso if "wikidata" not in curated.get(c, {}) and c not in natural_earth]
    notes.append(f"no Wikidata id (neither Natural Earth nor the curated file): {len(without_id)}: "
                 + ", ".join(without_id))

    entities: list[str] = []
    rows: list[str] = []
    for code in iso:
        cur = curated.get(code, {})
        attributes = dict(cur.get("attributes", {}))
        name_ar = ar.get(code)
        if not name_ar or name_ar == code:
            if "name_ar" not in cur:
                sys.exit(f"CLDR (babel {babel.__version__}) has no Arabic name for {code}: "
                         f"give one as name_ar in {CURATED}")
            name_ar = cur["name_ar"]
            attributes["name_ar_source"] = "curated (missing from CLDR)"
            notes.append(f"MISSING from CLDR: {code}, named from the curated file: {name_ar}")
        elif "name_ar" in cur:
            sys.exit(f"{CURATED}: {code} has name_ar, but CLDR names it ({name_ar}): "
                     "put the spelling in aliases")
        name_en = cur.get("name_en") or en.get(code)
        if not name_en or name_en == code:
            name_en = pycountry.countries.get(alpha_2=code).name
            notes.append(f"no English CLDR name for {code}: pycountry's {name_en}")

        aliases: list[str] = []
        seen = {fold(name_ar)}
        candidates = []
        plain = plain_form(name_ar)
        if plain:
            candidates.append(plain)
            notes.append(f"parenthesis: {code} {name_ar} -> alias {plain}")
        candidates.extend(cur.get("aliases", []))
        for alias in candidates:
            if fold(alias) in seen:
                notes.append(f"duplicate spelling dropped: {code} {alias}")
                continue
            seen.add(fold(alias))
            aliases.append(alias)

        lines = [
            "[[entity]]",
            f'id = "country:{code}"',
            f"name_ar = {quote(name_ar)}",
            f"name_en = {quote(name_en)}",
        ]
        if aliases:
            lines.append("aliases = [" + ", ".join(quote(a) for a in aliases) + "]")
        stems = cur.get("demonym_stems", [])
        if stems:
            lines.append("demonym_stems = [" + ", ".join(quote(s) for s in stems) + "]")
        plurals = cur.get("demonym_plurals", [])
        if plurals:
            lines.append("demonym_plurals = [" + ", ".join(quote(s) for s in plurals) + "]")
        qid = cur.get("wikidata") or natural_earth.get(code)
        if qid:
            lines.append(f"wikidata = {quote(qid)}")
        if "variants" in cur:
            if not isinstance(cur["variants"], bool):
                sys.exit(f"{CURATED}: {code}: variants must be true or false")
            lines.append(f"variants = {'true' if cur['variants'] else 'false'}")
        if attributes:
            pairs = ", ".join(f"{k} = {quote(v)}" for k, v in sorted(attributes.items()))
            lines.append(f"attributes = {{ {pairs} }}")
        entities.append("\n".join(lines))
        rows.append(f"{code}\t{name_ar}\t{name_en}")

    header = (
        f"# GENERATED by scripts/gen_countries.py: do not edit. Edit gazetteers/curated/countries.toml\n"
        f"# and rerun the script.\n"
        f"source = {quote(f'Generated: ISO 3166-1 alpha-2 codes from pycountry {pycountry.__version__}; Arabic and English names from Unicode CLDR via babel {babel.__version__} (Locale ar/en territories; Unicode License), plain form of parenthesized names as aliases; Wikidata ids from Natural Earth 1:50m admin-0 countries 5.0.0 (public domain), matched on iso_a2 or iso_a2_eh; merged with gazetteers/curated/countries.toml (hand-curated Arabic press spellings and official long forms, demonym stems and broken plurals, checked against Arabic news; a curated Wikidata id must agree with Natural Earth).')}\n"
    )
    toml_text = header + "\n" + "\n\n".join(entities) + "\n"
    tsv_text = (
        f"# code\tArabic CLDR name\tEnglish CLDR name -- generated by scripts/gen_countries.py "
        f"(babel {babel.__version__}, pycountry {pycountry.__version__}); do not edit\n"
        + "\n".join(rows) + "\n"
    )
    return toml_text, tsv_text, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are stale")
    args = parser.parse_args()
    toml_text, tsv_text, notes = build(args.check)
    for note in notes:
        print(note, file=sys.stderr)
    if args.check:
        stale = [p for p, t in ((OUTPUT, toml_text), (TSV, tsv_text))
                 if not p.exists() or p.read_text(encoding="utf-8") != t]
        if stale:
            sys.exit("stale: " + ", ".join(str(p.relative_to(ROOT)) for p in stale))
        print("up to date")
        return
    TSV.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(toml_text, encoding="utf-8")
    TSV.write_text(tsv_text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)} and {TSV.relative_to(ROOT)}: {tsv_text.count(chr(10)) - 1} countries")


if __name__ == "__main__":
    main()
