#!/usr/bin/env python3
"""Propose Wikidata ids for the persons of gazetteers/officials*.toml from Wikidata-derived
office-holder tables, and print the evidence for each proposal.

Sources it reads (give any of them):

  --shared PATH   shared/data/officials-wikidata.tsv (qid, name_en, position_en, country_qid, ...).
  --mirrors DIR   a directory of git snapshots of the every-politician-scrapers repositories,
                  laid out as DIR/every-politician-scrapers+<name>/repo (bare git directories, as
                  the session tooling fetches them). From each it reads `html/holders21.csv`
                  (position, person, personID, start, end: the holders of a country's offices
                  since about 2000, drawn from Wikidata) at HEAD. The country of a repository
                  is given by REPO_COUNTRY below; repositories not listed there are skipped.
                  It also reads `html/legislators.csv` (position such as "Member of the 58th
                  Parliament of the United Kingdom", person, personID, start, end, DOB, enwiki:
                  the members of the country's legislatures that Wikidata records) and
                  `html/family.csv` (id, name, relationship, relative, relativename: the
                  relatives of the office-holders) for the legislator and family rules below,
                  and the Wikidata query results kept beside those tables, which give other
                  labels of the same QIDs (see read_results): sources/*/wikidata.csv,
                  wikidata/results/current-cabinet.csv, world's
                  wikidata/results/missing-successors.csv, world-leaders-2021's data/*.csv and
                  european-parliament's data/wikidata.csv (members of the European Parliament).

  --partyfacts DIR  a git snapshot of hdigital/partyfactsdata (Party Facts); from it
                  `import/wikipedia/wikidata.csv` (country ISO alpha-3, Party Facts id, QID, English
                  name, short name) proposes ids for the parties and movements of
                  gazetteers/organizations.toml: the English name without its parenthesized
                  qualifier, or an abbreviation given in those parentheses, equals the source's name
                  or short name, the country agrees (or the entity has none), and one QID remains.

Snapshots read for the ids written in 2026 besides those named in the officials files' older
`source` text: every-politician-scrapers lebanon@84f4f6720d0f, qatar-ministers@d5009aaaf03a,
chad-ministers@4f57b9626bf4, gabon-ministers@824f2dd32674, gambia-ministers@826ec2d12887,
burundi-ministers@466339de873c, botswana-ministers@4e94be278709, cambodia@b08e1644f03b,
comoros@2a94d2df4aaf, honduras-ministers@a63b7746fe5d, nicaragua@41c5f26dedd1,
luxembourg-cabinet@7b920a2e507d, european-parliament@53756680dea4 and
world-leaders-2021@be7039cf5952 (2022–2023; no licence of their own, the data are Wikidata's,
CC0), and unitedstates/congress-legislators@dfa9622263dd (2026; CC0 1.0 public domain
dedication). No newer snapshot of an every-politician-scrapers repository could be had (their
last commits are of 2022–2023). everypolitician/everypolitician-data (legislators up to about
2019) was not read: its snapshot (2.5 GB) is over the size a fetch brings, and its README states
no licence.

It prints one tab-separated row per proposal: entity id, QID, how the name matched, the
source (repository@commit or file), the source's name, offices and years for that QID, and
our entity's role. With --apply it also writes the ids into the gazetteer files.

A proposal needs all of:
  * the English name to match: equal after folding case, accents, hyphens and punctuation
    ("exact"), or, only when the office also agrees, a transliteration variant ("variant":
    same number of words, each pair close; or one name's words all in the other's);
  * the country to agree: the repository's country is the entity's `attributes.country`
    (the shared file's country QID is mapped through countries-natural-earth.tsv); an entity
    with no country (an official of an international body) takes the countries its role names
    as "of <country>" (gazetteers/countries.generated.toml's English names), so that "Minister
    of Foreign Affairs of Egypt (1991–2001)" is looked up in Egypt's table; a row of another
    country counts too when the name is exact and the row's full title (three distinctive
    words or more: Governor of the Bank of England) is in the role;
  * the office to agree: some office word group (president, prime minister, foreign affairs,
    defence, ...) of a source position for that QID appears in the entity's role; an exact
    name whose role names no office group at all is accepted on name and country alone;
  * the years to agree when both sides have them: some source term overlaps some year range
    in the role (one year of slack);
  * exactly one QID to survive for the entity, the QID to be used by no other entity, and
    the entity to have no id yet.

The office-year rule ("office-year") accepts a QID whose name is neither exact nor a variant
when the first words of the two names agree (the same romanization; one letter more, less or
changed in a word of five letters or more; an English short form, Jim for James; or an initial,
K. P. for Khadga Prasad), the last words agree (the same romanization, or one letter changed
when the first words are the same) or the shorter name begins the longer (particles such as
al and bin aside: Rafael Correa, Rafael Correa Delgado; Saud al-Faisal, Saud bin Faisal bin
Abdulaziz Al Saud), or the source's name is a regnal label of the entity's country (Abdullah of
Saudi Arabia, for Abdullah bin Abdulaziz Al Saud, King from 2005); and a row of the
entity's country for that QID took up an office of a group that a part of the role names in the
year (within one) that part gives as the start of a range: Mohamed Taha Siala, Minister of
Foreign Affairs of Libya from 2016, for "Mohamed Taher Siala ... Minister of Foreign Affairs ...
(2016–2021)". Such a candidate gives way to an exact one, and two candidates are ambiguous.

The exact-name rule ("exact-name") accepts a candidate turned down above for its office or its
years when all of these hold: the English name is an exact match (not a variant) of a holder in
the table of the entity's own country (its `country`, or for an entity of no country a country
its role names; the international table does not count); that folded name belongs to one QID
only across all the tables read (no namesake anywhere); and, as always, the QID is the only
candidate left for the entity and is used by no other entity. The source's offices then are not
in our role: the printed row lists them (from the country's table) so that a curator can add to
the role those the person held.

The legislator rule ("legislator") and the family rule ("family") are tried only for persons
that the rules above leave without an id.

The legislator rule accepts a member of a legislature when: the English name is exact (after
folding) and the legislature is of the entity's country (or of a country its role names), or the
role names that legislature ("President of the European Parliament"); the country's tables
(office-holders and legislators) give that exact name to one QID only; the English Wikipedia
title the table gives, if any, is that name (not "Eli Cohen (politician born 1949)": a namesake
exists); the seat is no more than 30 years older than the first year in the role and, where the
table gives a birth date, the person was 18 to 80 in that year; and the role is consistent with
a seat (an office of state, a minister, a party, a parliament, the opposition, a candidacy) or,
failing that, no other QID bears the name in any table read.

The family rule accepts a relative of an office-holder when: the English name is exact; the
row is in the table of the entity's own country; the office-holder is a person of the gazetteer
with that QID (written, or proposed by the other rules in the same run) and the same country;
and no other QID bears the name in any table read (office-holders, legislators, relatives).

This is a review aid, not part of the build: CI has no access to GitHub, so it cannot fetch
the snapshots. Rerun it with the snapshots at hand to reproduce the proposals: on the commit
before an id was written it proposes that id; afterwards it proposes only what is still missing
(--rejected shows the candidates it turned down and why).
"""

from __future__ import annotations

import argparse
import csv
import difflib
import glob
import io
import json
import os
import re
import subprocess
import sys
import tomllib
import unicodedata
from collections import defaultdict
from functools import lru_cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# every-politician-scrapers repository -> ISO 3166-1 alpha-2 of its country ("" = international).
REPO_COUNTRY = {
    "afghanistan": "AF", "algeria-cabinet": "DZ", "angola": "AO", "argentina-ministers": "AR",
    "australia-cabinet": "AU", "austria-cabinet": "AT", "bahrain": "BH",
    "bangladesh-ministers": "BD", "belarus-ministers": "BY", "belgium-cabinet": "BE",
    "bolivia-ministers": "BO", "botswana-ministers": "BW", "brazil-ministers": "BR",
    "burkina-faso": "BF", "burundi-ministers": "BI", "cambodia": "KH", "cameroon": "CM",
    "canada-cabinet": "CA", "central-african-republic": "CF", "chad-ministers": "TD",
    "chile-ministers": "CL", "china-ministers": "CN", "comoros": "KM",
    "congo-brazzaville": "CG", "congo-kinshasa-ministers": "CD", "croatia-ministers": "HR",
    "cuba": "CU", "cyprus-cabinet": "CY", "czech-ministers": "CZ", "denmark-cabinet": "DK",
    "djibouti-ministers": "DJ", "ecuador-ministers": "EC", "egypt-ministers": "EG",
    "estonia": "EE", "ethiopia-ministers": "ET", "fiji-ministers": "FJ",
    "finland-cabinet": "FI", "france-cabinet": "FR", "gabon-ministers": "GA",
    "gambia-ministers": "GM", "georgia-ministers": "GE", "ghana-ministers": "GH",
    "greece-cabinet": "GR", "guinea": "GN", "guinea-bissau": "GW", "haiti": "HT",
    "honduras-ministers": "HN", "hong-kong": "HK", "india-ministers": "IN",
    "indonesia-ministers": "ID", "iran-ministers": "IR", "iraq-ministers": "IQ",
    "ireland-ministers": "IE", "israel-ministers": "IL", "italy-ministers": "IT",
    "ivory-coast": "CI", "japan-ministers": "JP", "jordan-ministers": "JO",
    "kazakhstan-cabinet": "KZ", "kenya": "KE", "kuwait-ministers": "KW",
    "kyrgyzstan-ministers": "KG", "latvia-cabinet": "LV", "lebanon": "LB",
    "liberia-ministers": "LR", "libya": "LY", "liechtenstein-ministers": "LI",
    "lithuania": "LT", "luxembourg-cabinet": "LU", "malawi-ministers": "MW",
    "malaysia-ministers": "MY", "maldives-ministers": "MV", "mali": "ML",
    "malta-ministers": "MT", "mauritania": "MR", "mexico-ministers": "MX",
    "mongolia-ministers": "MN", "morocco-ministers": "MA", "mozambique": "MZ",
    "myanmar-ministers": "MM", "nepal-ministers": "NP", "netherlands-cabinet": "NL",
    "new-zealand-cabinet": "NZ", "nicaragua": "NI", "niger-ministers": "NE", "nigeria": "NG",
    "north-korea": "KP", "norway-cabinet": "NO", "oman": "OM", "pakistan-ministers": "PK",
    "palestine": "PS", "panama-ministers": "PA", "papua-new-guinea": "PG",
    "paraguay-ministers": "PY", "philippines-ministers": "PH", "poland-cabinet": "PL",
    "portugal-cabinet": "PT", "qatar-ministers": "QA", "russia-cabinet": "RU",
    "rwanda-ministers": "RW", "saudi-ministers": "SA", "senegal-ministers": "SN",
    "sierra-leone": "SL", "singapore-ministers": "SG", "slovakia-cabinet": "SK",
    "slovenia-cabinet": "SI", "somalia-cabinet": "SO", "south-africa-cabinet": "ZA",
    "south-korea-ministers": "KR", "south-sudan": "SS", "spain-ministers": "ES",
    "sri-lanka-cabinet": "LK", "sudan": "SD", "sweden-cabinet": "SE",
    "swiss-federal-council": "CH", "syria": "SY", "taiwan": "TW", "tanzania-ministers": "TZ",
    "togo": "TG", "tunisia-ministers": "TN", "turkey-ministers": "TR", "turkmenistan": "TM",
    "uae-ministers": "AE", "uganda-ministers": "UG", "ukraine-cabinet": "UA",
    "united-kingdom-cabinet": "GB", "uruguay-ministers": "UY", "us-cabinet": "US",
    "uzbekistan-ministers": "UZ", "venezuela": "VE", "vietnam": "VN", "world": "",
    "yemen": "YE", "zambia-ministers": "ZM", "zimbabwe": "ZW",
}

# Office word groups: a position and a role agree when they share a group.
OFFICE_GROUPS = {
    "vice-president": r"\bvice[- ]president\b",
    "president": r"(?<!vice )(?<!vice-)\bpresident\b(?! of the (?:senate|national assembly|chamber|parliament|house|council of representatives|people's assembly|supreme|constitutional|general assembly|court|european commission|european council|world bank|african union commission))",
    "prime-minister": r"(?<!deputy )(?<!vice )(?<!alternate )\b(?:prime minister|premier|chancellor|taoiseach|head of government|chairman of the council of ministers)\b",
    "deputy-prime-minister": r"\b(?:deputy|vice|first deputy) (?:prime minister|premier)\b",
    "foreign": r"\b(?:foreign|external (?:affairs|relations)|secretary of state\b(?! for)|state department)",
    "defence": r"\b(?:defen[cs]e|armed forces|war)\b",
    "interior": r"\b(?:interior|home (?:affairs|secretary|office)|internal affairs|public security)\b",
    "finance": r"\b(?:finance|treasury|exchequer)\b",
    "economy": r"\b(?:econom\w*|trade|commerce|industry|planning)\b",
    "justice": r"\b(?:justice|attorney general|law)\b",
    "energy": r"\b(?:energy|oil|petroleum|mines|mining|hydrocarbons)\b",
    "health": r"\bhealth\b",
    "education": r"\beducation\b",
    "speaker": r"\b(?:speaker|president of the (?:senate|national assembly|chamber|parliament|house|people's assembly))\b",
    "monarch": r"\b(?:king|queen|emir|amir|sultan|monarch|crown prince|grand duke|prince)\b",
    "un": r"\b(?:united nations|secretary-general)\b",
    "court": r"\bcourt of justice\b",
}


@lru_cache(maxsize=None)
def fold(s: str) -> str:
    """Case, accents, hyphens, apostrophes and dots folded; words separated by single spaces;
    "Abdul" (Abdel, Abdoul) joined to the word it begins (Abdul-Aziz, Abdul Aziz: abdulaziz)."""
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.lower().replace("ʿ", "").replace("ʼ", "").replace("ʻ", "")
    s = re.sub(r"[\"'’‘`.]", "", s)
    s = re.sub(r"[-‐‑–—,()]", " ", s)
    s = re.sub(r"\b(abd[eu]l|abdoul) +(?=\w)", r"\1", s)  # Abdul Aziz, Abdul-Aziz = Abdulaziz
    return re.sub(r"\s+", " ", s).strip()


STOP = {"of", "the", "for", "and", "to", "in", "a", "minister", "ministry", "state", "secretary",
        "federal", "national", "republic", "deputy", "first", "second", "acting"}


def title_words(text: str) -> set[str]:
    return {w for w in fold(text).split() if w not in STOP and not w.isdigit()}


def title_in_role(position: str, role: str) -> bool:
    """All the distinctive words (two or more) of a position's title are in the role."""
    words = title_words(position)
    return len(words) >= 2 and words <= title_words(role)


def office_groups(text: str) -> set[str]:
    t = text.lower()
    return {g for g, rx in OFFICE_GROUPS.items() if re.search(rx, t)}


def year_ranges(role: str) -> list[tuple[int, int]]:
    """Year ranges written in a role: "(2013–2015, 2021–)" -> [(2013, 2015), (2021, 9999)]."""
    out = []
    for a, dash, b in re.findall(r"\b(1[89]\d\d|20\d\d)\s*([–-])?\s*(1[89]\d\d|20\d\d)?", role):
        start = int(a)
        end = int(b) if b else (9999 if dash else start)
        out.append((start, end))
    return out


def years_agree(role: str, terms: list[tuple[str, str]], groups: set[str]) -> bool:
    """Some term overlaps a year range of the role's part that names the same office."""
    parts = [p for p in role.split(";") if office_groups(p) & groups] or [role]
    ranges = [r for p in parts for r in year_ranges(p)]
    if not ranges:
        return True
    spans = []
    for start, end in terms:
        s = int(start[:4]) if start[:4].isdigit() else None
        e = int(end[:4]) if end[:4].isdigit() else 9999
        if s is None:
            continue
        spans.append((s, e))
    if not spans:
        return True
    return any(s <= re_ + 1 and rs <= e + 1 for s, e in spans for rs, re_ in ranges)


TRANSLIT = [("zh", "j"), ("dj", "j"), ("kh", "h"), ("gh", "g"), ("sh", "s"), ("ch", "c"),
            ("w", "v"), ("y", "i"), ("ou", "u"), ("ee", "i"), ("oo", "u"), ("q", "k"), ("ph", "f"),
            ("mb", "nb"), ("mp", "np")]


# Romanizations of one Arabic given name.
SAME_NAME = {w: "muhammad" for w in ("mohammed", "mohammad", "mohamed", "mohamad", "muhammed",
                                      "mohammed")}
SAME_NAME.update({"ahmed": "ahmad"})


@lru_cache(maxsize=None)
def translit(word: str) -> str:
    """One spelling for the common romanization pairs (Zhaparov/Japarov, Alikhan/Alihan)."""
    word = SAME_NAME.get(word, word)
    for a, b in TRANSLIT:
        word = word.replace(a, b)
    return re.sub(r"(.)\1", r"\1", word)


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def words_close(x: str, y: str) -> bool:
    x, y = translit(x), translit(y)
    # or one letter more or less in a long word (Tleuberdi/Tileuberdi), never one letter changed
    return x == y or (min(len(x), len(y)) >= 5 and abs(len(x) - len(y)) == 1
                      and levenshtein(x, y) == 1)


def name_match(ours: str, theirs: str) -> str | None:
    a, b = fold(ours), fold(theirs)
    if not a or not b:
        return None
    if a == b:
        return "exact"
    wa, wb = a.split(), b.split()
    if len(wa) == len(wb) and all(words_close(x, y) for x, y in zip(wa, wb)):
        return "variant"
    wa, wb = [SAME_NAME.get(w, w) for w in wa], [SAME_NAME.get(w, w) for w in wb]
    short, long_ = (wa, wb) if len(wa) < len(wb) else (wb, wa)
    if len(short) >= 2 and len(short) < len(long_):
        # the shorter name's words, in order, among the longer's, same first and last word
        # and no skipped word starting a patronym ("X bin Y" is not "X bin Z bin Y")
        it = iter(long_)
        if all(w in it for w in short) and short[0] == long_[0] and short[-1] == long_[-1]:
            skipped = list(long_)
            for w in short:
                skipped.remove(w)
            if not set(skipped) & {"bin", "ibn", "bint", "ben", "ould", "wad", "abu"}:
                return "variant"
    return None


# English short forms of given names, for the office-year rule only (Jim Mattis = James Mattis).
SHORT_FORMS = {"ash": "ashton", "bill": "william", "bob": "robert", "chuck": "charles",
               "dick": "richard", "jim": "james", "joe": "joseph", "mike": "michael",
               "ned": "edward", "pete": "peter", "tom": "thomas", "tony": "anthony"}


PARTICLES = {"al", "el", "bin", "ibn", "bint", "ben", "ould"}


def first_words_agree(x: str, y: str) -> bool:
    """The same romanization, one letter more, less or changed in a word of five letters or
    more, an English short form (Jim, James), or an initial (K., Khadga)."""
    if translit(x) == translit(y) or SHORT_FORMS.get(x) == y or SHORT_FORMS.get(y) == x:
        return True
    if len(x) == 1 or len(y) == 1:
        return x[0] == y[0]
    tx, ty = translit(x), translit(y)
    return min(len(tx), len(ty)) >= 5 and levenshtein(tx, ty) <= 1


def first_last_match(ours: str, theirs: str, regnal: frozenset[str] = frozenset()) -> bool:
    """The office-year rule's name test. The first words agree (first_words_agree), and: the
    last words are the same romanization (Mohamed Taher Siala = Mohamed Taha Siala, Hamad bin
    Jassim Al Thani = Hamad bin Jassim bin Jaber Al Thani), or differ by one letter in a word of
    four letters or more when the first words are the same (Abdulaziz Kamilov = Abdulaziz
    Komilov, Salem Saleh bin Breik = Salem Saleh Salem bin Brek), or the shorter name, its
    particles (al, bin ...) aside, begins the longer (Rafael Correa = Rafael Correa Delgado,
    Saud al-Faisal = Saud bin Faisal bin Abdulaziz Al Saud, Sultan bin Abdulaziz Al Saud =
    Sultan bin Abdulaziz). A regnal label, "<first name> of <country>" for a country in
    `regnal`, agrees with any name of that first word (Abdullah of Saudi Arabia = Abdullah bin
    Abdulaziz Al Saud)."""
    wa, wb = fold(ours).split(), fold(theirs).split()
    for p, q in ((wa, wb), (wb, wa)):
        m = re.fullmatch(r"(\S+) of (?:the )?(.+)", " ".join(q))
        if m and m.group(2) in regnal and len(p) >= 2 and translit(p[0]) == translit(m.group(1)):
            return True
    if len(wa) < 2 or len(wb) < 2 or not first_words_agree(wa[0], wb[0]):
        return False
    la, lb = translit(wa[-1]), translit(wb[-1])
    if la == lb:
        return True
    if translit(wa[0]) == translit(wb[0]) and min(len(la), len(lb)) >= 4 and levenshtein(la, lb) <= 1:
        return True
    pa = [translit(w) for w in wa if w not in PARTICLES]
    pb = [translit(w) for w in wb if w not in PARTICLES]
    short, long_ = sorted((pa, pb), key=len)
    return 2 <= len(short) < len(long_) and long_[1:len(short)] == short[1:]


def country_names(ents: list[dict]) -> dict[str, str]:
    """Folded English country name -> ISO alpha-2, from the country gazetteer."""
    return {fold(e["name_en"]): e["id"].split(":", 1)[1]
            for e in ents if e["id"].startswith("country:") and e.get("name_en")}


def role_countries(role: str, names: dict[str, str]) -> set[str]:
    """The countries a role names as "… of <country>" (Minister of Foreign Affairs of Egypt)."""
    text = fold(role)
    return {code for name, code in names.items()
            if re.search(rf"\bof (?:the )?{re.escape(name)}\b", text)}


def starts_agree(role: str, start: str, groups: set[str], position: str = "") -> bool:
    """A term's first year is, within a year, the first year of a range in a part of the role
    that names one of the office groups, or the position's full title (two distinctive words
    or more: National Security Advisor)."""
    if not start[:4].isdigit():
        return False
    parts = [p for p in role.split(";")
             if office_groups(p) & groups or (position and title_in_role(position, p))]
    return any(abs(rs - int(start[:4])) <= 1 for p in parts for rs, _ in year_ranges(p))


def load_entities() -> list[dict]:
    ents = []
    for path in sorted(glob.glob(os.path.join(ROOT, "gazetteers", "*.toml"))):
        with open(path, "rb") as f:
            for e in tomllib.load(f).get("entity", []):
                e["_file"] = path
                ents.append(e)
    return ents


def git(repo: str, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", repo, *args], check=True, capture_output=True, text=True
    ).stdout


def read_mirrors(root: str, table: str = "holders21") -> list[dict]:
    """Rows {qid, name, position, country, start, end, dob, enwiki, source} from one kind of
    table (holders21 or legislators) of every snapshot; for the family tables, rows
    {qid, name, position ("child of Yoweri Museveni"), of_qid, country, source}."""
    rows = []
    for d in sorted(glob.glob(os.path.join(root, "every-politician-scrapers+*"))):
        name = os.path.basename(d).split("+", 1)[1]
        if name not in REPO_COUNTRY:
            continue
        repo = os.path.join(d, "repo")
        try:
            text = git(repo, "show", f"HEAD:html/{table}.csv")
        except subprocess.CalledProcessError:
            continue
        commit = git(repo, "rev-parse", "HEAD").strip()
        src = f"every-politician-scrapers/{name}@{commit[:12]}"
        for r in csv.DictReader(io.StringIO(text)):
            if table == "family":
                if (r.get("relative") or "").startswith("Q") and r["id"].startswith("Q"):
                    rows.append({
                        "qid": r["relative"], "name": r["relativename"],
                        "position": f"{r['relationship']} of {r['name']} ({r['id']})",
                        "of_qid": r["id"], "country": REPO_COUNTRY[name], "start": "",
                        "end": "", "source": src,
                    })
                continue
            if not (r.get("personID") or "").startswith("Q"):
                continue
            rows.append({
                "qid": r["personID"], "name": r["person"], "position": r["position"],
                "country": REPO_COUNTRY[name], "start": r.get("start") or "",
                "end": r.get("end") or "", "dob": r.get("DOB") or "",
                "enwiki": r.get("enwiki") or "", "source": src,
            })
    return rows


def country_codes(ents: list[dict], shared: str | None) -> dict[str, str]:
    """Folded English country names and country QIDs -> ISO alpha-2: the country gazetteer's,
    and Natural Earth's (beside the shared file) when it is given."""
    codes = {}
    for e in ents:
        if e["id"].startswith("country:"):
            code = e["id"].split(":", 1)[1]
            codes[fold(e.get("name_en", ""))] = code
            if e.get("wikidata"):
                codes[e["wikidata"]] = code
    ne = os.path.join(os.path.dirname(shared), "countries-natural-earth.tsv") if shared else ""
    if ne and os.path.exists(ne):
        with open(ne, encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t"):
                code = r["iso_a2"] if r["iso_a2"] != "-99" else r["iso_a2_eh"]
                for key in (fold(r["name_en"]), fold(r["formal_en"]), r["wikidata"]):
                    if key and code != "-99":
                        codes.setdefault(key, code)
    return codes


def read_results(root: str, codes: dict[str, str]) -> tuple[list[dict], list[dict]]:
    """(office-holder rows, legislator rows) from the Wikidata query results that the same
    snapshots keep beside their html tables, which carry other labels of the same QIDs
    ("Augustin Matata Ponyo" where the html table says "Matata Ponyo Mapon"):
      - sources/<office>/wikidata.csv and sources/<group>/<office>/wikidata.csv: the holders
        of one office (its label from the row's positionLabel, or from meta.json's position
        looked up in html/positions.csv) or the members of one legislature (meta.json's
        position found in wikidata/legislative-positions.csv);
      - wikidata/results/current-cabinet.csv: the cabinet of 2022;
      - world-leaders-2021's data/wikidata.csv and data/wikipedia.csv: heads of state and
        government and foreign ministers of every country, 2021–2022, with their country;
      - world's wikidata/results/missing-successors.csv: an office's holder and the
        predecessor whose term ended when the holder's began, with the office's country;
      - european-parliament's data/wikidata.csv: the members of the European Parliament
        (2019–2024) with their member state;
      - unitedstates/congress-legislators (CC0), when DIR holds it as
        unitedstates+congress-legislators/repo: executive.yaml (presidents and vice presidents)
        and legislators-current.yaml (the members of Congress), each with its Wikidata id, under
        its official full name, its first and last names and its nickname and last name."""
    holders, members = [], []

    def text(repo: str, path: str) -> str:
        try:
            return git(repo, "show", f"HEAD:{path}")
        except subprocess.CalledProcessError:
            return ""

    congress = os.path.join(root, "unitedstates+congress-legislators", "repo")
    if os.path.isdir(congress):
        import yaml

        commit = git(congress, "rev-parse", "HEAD").strip()
        src = f"unitedstates/congress-legislators@{commit[:12]}"
        titles = {"prez": "President of the United States",
                  "viceprez": "Vice President of the United States",
                  "sen": "United States senator", "rep": "United States representative"}
        for path, rows in (("executive.yaml", holders), ("legislators-current.yaml", members)):
            for p in yaml.safe_load(text(congress, path) or "[]"):
                qid, n = p["id"].get("wikidata", ""), p["name"]
                names = {n.get("official_full", ""), f"{n['first']} {n['last']}",
                         f"{n.get('nickname', '')} {n['last']}"}
                for t in p["terms"]:
                    for person in {x.strip() for x in names if x.strip() != n["last"]}:
                        if qid.startswith("Q") and person:
                            rows.append({"qid": qid, "name": person, "position": titles[t["type"]],
                                         "country": "US", "start": t["start"], "end": t["end"],
                                         "dob": p.get("bio", {}).get("birthday", ""),
                                         "enwiki": "", "source": src})
    for d in sorted(glob.glob(os.path.join(root, "every-politician-scrapers+*"))):
        name = os.path.basename(d).split("+", 1)[1]
        repo = os.path.join(d, "repo")
        if name not in REPO_COUNTRY and name not in ("world-leaders-2021", "european-parliament"):
            continue
        commit = git(repo, "rev-parse", "HEAD").strip()
        src = f"every-politician-scrapers/{name}@{commit[:12]}"

        def add(rows, qid, person, position, country, start="", end=""):
            if qid.startswith("Q") and person and position:
                rows.append({"qid": qid, "name": person, "position": position,
                             "country": country, "start": start or "", "end": end or "",
                             "dob": "", "enwiki": "", "source": src})

        if name == "world-leaders-2021":
            for path in ("data/wikidata.csv", "data/wikipedia.csv"):
                for r in csv.DictReader(io.StringIO(text(repo, path))):
                    country = codes.get(r.get("countryid") or fold(r["country"]))
                    if country:
                        add(holders, r["officeholder"], r.get("officeholderLabel") or
                            r.get("officeholderlabel"), r.get("positionLabel") or
                            r.get("positionlabel"), country, r["start_year"], r["end_year"])
            continue
        if name == "european-parliament":
            for r in csv.DictReader(io.StringIO(text(repo, "data/wikidata.csv"))):
                country = codes.get(fold(r["country"]))
                if country:
                    add(members, r["item"], r["name"], "Member of the European Parliament",
                        country, "2019")
            continue
        country = REPO_COUNTRY[name]
        if name == "world":
            for r in csv.DictReader(io.StringIO(text(repo, "wikidata/results/missing-successors.csv"))):
                place = codes.get(fold(r["jurisdictionLabel"]))
                if place:
                    add(holders, r["item"], r["itemLabel"], r["positionLabel"], place, r["after"])
                    add(holders, r["predecessor"], r["predecessorLabel"], r["positionLabel"],
                        place, "", r["after"])
        for r in csv.DictReader(io.StringIO(text(repo, "wikidata/results/current-cabinet.csv"))):
            add(holders, r.get("item", ""), r.get("itemLabel"), r.get("positionLabel"), country,
                r.get("start"))
        offices = {r["id"]: r["position"]
                   for r in csv.DictReader(io.StringIO(text(repo, "html/positions.csv")))}
        seats = {r["position"]: r["title"] for r in csv.DictReader(
            io.StringIO(text(repo, "wikidata/legislative-positions.csv")))}
        paths = git(repo, "ls-tree", "-r", "--name-only", "HEAD", "sources").split("\n")
        for path in paths:
            if not re.fullmatch(r"sources/[^/]+(?:/[^/]+)?/wikidata\.csv", path):
                continue
            try:
                meta = json.loads(text(repo, path.rsplit("/", 1)[0] + "/meta.json") or "{}")
            except json.JSONDecodeError:
                meta = {}
            pos = meta.get("position") if isinstance(meta.get("position"), str) else ""
            term = meta.get("term") if isinstance(meta.get("term"), dict) else {}
            for r in csv.DictReader(io.StringIO(text(repo, path))):
                qid = r.get("item") or r.get("wdid") or ""
                person = r.get("itemLabel") or r.get("name") or ""
                start = r.get("startDate") or r.get("start") or term.get("start", "")
                end = r.get("endDate") or r.get("end") or term.get("end", "")
                label = r.get("positionLabel") or (r.get("position") if r.get("positionItem") else "")
                if label:
                    add(holders, qid, person, label, country, start, end)
                elif pos in seats:
                    add(members, qid, person, seats[pos], country, start, end)
                elif pos in offices:
                    add(holders, qid, person, offices[pos], country, start, end)
    return holders, members


def read_shared(path: str) -> list[dict]:
    iso = {}
    ne = os.path.join(os.path.dirname(path), "countries-natural-earth.tsv")
    with open(ne, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            code = r["iso_a2"] if r["iso_a2"] != "-99" else r["iso_a2_eh"]
            iso[r["wikidata"]] = code
    rows = []
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            rows.append({
                "qid": r["qid"], "name": r["name_en"], "position": r["position_en"],
                "country": iso.get(r["country_qid"], ""), "start": r["start"], "end": "",
                "source": os.path.basename(path),
            })
    return rows


def read_partyfacts(repo: str) -> list[dict]:
    import pycountry

    text = git(repo, "show", "HEAD:import/wikipedia/wikidata.csv")
    commit = git(repo, "rev-parse", "HEAD").strip()
    src = f"hdigital/partyfactsdata@{commit[:12]}"
    rows = []
    for r in csv.DictReader(io.StringIO(text)):
        c = pycountry.countries.get(alpha_3=r["country"])
        country = c.alpha_2 if c else {"PSG": "PS"}.get(r["country"], r["country"])
        rows.append({"qid": r["wikidata_id"], "name": r["name"], "short": r["name_short"],
                     "country": country, "source": src})
    return rows


def propose_parties(ents: list[dict], rows: list[dict]):
    used = {e["wikidata"]: e["id"] for e in ents if e.get("wikidata")}
    proposals, rejected = [], []
    for e in ents:
        if not e["id"].startswith("organization:") or e.get("wikidata"):
            continue
        name = e.get("name_en", "")
        base = fold(re.sub(r"\s*\([^)]*\)", "", name))
        abbrs = {a.strip().lower() for p in re.findall(r"\(([^)]*)\)", name) for a in p.split(",")}
        country = e.get("attributes", {}).get("country", "")
        cands = [r for r in rows if r["qid"].startswith("Q") and (
            fold(r["name"]) == base or (r["short"] and r["short"].lower() in abbrs))]
        if country:
            cands = [r for r in cands if r["country"] == country]
        qids = {r["qid"] for r in cands}
        if not qids:
            continue
        if len(qids) > 1:
            rejected.append((e["id"], ",".join(sorted(qids)), "-", "ambiguous", "", "", name))
            continue
        qid = qids.pop()
        if qid in used:
            rejected.append((e["id"], qid, "-", f"id already on {used[qid]}", cands[0]["name"], "", name))
            continue
        kind = "exact" if fold(cands[0]["name"]) == base else "abbreviation"
        terms = [{**r, "position": f"party, {r['country']}", "start": "", "end": ""} for r in cands]
        proposals.append((e, qid, kind, terms))
    return proposals, rejected


def propose(ents: list[dict], rows: list[dict]):
    used = {e["wikidata"]: e["id"] for e in ents if e.get("wikidata")}
    by_qid = defaultdict(list)
    name_qids = defaultdict(set)  # folded name -> the QIDs that bear it, in all tables
    for r in rows:
        by_qid[r["qid"]].append(r)
        name_qids[fold(r["name"])].add(r["qid"])

    def exact_name(e: dict, qid: str, places: set[str]) -> list[dict]:
        """The rows of the entity's own country that the exact-name rule accepts, or []."""
        name = fold(e["name_en"])
        if not places or name_qids.get(name) != {qid}:
            return []
        return [r for r in by_qid[qid] if r["country"] in places and fold(r["name"]) == name]
    persons = [e for e in ents if e["id"].startswith("person:") and not e.get("wikidata")]
    names = country_names(ents)
    proposals, rejected = [], []
    for e in persons:
        attrs = e.get("attributes", {})
        role = attrs.get("role", "")
        # an entity of no country (an official of an international body) takes the countries
        # its role names: "Minister of Foreign Affairs of Egypt (1991–2001)"
        places = {attrs["country"]} if attrs.get("country") else role_countries(role, names)
        regnal = frozenset(name for name, code in names.items() if code in places)
        role_groups = office_groups(role)
        cands = {}
        for qid, rs in by_qid.items():
            kind = None
            for r in rs:
                k = name_match(e["name_en"], r["name"])
                if k == "exact" or (k and kind is None):
                    kind = k
            if not kind:
                # office-year: first and last names agree, and the same office was taken up
                # in the same year (within one) in the same country
                hits = [r for r in rs if r["country"] in places
                        and first_last_match(e["name_en"], r["name"], regnal)
                        and starts_agree(role, r["start"], office_groups(r["position"]) & role_groups,
                                         r["position"])]
                if hits:
                    cands[qid] = ("office-year", hits)
                continue
            # the source's country: international bodies ("") are judged by office alone; a
            # row of another country counts when its full title (three distinctive words or
            # more: Governor of the Bank of England) is in the role and the name is exact
            same_place = [r for r in rs if r["country"] in places | {""} or (
                kind == "exact" and len(title_words(r["position"])) >= 3
                and title_in_role(r["position"], role))]
            if not same_place:
                continue
            src_groups = set().union(*(office_groups(r["position"]) for r in same_place))
            by_title = [r for r in same_place if title_in_role(r["position"], role)]
            office_ok = bool(src_groups & role_groups) or bool(by_title)
            if not office_ok and not (kind == "exact" and not role_groups and
                                      all(r["country"] for r in same_place)):
                own = exact_name(e, qid, places) if kind == "exact" else []
                if own:
                    cands[qid] = ("exact-name", own)
                    continue
                rejected.append((e["id"], qid, kind, "office", same_place[0]["name"],
                                 "; ".join(sorted({r["position"] for r in same_place}))[:120], role))
                continue
            agreeing = [r for r in same_place if office_groups(r["position"]) & role_groups]
            agreeing = agreeing or by_title or same_place
            terms = [(r["start"], r["end"]) for r in agreeing]
            if not years_agree(role, terms, src_groups & role_groups):
                own = exact_name(e, qid, places) if kind == "exact" else []
                if own:
                    cands[qid] = ("exact-name", own)
                    continue
                rejected.append((e["id"], qid, kind, "years", same_place[0]["name"],
                                 "; ".join(f"{r['position']} {r['start'][:4]}-{r['end'][:4]}" for r in agreeing)[:160], role))
                continue
            cands[qid] = (kind, agreeing)
        if not cands:
            continue
        exact = {q: v for q, v in cands.items() if v[0] == "exact"}
        pool = exact or cands
        if len(pool) != 1:
            rejected.append((e["id"], ",".join(sorted(pool)), "-", "ambiguous", "", "", role))
            continue
        qid, (kind, rs) = next(iter(pool.items()))
        if qid in used:
            rejected.append((e["id"], qid, kind, f"id already on {used[qid]}", rs[0]["name"], "", role))
            continue
        proposals.append((e, qid, kind, rs))
    # one QID for one entity only
    count = defaultdict(int)
    for _, qid, _, _ in proposals:
        count[qid] += 1
    final = []
    for p in proposals:
        if count[p[1]] > 1:
            rejected.append((p[0]["id"], p[1], p[2], "QID proposed for two entities", p[3][0]["name"], "", ""))
        else:
            final.append(p)
    return final, rejected


# A role consistent with a seat in a legislature: an office of state, a party, a parliament.
POLITICAL = re.compile(
    r"\b(?:minister|chancellor|senat\w*|parliament\w*|congress\w*|house of representatives|"
    r"assembly|knesset|lok sabha|legislat\w*|part(?:y|ies)|opposition|candidate)\b", re.I)
POLITICAL_GROUPS = set(OFFICE_GROUPS) - {"monarch", "un", "court"}


def seat_in_role(position: str, role: str) -> bool:
    """The role names the legislature of a seat: the distinctive words of the seat's title
    but "member", two or more, are all in the role."""
    words = title_words(position) - {"member", "members"}
    return len(words) >= 2 and words <= title_words(role)


def era_agrees(role: str, rows: list[dict]) -> bool:
    """A seat held no more than 30 years before the first year the role gives, by someone
    (where the table gives a birth date) 18 to 80 years old in that year."""
    years = [start for start, _ in year_ranges(role)]
    if not years:
        return True
    first = min(years)
    for r in rows:
        if not r["start"][:4].isdigit() or int(r["start"][:4]) < first - 30:
            continue
        if r.get("dob", "")[:4].isdigit() and not first - 80 <= int(r["dob"][:4]) <= first - 18:
            continue
        return True
    return False


def propose_members(ents: list[dict], holders: list[dict], members: list[dict],
                    families: list[dict], taken: dict[str, str]):
    """The legislator rule and the family rule, for persons that the office rules left
    without an id. `taken` maps the QIDs already proposed to their entities."""
    used = {e["wikidata"]: e["id"] for e in ents if e.get("wikidata")}
    used.update(taken)
    by_id = {e["id"]: e for e in ents}
    everywhere = defaultdict(set)  # folded name -> the QIDs that bear it, in every table read
    for r in holders + members + families:
        everywhere[fold(r["name"])].add(r["qid"])
    names = country_names(ents)
    proposals, rejected = [], []
    for e in ents:
        if not e["id"].startswith("person:") or e.get("wikidata") or e["id"] in taken.values():
            continue
        name = fold(e["name_en"])
        attrs = e.get("attributes", {})
        role = attrs.get("role", "")
        places = {attrs["country"]} if attrs.get("country") else role_countries(role, names)
        # a seat in the entity's country, or in a legislature the role names ("President of
        # the European Parliament": Member of the European Parliament)
        seats = [r for r in members if fold(r["name"]) == name and (
            r["country"] in places or seat_in_role(r["position"], role))]
        kin = [r for r in families if attrs.get("country") and r["country"] == attrs["country"]
               and fold(r["name"]) == name and r["of_qid"] in used
               and by_id[used[r["of_qid"]]].get("attributes", {}).get("country") == attrs["country"]]
        if seats:
            kind, rows = "legislator", seats
            # every QID of that exact name in the country's tables, office-holders included
            qids = {r["qid"] for r in holders + members if fold(r["name"]) == name and (
                r["country"] in places or seat_in_role(r["position"], role))}
        elif kin:
            kind, rows = "family", kin
            qids = everywhere[name]  # no namesake in any table read
        else:
            continue
        if len(qids) != 1:
            rejected.append((e["id"], ",".join(sorted(qids)), kind, "ambiguous", rows[0]["name"], "", role))
            continue
        qid = next(iter(qids))
        rows = [r for r in rows if r["qid"] == qid]
        why = None
        if kind == "legislator":
            titles = {r["enwiki"] for r in rows if r["enwiki"]}
            if any(fold(t) != name for t in titles):
                why = "English Wikipedia title names a namesake: " + "; ".join(sorted(titles))
            elif not era_agrees(role, rows):
                why = "era"
            elif not (office_groups(role) & POLITICAL_GROUPS or POLITICAL.search(role)
                      or everywhere[name] == {qid}):
                why = "role (not political) and a namesake elsewhere"
        if not why and qid in used:
            why = f"id already on {used[qid]}"
        if why:
            rejected.append((e["id"], qid, kind, why, rows[0]["name"],
                             "; ".join(sorted({r["position"] for r in rows}))[:160], role))
            continue
        used[qid] = e["id"]
        proposals.append((e, qid, kind, rows))
    return proposals, rejected


def apply(proposals) -> None:
    by_file = defaultdict(dict)
    for e, qid, _, _ in proposals:
        by_file[e["_file"]][e["id"]] = qid
    for path, ids in by_file.items():
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        out, current = [], None
        for line in lines:
            m = re.match(r'id = "([^"]+)"$', line)
            if m:
                current = m.group(1)
            if current in ids and (line.startswith("attributes =") or line == ""):
                at = len(out)
                while at and out[at - 1].startswith("#"):  # above the comments on what follows
                    at -= 1
                out.insert(at, f'wikidata = "{ids.pop(current)}"')
            out.append(line)
        assert not ids, f"not written in {path}: {ids}"
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(out))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", help="path of officials-wikidata.tsv")
    ap.add_argument("--mirrors", help="directory of every-politician-scrapers snapshots")
    ap.add_argument("--partyfacts", help="git snapshot of hdigital/partyfactsdata")
    ap.add_argument("--rejected", action="store_true", help="also print the rejected candidates")
    ap.add_argument("--apply", action="store_true", help="write the proposed ids into the gazetteers")
    args = ap.parse_args()
    rows, members = [], []
    ents = load_entities()
    if args.shared:
        rows += read_shared(args.shared)
    if args.mirrors:
        more_holders, members = read_results(args.mirrors, country_codes(ents, args.shared))
        rows += read_mirrors(args.mirrors) + more_holders
        members += read_mirrors(args.mirrors, "legislators")
    if not rows and not args.partyfacts:
        ap.error("give --shared, --mirrors or --partyfacts")
    proposals, rejected = propose(ents, rows) if rows else ([], [])
    if args.mirrors:
        more, less = propose_members(
            ents, rows, members, read_mirrors(args.mirrors, "family"),
            {p[1]: p[0]["id"] for p in proposals})
        proposals += more
        rejected += less
    if args.partyfacts:
        more, less = propose_parties(ents, read_partyfacts(args.partyfacts))
        proposals += more
        rejected += less
    w = csv.writer(sys.stdout, delimiter="\t", lineterminator="\n")
    for e, qid, kind, rs in sorted(proposals, key=lambda p: p[0]["id"]):
        terms = "; ".join(sorted({f"{r['position']} {r['start'][:4]}–{r['end'][:4]}" for r in rs}))
        w.writerow([e["id"], qid, kind, rs[0]["source"], rs[0]["name"], terms,
                    e.get("attributes", {}).get("role", "") or e.get("name_en", "")])
    if args.rejected:
        for r in rejected:
            w.writerow(["REJECTED", *r])
    print(f"# {len(proposals)} proposals, {len(rejected)} rejected candidates", file=sys.stderr)
    if args.apply:
        apply(proposals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
