#!/usr/bin/env python3
"""Refuse the generated spelling variants that are common Arabic words, and list the common words
that read as a proclitic and a name.

Usage (from the repository root, with a built `alam`; it reads the gazetteer files on disk, so
any binary with the current engine will do):

    pip install wordfreq==3.1.1
    python3 scripts/refuse_common_variants.py            # writes the file below
    python3 scripts/refuse_common_variants.py --check    # exits 1 if it is not up to date
    python3 scripts/refuse_common_variants.py --alam target/release/alam --gazetteers DIR

The engine generates spelling variants of transliterated names when it loads the gazetteers
(src/variants.rs: غ/ج/ق/ك, يي/ي, ئ/ي, an inner long vowel left out, compounds joined or split).
A rule that respells a name can land on an ordinary word (`فاراج` → `فارق` "difference",
`غانا` → `كانا` "they were", `لابيد` → `لابد` "must"). This script asks `alam check --variants`
for every variant made, and looks up each word a variant changed in wordfreq's Arabic list (a
real word-frequency list; data CC BY-SA 4.0, see https://github.com/rspeer/wordfreq): a variant
whose changed word has a Zipf frequency of THRESHOLD or more is refused. Variants that only join,
split or hyphenate the source's words are not checked: they change no word, only the spacing.

A name can also hide in an ordinary word behind a proclitic: `وزاريا` "ministerially" reads as
و + `زاريا` (Zaria), `كلام` "speech" as ك + `لام` (To Lam's surname), `بليون` "billion" as ب +
`ليون` (Lyon). For every one-word name, alias, short name and generated variant (a name of
several words is made by its other words too, so it is not checked), the script looks up each
proclitic form (و ف ب ل ك, and وب ول وك فب فل فك; ل before the article
contracts: لل…): a form that has a Zipf frequency of PROCLITIC_THRESHOLD or more, and is more
frequent than the name's word alone, is another word (a name is written bare more often than
after any one proclitic). Those words, and the few in REVIEWED_PROCLITIC_HOMOGRAPHS that the test
cannot see (`بليون`: `ليون` is itself frequent), go to the `proclitic_homographs` list, after
whose proclitic the engine matches no name.

It writes `gazetteers/refused-variants.generated.toml` (or DIR/refused-variants.generated.toml),
a gazetteer file with no entity and the top-level `refused_variants` and `proclitic_homographs`
lists, which the loader reads: the refused variants are not matched, no name is matched after the
proclitic of a listed word, and `alam check` lists both. The word list is used here, at
generation and check time, never when the service runs.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from importlib.metadata import version

import wordfreq

from gazetteer_text import quote

ROOT = Path(__file__).resolve().parent.parent
FILE_NAME = "refused-variants.generated.toml"
# Zipf 3 is once per million words: a word that common is an ordinary word, or a spelling of a
# name common enough to be listed by hand.
THRESHOLD = 3.0
# A proclitic form is compared with the bare word, so a lower floor will do: Zipf 2 is once per
# hundred million words, below which the list's counts are noise.
PROCLITIC_THRESHOLD = 2.0
PROCLITICS = ["و", "ف", "ب", "ل", "ك", "وب", "ول", "وك", "فب", "فل", "فك"]
# Proclitic homographs the frequency test cannot see, because the name is itself a frequent word
# or name: reviewed by hand, each with what it is.
REVIEWED_PROCLITIC_HOMOGRAPHS = {
    "بليون": "'billion' (بليون دولار), not ب + ليون (Lyon)",
}


def raw_variants(alam: str, gazetteers: Path) -> set[tuple[str, str]]:
    """Every (source, variant) the engine makes, asked of the gazetteers without this script's
    own file (so a stale one cannot stand in the way): not the clashes with other entities,
    which the engine refuses by itself."""
    with tempfile.TemporaryDirectory() as bare:
        for path in gazetteers.iterdir():
            if path.is_file() and path.name != FILE_NAME:
                (Path(bare) / path.name).symlink_to(path.resolve())
        command = [alam, "check", "--variants", "--gazetteers", bare]
        out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    pairs = set()
    for line in out.splitlines():
        fields = line.split("\t")
        if fields[0] == "generated":
            pairs.add((fields[2], fields[3]))
        elif fields[0] == "refused" and fields[4].startswith("listed"):
            pairs.add((fields[2], fields[3]))
    return pairs


def listed_surfaces(gazetteers: Path) -> set[str]:
    """Every name, alias and short name the gazetteer files list."""
    fields = ("name_ar", "aliases", "short_names", "standalone_short_names")
    records: list[dict] = []
    for path in sorted(gazetteers.iterdir()):
        if path.suffix.lower() == ".toml":
            records += tomllib.loads(path.read_text(encoding="utf-8")).get("entity", [])
        elif path.suffix.lower() == ".jsonl":
            records += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
                        if line.strip()]
    surfaces: set[str] = set()
    for record in records:
        for field in fields:
            value = record.get(field) or []
            surfaces.update([value] if isinstance(value, str) else value)
    return surfaces


ARABIC_LETTER = re.compile(r"^[\u0621-\u064A]+$")


def folded(word: str) -> str:
    """The word with the letters the engine does not tell apart at its edges folded: a hamza
    seat first (أ إ آ → ا), ة and ى last (→ ه, ي)."""
    if word[:1] in "أإآ":
        word = "ا" + word[1:]
    if word[-1:] == "ة":
        word = word[:-1] + "ه"
    if word[-1:] == "ى":
        word = word[:-1] + "ي"
    return word


def zipf_any_spelling(word: str) -> float:
    """The Zipf frequency of the commonest spelling the engine reads as `word` (folded)."""
    firsts = ["ا", "أ", "إ", "آ"] if word[:1] == "ا" else [word[:1]]
    lasts = {"ه": ["ه", "ة"], "ي": ["ي", "ى"]}.get(word[-1:], [word[-1:]])
    middle = word[1:-1] if len(word) > 1 else ""
    spellings = {f + middle + l for f in firsts for l in lasts} if len(word) > 1 else {word}
    return max(wordfreq.zipf_frequency(s, "ar") for s in spellings)


def proclitic_homographs(one_words: set[str]) -> dict[str, tuple[str, float, float]]:
    """The proclitic forms of the one-word names that are other, commoner words:
    form -> (the name's word, the form's Zipf, the word's Zipf). Both frequencies are those of
    the commonest spelling the engine reads the same (`باديس` is also `بأديس`: in Addis)."""
    found: dict[str, tuple[str, float, float]] = {}
    # One letter is no word of a name worth a check (the initials of abbreviations).
    words = {folded(w) for w in one_words if ARABIC_LETTER.match(w) and len(w) > 1}
    for word in sorted(words):
        bare = zipf_any_spelling(word)
        for proclitic in PROCLITICS:
            if proclitic.endswith("ل") and word.startswith("ال"):
                form = proclitic + word[1:]  # لل…: the lam-lam contraction
            else:
                form = proclitic + word
            zipf = zipf_any_spelling(form)
            if zipf >= PROCLITIC_THRESHOLD and zipf > bare and form not in found:
                found[form] = (word, zipf, bare)
    return found


def words(text: str) -> list[str]:
    return text.replace("-", " ").split()


def common_changed_word(source: str, variant: str,
                        name_words: frozenset[str] = frozenset()) -> tuple[str, float] | None:
    """The most frequent word that `variant` has and `source` has not, if it is common. In a
    variant of several words, a word that some listed name of several words has (`name_words`)
    is a spelling of a name, however frequent (`سيرغي` in `سيرغي سوروفيكين`), as long as another
    word of the variant is rare enough to make it a name (not `ابو عبده`, `كون لي`)."""
    if variant.replace(" ", "").replace("-", "") == source.replace(" ", "").replace("-", ""):
        return None
    before = set(words(source))
    changed = [w for w in words(variant) if w not in before]
    several = words(variant)
    if len(several) > 1 and any(wordfreq.zipf_frequency(w, "ar") < THRESHOLD for w in several):
        changed = [w for w in changed if w not in name_words]
    # A one-word variant is the whole mention: score every spelling the engine reads the same
    # (`سوره` is also `سورة`, a sura; `ترقيه` is `ترقية`, a promotion). In a name of several words
    # the other words still make the name, and a given name is frequent for being a name.
    zipf = zipf_any_spelling if len(words(variant)) == 1 else (
        lambda w: wordfreq.zipf_frequency(w, "ar"))
    scored = [(w, zipf(w)) for w in changed]
    scored = [s for s in scored if s[1] >= THRESHOLD]
    return max(scored, key=lambda s: s[1]) if scored else None


def render(refused: dict[str, tuple[str, str, float]],
           homographs: dict[str, tuple[str, float, float]]) -> str:
    """The generated file: `homographs` are the frequency test's; REVIEWED_PROCLITIC_HOMOGRAPHS
    are added with their reason."""
    lines = [
        "# GENERATED by scripts/refuse_common_variants.py: do not edit. Rerun the script after",
        "# changing a gazetteer. refused_variants: a generated spelling variant (normalized) that",
        "# is a common Arabic word, with the word, its Zipf frequency and the name it was made from.",
        "# proclitic_homographs: a word that reads as a proclitic and a one-word name but is",
        "# another, commoner word, with its Zipf frequency and the bare word's.",
        "source = " + quote(
            f"Generated: the spelling variants made by the engine (src/variants.rs) whose changed "
            f"word has a Zipf frequency of {THRESHOLD} or more, and the proclitic forms of the "
            f"one-word names with a Zipf frequency of {PROCLITIC_THRESHOLD} or more and above "
            f"the bare word's, in the Arabic word list of wordfreq {version('wordfreq')} (data "
            f"CC BY-SA 4.0, Robyn Speer and contributors)."
        ),
        "refused_variants = [",
    ]
    for variant in sorted(refused):
        source, word, zipf = refused[variant]
        lines.append(f"    {quote(variant)},  # {word} {zipf:.2f} ← {source}")
    lines.append("]")
    lines.append("proclitic_homographs = [")
    comments = {form: f"{zipf:.2f} > {word} {bare:.2f}"
                for form, (word, zipf, bare) in homographs.items()}
    for form, what in REVIEWED_PROCLITIC_HOMOGRAPHS.items():
        comments.setdefault(form, f"reviewed: {what}")
    for form in sorted(comments):
        lines.append(f"    {quote(form)},  # {comments[form]}")
    lines.append("]")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    parser.add_argument("--alam", default=str(ROOT / "target" / "debug" / "alam"))
    parser.add_argument("--gazetteers", type=Path,
                        help="a gazetteer directory (default: the repository's gazetteers/)")
    args = parser.parse_args()
    # The files on disk, not the ones embedded in the binary: a binary built before the last
    # gazetteer edit would check stale data.
    target_dir = args.gazetteers if args.gazetteers is not None else ROOT / "gazetteers"
    output = target_dir / FILE_NAME

    refused: dict[str, tuple[str, str, float]] = {}
    pairs = raw_variants(args.alam, target_dir)
    # The words of the listed names of several words (the sources, normalized by the engine).
    name_words = frozenset(w for source, _ in pairs if len(words(source)) > 1
                           for w in words(source))
    for source, variant in sorted(pairs):
        hit = common_changed_word(source, variant, name_words)
        if hit is not None and variant not in refused:
            refused[variant] = (source, hit[0], hit[1])
    one_words = {s.strip() for s in listed_surfaces(target_dir) if len(s.split()) == 1}
    one_words |= {variant for _, variant in pairs
                  if variant not in refused and len(variant.split()) == 1}
    homographs = proclitic_homographs(one_words)
    text = render(refused, homographs)
    print(f"{len(pairs)} variants checked, {len(refused)} refused (Zipf >= {THRESHOLD}); "
          f"{len(one_words)} one-word names, {len(homographs)} proclitic homographs by frequency "
          f"and {len(REVIEWED_PROCLITIC_HOMOGRAPHS)} reviewed", file=sys.stderr)
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{output} is not up to date: run python3 scripts/refuse_common_variants.py",
                  file=sys.stderr)
            return 1
        return 0
    output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
