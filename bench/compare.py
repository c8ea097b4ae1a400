#!/usr/bin/env python3
"""The comparison of BENCHMARKS.md: Alam against pyahocorasick, ahocorasick-rs, FlashText and
spaCy's PhraseMatcher on the same aliases, the same corpus and the same scorer.

  compare.py corpus OUT.jsonl [MB]        the corpus: seed sentences, deterministic shuffle
  compare.py run TOOL ALIASES.tsv CORPUS.jsonl GOLD_DIR [--max-mb N] [--label L] [--no-quality]
                                          time one Python tool, score it; print one JSON line
  compare.py score-alam ALAM_OUTPUT.jsonl GOLD_DIR   score `alam extract` output; JSON line
  compare.py cli-time TIME_V_OUTPUT CORPUS.jsonl      the CLI's run from `/usr/bin/time -v`; JSON line
  compare.py label LABEL [EXTRA_JSON]     stdin's JSON line (from the throughput example) named
                                          LABEL, EXTRA_JSON's fields added
  compare.py gazetteer-fields             stdin's entities (export_aliases --jsonl) with only the
                                          fields the JSON Lines gazetteer format reads
  compare.py table RESULTS.jsonl          the Markdown table: per tool, the median of its runs
                                          and their spread, then the ratios that matter

How the Python tools are used (what "a few lines of Python" does in practice, see BENCHMARKS.md):
they get the raw (unnormalized) names, aliases and the 16 written demonym forms of each stem from
examples/export_aliases.rs (short names are left out: a plain matcher cannot resolve them), match
the raw text, and keep the longest, then leftmost, non-overlapping matches. A surface listed by
several entities is given to the first one. No normalization, no Arabic word-edge rules.
"""
import json, os, random, re, resource, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import score as scorer  # noqa: E402

ARABIC_LETTERS = "".join(chr(c) for c in range(0x0621, 0x064B)) + "".join(chr(c) for c in range(0x0660, 0x06FF))


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mib():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return 0.0


def make_corpus(gold_dir, out, megabytes):
    """Sentences of the seed articles, shuffled with a fixed seed, packed into ~4 KiB documents."""
    sentences = []
    for f in sorted(os.listdir(gold_dir)):
        if f.endswith(".txt"):
            text = open(os.path.join(gold_dir, f), encoding="utf-8").read()
            sentences += [s.strip() for s in re.split(r"(?<=[.!?؟\n])", text) if s.strip()]
    rng = random.Random(6)
    target = int(megabytes * 1_000_000)
    written, n = 0, 0
    with open(out, "w", encoding="utf-8") as o:
        while written < target:
            doc, size = [], 0
            while size < 4096:
                s = rng.choice(sentences)
                doc.append(s)
                size += len(s.encode()) + 1
            text = " ".join(doc)
            o.write(json.dumps({"id": f"d{n}", "text": text}, ensure_ascii=False) + "\n")
            written += len(text.encode())
            n += 1
    print(f"corpus: {n} documents, {written / 1e6:.1f} MB, {len(sentences)} distinct sentences", file=sys.stderr)


def load_aliases(path):
    surfaces = {}
    for line in open(path, encoding="utf-8"):
        eid, etype, form, raw, _normalized = line.rstrip("\n").split("\t")
        if form != "short":
            surfaces.setdefault(raw, eid)
    return surfaces


def longest_leftmost(matches):
    """(start, end, eid) in code points, possibly overlapping -> longest first, then leftmost."""
    chosen, taken = [], []
    for s, e, eid in sorted(matches, key=lambda m: (-(m[1] - m[0]), m[0])):
        if all(e <= ts or te <= s for ts, te in taken):
            taken.append((s, e))
            chosen.append((s, e, eid))
    return sorted(chosen)


class PyAhocorasick:
    name = "pyahocorasick"

    def __init__(self, surfaces):
        import ahocorasick
        self.a = ahocorasick.Automaton()
        for surface, eid in surfaces.items():
            self.a.add_word(surface, (len(surface), eid))
        self.a.make_automaton()

    def find(self, text):
        return longest_leftmost([(end + 1 - n, end + 1, eid) for end, (n, eid) in self.a.iter(text)])


class AhocorasickRs:
    name = "ahocorasick-rs"

    def __init__(self, surfaces):
        import ahocorasick_rs
        self.patterns = list(surfaces)
        self.ids = [surfaces[p] for p in self.patterns]
        # Overlapping search, then the same longest-leftmost choice as the others.
        self.a = ahocorasick_rs.AhoCorasick(self.patterns, matchkind=ahocorasick_rs.MatchKind.Standard)

    def find(self, text):
        return longest_leftmost([(s, e, self.ids[i]) for i, s, e in self.a.find_matches_as_indexes(text, overlapping=True)])


class FlashText:
    name = "flashtext"

    def __init__(self, surfaces):
        from flashtext import KeywordProcessor
        self.k = KeywordProcessor(case_sensitive=True)
        # Its default word characters are [A-Za-z0-9_]: without the Arabic letters, every
        # Arabic letter would be a word boundary.
        for c in ARABIC_LETTERS:
            self.k.non_word_boundaries.add(c)
        for surface, eid in surfaces.items():
            self.k.add_keyword(surface, eid)

    def find(self, text):
        return [(s, e, eid) for eid, s, e in self.k.extract_keywords(text, span_info=True)]


class SpacyPhraseMatcher:
    name = "spaCy PhraseMatcher"

    def __init__(self, surfaces):
        import spacy
        from spacy.matcher import PhraseMatcher
        self.nlp = spacy.blank("ar")
        self.m = PhraseMatcher(self.nlp.vocab)
        self.ids = {}
        by_id = {}
        for surface, eid in surfaces.items():
            by_id.setdefault(eid, []).append(surface)
        for eid, names in by_id.items():
            self.m.add(eid, list(self.nlp.tokenizer.pipe(names)))

    def find(self, text):
        doc = self.nlp.make_doc(text)
        matches = []
        for key, s, e in self.m(doc):
            span = doc[s:e]
            matches.append((span.start_char, span.end_char, self.nlp.vocab.strings[key]))
        return longest_leftmost(matches)


class PyAhocorasickScan(PyAhocorasick):
    """The automaton alone: every overlapping match is produced, none is chosen (the ceiling
    of pyahocorasick from Python; its quality is not comparable and is not scored)."""
    name = "pyahocorasick (scan only)"

    def find(self, text):
        n = 0
        for _ in self.a.iter(text):
            n += 1
        return range(n)


class AhocorasickRsLeftmostLongest:
    """ahocorasick-rs with the choice made in Rust (MatchKind.LeftmostLongest, non-overlapping):
    the fastest way to use it from Python."""
    name = "ahocorasick-rs (leftmost-longest)"

    def __init__(self, surfaces):
        import ahocorasick_rs
        self.patterns = list(surfaces)
        self.ids = [surfaces[p] for p in self.patterns]
        self.a = ahocorasick_rs.AhoCorasick(self.patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest)

    def find(self, text):
        return [(s, e, self.ids[i]) for i, s, e in self.a.find_matches_as_indexes(text)]


TOOLS = {c.name: c for c in (PyAhocorasick, PyAhocorasickScan, AhocorasickRs, AhocorasickRsLeftmostLongest,
                             FlashText, SpacyPhraseMatcher)}


def quality(predict, gold_dir):
    gold = scorer.load_gold(gold_dir)
    preds = {}
    for doc in gold:
        text = open(os.path.join(gold_dir, doc), encoding="utf-8").read()
        preds[doc] = [{"start": s, "end": e, "entityId": eid} for s, e, eid in predict(text)]
    return strict_lenient(gold, preds)


def strict_lenient(gold, preds):
    c, _misses, _alarms = scorer.score(gold, preds)
    total = {}
    for counts in c.values():
        for k, v in counts.items():
            total[k] = total.get(k, 0) + v
    s = scorer.prf(total.get("pred_strict", 0), total.get("pred", 0), total.get("strict", 0), total.get("gold", 0))
    l = scorer.prf(total.get("pred_lenient", 0), total.get("pred", 0), total.get("lenient", 0), total.get("gold", 0))
    return {"strict_p": s[0], "strict_r": s[1], "strict_f1": s[2], "lenient_f1": l[2]}


def run(tool, aliases, corpus, gold_dir, max_mb, label=None, with_quality=True):
    docs = [json.loads(line)["text"] for line in open(corpus, encoding="utf-8")]
    if max_mb:
        kept, size = [], 0
        for d in docs:
            if size >= max_mb * 1e6:
                break
            kept.append(d)
            size += len(d.encode())
        docs = kept
    mb = sum(len(d.encode()) for d in docs) / 1e6
    surfaces = load_aliases(aliases)
    rss_before = rss_mib()
    t = time.perf_counter()
    matcher = TOOLS[tool](surfaces)
    build_s = time.perf_counter() - t
    rss_built = rss_mib()
    t = time.perf_counter()
    mentions = 0
    for d in docs:
        mentions += len(matcher.find(d))
    run_s = time.perf_counter() - t
    result = {"tool": label or tool, "patterns": len(surfaces), "documents": len(docs), "mb": mb,
              "build_s": build_s, "run_s": run_s, "mb_per_s": mb / run_s, "mentions": mentions,
              "rss_corpus_mib": rss_before, "rss_after_build_mib": rss_built, "peak_rss_mib": peak_rss_mib()}
    if with_quality and not tool.endswith("(scan only)"):
        result.update(quality(matcher.find, gold_dir))
    print(json.dumps(result))


def score_alam(path, gold_dir):
    preds = {}
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        preds[os.path.basename(d["document"])] = d["mentions"]
    print(json.dumps(strict_lenient(scorer.load_gold(gold_dir), preds)))


def cli_time(time_output, corpus):
    t = {}
    for line in open(time_output):
        k, _, v = line.strip().rpartition(": ")
        t[k] = v
    h, m, s = (["0", "0"] + t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))[-3:]
    wall = int(h) * 3600 + int(m) * 60 + float(s)
    mb = sum(len(json.loads(l)["text"].encode()) for l in open(corpus)) / 1e6
    print(json.dumps({"tool": "alam extract --jsonl (CLI, end to end)", "mb": mb, "run_s": wall,
                      "mb_per_s": mb / wall, "peak_rss_mib": int(t["Maximum resident set size (kbytes)"]) / 1024}))


def label(name, extra):
    r = json.loads(sys.stdin.read())
    r["tool"] = name
    r.update(json.loads(extra) if extra else {})
    print(json.dumps(r))


GAZETTEER_FIELDS = {"id", "name_ar", "name_en", "aliases", "short_names", "standalone_short_names", "demonym_stems",
                    "demonym_plurals", "variants", "wikidata", "attributes"}


def gazetteer_fields():
    for line in sys.stdin:
        print(json.dumps({k: v for k, v in json.loads(line).items() if k in GAZETTEER_FIELDS}, ensure_ascii=False))


def median(values):
    values = sorted(values)
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    tools = {}
    for r in rows:
        tools.setdefault(r["tool"], []).append(r)
    print("| tool | patterns | corpus MB | build s | runs | MB/s median | MB/s min–max | peak RSS MiB | RSS after build MiB | strict P | strict R | strict F1 | lenient F1 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    medians = {}
    for tool, runs in tools.items():
        speeds = [r["mb_per_s"] for r in runs]
        medians[tool] = median(speeds)
        r = min(runs, key=lambda r: abs(r["mb_per_s"] - medians[tool]))  # the median run's other figures
        def f(k, fmt):
            return format(r[k], fmt) if isinstance(r.get(k), (int, float)) else "–"
        print(f"| {tool} | {f('patterns', 'd')} | {f('mb', '.1f')} | {f('build_s', '.3f')} | {len(runs)} | {medians[tool]:.1f} "
              f"| {min(speeds):.1f}–{max(speeds):.1f} | {f('peak_rss_mib', '.0f')} | {f('rss_after_build_mib', '.0f')} "
              f"| {f('strict_p', '.3f')} | {f('strict_r', '.3f')} | {f('strict_f1', '.3f')} | {f('lenient_f1', '.3f')} |")
    print()
    for a, b in [("alam (in-process)", "ahocorasick-rs (leftmost-longest)"),
                 ("alam (in-process), 100k aliases", "ahocorasick-rs (leftmost-longest), 100k aliases"),
                 ("alam extract --jsonl (CLI, end to end)", "alam (in-process)")]:
        if a in medians and b in medians:
            print(f"- {a} / {b}: {medians[a] / medians[b]:.2f}× (medians)")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "corpus":
        make_corpus("tests/golden" if len(args) < 3 else args[2], args[0], float(args[1]) if len(args) > 1 else 20)
    elif cmd == "run":
        max_mb, name, with_quality = None, None, True
        if "--max-mb" in args:
            i = args.index("--max-mb"); max_mb = float(args[i + 1]); del args[i:i + 2]
        if "--label" in args:
            i = args.index("--label"); name = args[i + 1]; del args[i:i + 2]
        if "--no-quality" in args:
            args.remove("--no-quality"); with_quality = False
        run(args[0], args[1], args[2], args[3], max_mb, name, with_quality)
    elif cmd == "cli-time":
        cli_time(args[0], args[1])
    elif cmd == "label":
        label(args[0], args[1] if len(args) > 1 else None)
    elif cmd == "gazetteer-fields":
        gazetteer_fields()
    elif cmd == "score-alam":
        score_alam(args[0], args[1])
    elif cmd == "table":
        table(args[0])
    else:
        sys.exit(f"unknown command {cmd}")
