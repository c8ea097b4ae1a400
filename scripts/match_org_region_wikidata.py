#!/usr/bin/env python3
"""Propose Wikidata ids for the organizations of gazetteers/organizations.toml and the regions of
gazetteers/regions.toml from open datasets that carry QIDs, and print the evidence for each.

Sources (each read from a git snapshot, as the session tooling fetches them: a bare git directory
DIR/<owner>+<name>/repo; a source whose snapshot is absent is skipped with a warning):

  EveryPolitician (everypolitician/everypolitician-data; the repository states no licence of its
      own: the values used are Wikidata identifiers, and Wikidata is CC0, as for the
      every-politician-scrapers tables that scripts/match_wikidata_ids.py reads). The repository
      is too large to fetch whole (2.5 GB), so the legislatures read are
      transcribed below (EP_LEGISLATURES) from `data/<Country>/<Legislature>/meta.json` (name, type,
      wikidata) at the commits named there (mostly f837a1523192, the commit that added the QIDs;
      the US House at 894ec75167a1, Egypt at 0bcc7efcddee); `sole` says the country's directory
      holds no other legislature. Not read: France (its stored meta.json has no QID and a French
      name), Bahrain (a different chamber from ours), Palestine and Qatar (no directory).
  name-suggestion-index (osmlab/name-suggestion-index, BSD-3-Clause): `data/operators/**/*.json`,
      items with `operator:wikidata` (the operating body of mapped features) and a locationSet.
  wiki-media-cred (hearvox/wiki-media-cred, CC0): `data/wikipedia-us-newspapers.tsv`
      (Wikipedia's lists of US newspapers by state, with QIDs).
  Party Facts (hdigital/partyfactsdata, `import/wikipedia/wikidata.csv`: party QIDs from Wikidata,
      CC0; repository MIT), through read_partyfacts/propose_parties of scripts/match_wikidata_ids.py.
  country-coder (rapideditor/country-coder, ISC): `src/data/borders.json`: UN M49 regions and
      sub-regions, countries and territories with `nameEn` and `wikidata`.
  countries-states-cities-database (dr5hn/countries-states-cities-database, ODbL 1.0, contents
      DbCL 1.0): `csv/regions.csv`, `csv/subregions.csv` (name, wikiDataId).
  OpenGeographyRegions (dieterdreist/OpenGeographyRegions, CC0; polygons from Natural Earth 10m
      geography regions with Wikidata links): `geojson/*.geojson` (name, featureclass, wikidata).

Snapshots used for the ids written: name-suggestion-index@c8b272ef0f88, wiki-media-cred@e61118c66e05,
partyfactsdata@764de8978f84, country-coder@c30d4314809c, countries-states-cities-database@7fda0afd3e75,
OpenGeographyRegions@aa9df636ece2 (the printed rows name the commit read).

Matching rules (names are compared after fold(): case, accents, apostrophes, hyphens, dots folded):

  organizations
    legislature-name: the entity's kind is legislature; an EP legislature of the entity's country
        has the entity's English name once the country qualifier is removed ("X of Kuwait",
        "X (Jordan)", "United States X").
    legislature-sole: the entity's kind is legislature; EP holds a single legislature for the
        country, of type "unicameral legislature"; and the entity is our only legislature of that
        country. Then the two are the country's one parliament though the names differ (EP gives
        "Majles", "Shura Council", "People's Council").
    nsi-operator: the entity has a country; an operator item of the name-suggestion-index whose
        locationSet is that country alone bears the entity's English name (without a parenthesized
        part), or an abbreviation in its parentheses, as displayName, operator, operator:en or name.
    us-newspaper: the entity is a newspaper of country US whose English name is a title of the list.
    partyfacts: as in match_wikidata_ids.py (English name or abbreviation, and country).
  regions
    the entity's English name equals a row's name in a class that fits the entity's kind
    (continent: a continent or an M49 region/sub-region; sub-region: an M49 region or sub-region;
    territory: a country-coder feature that belongs to a country); rows of other classes with the
    same name (a peninsula, an isthmus, a plain) count only towards agreement.
  always: every row of every source that bears the name must give the same QID (one candidate);
    the QID is on no other entity of any gazetteer and proposed for no other entity; the entity
    has no id yet.

Usage:
  python3 scripts/match_org_region_wikidata.py [--mirrors /work/.mirror] [--rules R1,R2]
                                               [--rejected] [--apply]

It prints one tab-separated row per proposal: entity id, QID, rule, source@commit, the source's
name and class, our English name and kind. --rejected adds the candidates it turned down and why.
--apply writes the ids (key `wikidata`, above `attributes`) into the two gazetteer files. This is a
review aid, not part of the build; every proposal was also checked by eye before it was written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from match_wikidata_ids import (  # noqa: E402
    apply, fold, load_entities, propose_parties, read_partyfacts,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = [os.path.join(ROOT, "gazetteers", f) for f in ("organizations.toml", "regions.toml")]

EP = "everypolitician/everypolitician-data"
F837 = "f837a15231929347d0fe5909d9d47e34a814772d"
# (country, directory under data/, meta.json name, meta.json type, meta.json wikidata, commit, sole)
EP_LEGISLATURES = [
    ("US", "United_States_of_America/House", "House of Representatives", "lower house", "Q11701",
     "894ec75167a1084ae829a215b0c379b35c07ef45", False),
    ("US", "United_States_of_America/Senate", "Senate", "upper house", "Q66096", F837, False),
    ("GB", "UK/Commons", "House of Commons", "lower house", "Q11005", F837, True),
    ("DE", "Germany/Bundestag", "Bundestag", "unicameral legislature", "Q154797", F837, True),
    ("CN", "China/Congress", "National People’s Congress", "unicameral legislature", "Q19211",
     F837, True),
    ("IL", "Israel/Knesset", "Knesset", "unicameral legislature", "Q133396", F837, True),
    ("RU", "Russia/Duma", "Duma", "lower house", "Q715641", F837, True),
    ("IR", "Iran/Assembly", "Majles", "unicameral legislature", "Q378605", F837, True),
    ("SA", "Saudi_Arabia/Shura", "Shura Council", "unicameral legislature", "Q818708", F837, True),
    ("OM", "Oman/Majlis", "Majlis al-Shura", "lower house", "Q818704", F837, True),
    ("AE", "United_Arab_Emirates/Federal_National_Council", "Federal National Council",
     "unicameral legislature", "Q1479761", F837, True),
    ("KW", "Kuwait/National_Assembly", "National Assembly", "unicameral legislature", "Q1139228",
     F837, True),
    ("DZ", "Algeria/Majlis", "People's National Assembly", "lower house", "Q633590", F837, True),
    ("EG", "Egypt/Parliament", "Parliament", "unicameral legislature", "Q2584535",
     "0bcc7efcddee20f6359db6859d78b52ae9023df1", True),
    ("IQ", "Iraq/Majlis", "Council of Representatives", "unicameral legislature", "Q1973075",
     F837, True),
    ("LB", "Lebanon/Parliament", "Parliament", "unicameral legislature", "Q1422275", F837, True),
    ("JO", "Jordan/House_of_Representatives", "House of Representatives", "lower house",
     "Q320304", F837, True),
    ("MA", "Morocco/House", "House of Representatives", "lower house", "Q1572773", F837, True),
    ("LY", "Libya/House_of_Representatives", "House of Representatives", "unicameral legislature",
     "Q17443556", F837, True),
    ("TN", "Tunisia/Majlis", "Assembly of the Representatives of the People",
     "unicameral legislature", "Q18342090", F837, True),
    ("SY", "Syria/Majlis", "People’s Council", "unicameral legislature", "Q1372196", F837, True),
    ("TR", "Turkey/Assembly", "Grand National Assembly", "unicameral legislature", "Q274918",
     F837, True),
]

# English names of the countries that qualify our legislatures' names ("X of Russia", "United
# States X"), besides the name in countries.generated.toml.
COUNTRY_NAMES = {"TR": ["Turkey"], "GB": ["the United Kingdom"], "AE": ["UAE"]}

# Which source classes give a proposal for which of our region kinds.
KIND_CLASSES = {
    "continent": {"cc:region", "cc:subregion", "cc:intermediateRegion", "csc:region",
                  "csc:subregion", "ogr:continent"},
    "sub-region": {"cc:region", "cc:subregion", "cc:intermediateRegion", "csc:region",
                   "csc:subregion"},
    "territory": {"cc:territory", "cc:subterritory"},
}


def git(repo: str, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", repo, *args], check=True, capture_output=True,
                          text=True).stdout


def snapshot(mirrors: str, name: str) -> tuple[str, str] | None:
    repo = os.path.join(mirrors, name.replace("/", "+"), "repo")
    if not os.path.isdir(repo):
        print(f"# skipped {name}: no snapshot at {repo}", file=sys.stderr)
        return None
    return repo, f"{name}@{git(repo, 'rev-parse', 'HEAD').strip()[:12]}"


def attrs(e: dict) -> dict:
    return e.get("attributes", {})


def base_and_abbrs(name: str) -> tuple[str, set[str]]:
    base = re.sub(r"\s*\([^)]*\)", "", name).strip()
    abbrs = {a.strip() for p in re.findall(r"\(([^)]*)\)", name) for a in p.split(",")}
    return base, {a for a in abbrs if a}


# ---------------------------------------------------------------- organizations


def legislature_names(e: dict, country_names: dict[str, list[str]]) -> set[str]:
    """Our English name without its parenthesized part and without the country qualifier."""
    base, _ = base_and_abbrs(e["name_en"])
    out = {fold(base)}
    for c in country_names.get(attrs(e).get("country", ""), []):
        for pat in (rf"\s+of\s+(the\s+)?{re.escape(c)}$", rf"^{re.escape(c)}\s+"):
            stripped = re.sub(pat, "", base, flags=re.I)
            if stripped != base:
                out.add(fold(stripped))
    return out


def candidates_ep(ents: list[dict], country_names, rejected: list[tuple]) -> list[tuple]:
    out = []
    ours = defaultdict(list)
    for e in ents:
        if e["id"].startswith("organization:") and attrs(e).get("kind") == "legislature":
            ours[attrs(e).get("country", "")].append(e)
    for country, d, name, typ, qid, commit, sole in EP_LEGISLATURES:
        src = f"{EP}@{commit[:12]}:data/{d}/meta.json"
        for e in ours.get(country, []):
            if fold(name) in legislature_names(e, country_names):
                out.append((e, qid, "legislature-name", src, f"{name} ({typ})"))
            elif sole and typ == "unicameral legislature" and len(ours[country]) == 1:
                out.append((e, qid, "legislature-sole", src, f"{name} ({typ})"))
            else:
                rejected.append((e["id"], qid, "legislature: neither name rule nor sole rule",
                                 src, f"{name} ({typ})"))
    return out


def candidates_nsi(ents: list[dict], snap) -> list[tuple]:
    repo, src = snap
    out = []
    want = defaultdict(list)
    for e in ents:
        c = attrs(e).get("country")
        if e["id"].startswith("organization:") and c:
            base, abbrs = base_and_abbrs(e["name_en"])
            for k in {fold(base), *(fold(a) for a in abbrs)}:
                want[(k, c.lower())].append(e)
    names = git(repo, "ls-tree", "-r", "--name-only", "HEAD", "data/operators").split("\n")
    for path in (p for p in names if p.endswith(".json")):
        for it in json.loads(git(repo, "show", f"HEAD:{path}")).get("items", []):
            tags = it.get("tags", {})
            qid = tags.get("operator:wikidata", "")
            loc = it.get("locationSet", {}).get("include", [])
            if not qid.startswith("Q") or len(loc) != 1 or not isinstance(loc[0], str):
                continue
            labels = {it.get("displayName", ""), tags.get("operator", ""),
                      tags.get("operator:en", ""), tags.get("name", "")}
            for label in filter(None, labels):
                for e in want.get((fold(label), loc[0].lower()), []):
                    cls = path[len("data/operators/"):-len(".json")]
                    out.append((e, qid, "nsi-operator", f"{src}:{path}",
                                f"{it.get('displayName')} (operator of {cls}, {loc[0]})"))
    return out


def candidates_newspapers(ents: list[dict], snap) -> list[tuple]:
    repo, src = snap
    path = "data/wikipedia-us-newspapers.tsv"
    rows = list(csv.DictReader(io.StringIO(git(repo, "show", f"HEAD:{path}")), delimiter="\t"))
    out = []
    for e in ents:
        if attrs(e).get("kind") != "newspaper" or attrs(e).get("country") != "US":
            continue
        for r in rows:
            if r["qid"].startswith("Q") and fold(r["WP-title"]) == fold(e["name_en"]):
                out.append((e, r["qid"], "us-newspaper", f"{src}:{path}",
                            f"{r['WP-title']} ({r['state']})"))
    return out


def candidates_partyfacts(ents: list[dict], repo: str) -> list[tuple]:
    proposals, _ = propose_parties(ents, read_partyfacts(repo))
    return [(e, qid, "partyfacts", rs[0]["source"] + ":import/wikipedia/wikidata.csv",
             f"{rs[0]['name']} (party, {rs[0]['country']})") for e, qid, _, rs in proposals]


# ---------------------------------------------------------------- regions


def region_rows(mirrors: str) -> list[dict]:
    """Rows {name, qid, cls, source} from the region sources."""
    rows = []
    snap = snapshot(mirrors, "rapideditor/country-coder")
    if snap:
        repo, src = snap
        path = "src/data/borders.json"
        for f in json.loads(git(repo, "show", f"HEAD:{path}"))["features"]:
            p = f["properties"]
            level = p.get("level") or ("territory" if p.get("country") else "country")
            if p.get("wikidata") and p.get("nameEn"):
                rows.append({"name": p["nameEn"], "qid": p["wikidata"], "cls": f"cc:{level}",
                             "source": f"{src}:{path}"})
    snap = snapshot(mirrors, "dr5hn/countries-states-cities-database")
    if snap:
        repo, src = snap
        for cls, path in (("region", "csv/regions.csv"), ("subregion", "csv/subregions.csv")):
            for r in csv.DictReader(io.StringIO(git(repo, "show", f"HEAD:{path}"))):
                if r.get("wikiDataId", "").startswith("Q"):
                    rows.append({"name": r["name"], "qid": r["wikiDataId"], "cls": f"csc:{cls}",
                                 "source": f"{src}:{path}"})
    snap = snapshot(mirrors, "dieterdreist/OpenGeographyRegions")
    if snap:
        repo, src = snap
        for path in git(repo, "ls-tree", "-r", "--name-only", "HEAD", "geojson").split("\n"):
            if not path.endswith(".geojson"):
                continue
            for f in json.loads(git(repo, "show", f"HEAD:{path}"))["features"]:
                p = f["properties"]
                if (p.get("wikidata") or "").startswith("Q") and p.get("name"):
                    rows.append({"name": p["name"], "qid": p["wikidata"],
                                 "cls": f"ogr:{p.get('featureclass')}", "source": f"{src}:{path}"})
    return rows


def candidates_regions(ents: list[dict], rows: list[dict]) -> tuple[list[tuple], list[tuple]]:
    by_name = defaultdict(list)
    for r in rows:
        by_name[fold(r["name"])].append(r)
    out, rejected = [], []
    for e in ents:
        if not e["id"].startswith("region:") or e.get("wikidata"):
            continue
        same = by_name.get(fold(e["name_en"]), [])
        fit = [r for r in same if r["cls"] in KIND_CLASSES.get(attrs(e).get("kind"), set())]
        if not fit:
            for r in same:
                rejected.append((e["id"], r["qid"], f"class {r['cls']} does not fit kind "
                                 f"{attrs(e).get('kind')}", r["source"], r["name"]))
            continue
        qids = {r["qid"] for r in same}
        if len(qids) > 1:
            rejected.append((e["id"], ",".join(sorted(qids)), "sources disagree",
                             "; ".join(sorted({r["source"] for r in same})), e["name_en"]))
            continue
        for r in same:
            out.append((e, r["qid"], "region-name", r["source"], f"{r['name']} ({r['cls']})"))
    return out, rejected


# ---------------------------------------------------------------- main


def decide(ents: list[dict], cands: list[tuple]):
    used = {e["wikidata"]: e["id"] for e in ents if e.get("wikidata")}
    per_entity = defaultdict(list)
    for c in cands:
        if not c[0].get("wikidata"):
            per_entity[c[0]["id"]].append(c)
    proposals, rejected = [], []
    for eid, cs in per_entity.items():
        qids = {c[1] for c in cs}
        if len(qids) > 1:
            rejected.append((eid, ",".join(sorted(qids)), "sources disagree", "", ""))
            continue
        qid = qids.pop()
        if qid in used:
            rejected.append((eid, qid, f"id already on {used[qid]}", cs[0][3], cs[0][4]))
            continue
        proposals.append((cs[0][0], qid, cs))
    by_qid = defaultdict(list)
    for p in proposals:
        by_qid[p[1]].append(p)
    final = []
    for qid, ps in by_qid.items():
        if len(ps) > 1:
            rejected += [(p[0]["id"], qid, "QID proposed for several entities", "", "") for p in ps]
        else:
            final += ps
    return final, rejected


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mirrors", default="/work/.mirror",
                    help="directory of git snapshots, laid out as <owner>+<name>/repo")
    ap.add_argument("--rules", help="comma-separated rules to keep (default: all), e.g. "
                    "legislature-name,legislature-sole")
    ap.add_argument("--rejected", action="store_true", help="also print the rejected candidates")
    ap.add_argument("--apply", action="store_true", help="write the proposed ids")
    args = ap.parse_args()

    ents = load_entities()
    with open(os.path.join(ROOT, "gazetteers", "countries.generated.toml"), "rb") as f:
        country_names = defaultdict(list)
        for e in tomllib.load(f)["entity"]:
            country_names[e["id"].split(":", 1)[1]].append(e["name_en"])
    for code, names in COUNTRY_NAMES.items():
        country_names[code] += names

    ours = [e for e in ents if e["_file"] in FILES]
    rejected: list[tuple] = []
    cands = candidates_ep(ours, country_names, rejected)
    snap = snapshot(args.mirrors, "osmlab/name-suggestion-index")
    if snap:
        cands += candidates_nsi(ours, snap)
    snap = snapshot(args.mirrors, "hearvox/wiki-media-cred")
    if snap:
        cands += candidates_newspapers(ours, snap)
    snap = snapshot(args.mirrors, "hdigital/partyfactsdata")
    if snap:
        cands += candidates_partyfacts(ours, snap[0])
    more, less = candidates_regions(ours, region_rows(args.mirrors))
    cands += more
    rejected += less

    proposals, less = decide(ents, cands)
    if args.rules:
        keep = set(args.rules.split(","))
        proposals = [p for p in proposals if {c[2] for c in p[2]} & keep]
    rejected += less
    w = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    for e, qid, cs in sorted(proposals, key=lambda p: p[0]["id"]):
        for _, _, rule, src, theirs in cs:
            w.writerow([e["id"], qid, rule, src, theirs,
                        f"{e['name_en']} ({attrs(e).get('kind', '')}, {attrs(e).get('country', '')})"])
    if args.rejected:
        for r in rejected:
            w.writerow(["REJECTED", *r])
    print(f"# {len(proposals)} proposals, {len(rejected)} rejected candidates", file=sys.stderr)
    if args.apply:
        apply([(e, qid, None, None) for e, qid, _ in proposals])
    return 0


if __name__ == "__main__":
    sys.exit(main())
