#!/usr/bin/env python3
"""Copied unchanged (apart from this note) from the scorer that comes with the gold annotations (tools/score.py),
so that bench/ is self-contained; every tool in BENCHMARKS.md is scored by it.

Scores extracted mentions against gold annotations.

usage: score.py GOLD_DIR PREDICTIONS.jsonl [--min-f1 F]

GOLD_DIR holds NAME.gold.json files (see ../golden/README.md). PREDICTIONS.jsonl holds one JSON
object a line: {"document": NAME (the .txt file name), "mentions": [{"start", "end", "entityId"
or "entity_id", "type"}]}, offsets in code points. Prints precision, recall and F1 per type and in
all, strict (same start, end and entity) and lenient (overlapping span, same entity), and the
misses and false alarms. Exits 1 when the strict F1 in all is below --min-f1 (default 1.0).
"""
import json, os, sys
from collections import defaultdict

def load_gold(gold_dir):
    gold = {}
    for f in sorted(os.listdir(gold_dir)):
        if f.endswith(".gold.json"):
            d = json.load(open(os.path.join(gold_dir, f), encoding="utf-8"))
            gold[d["document"]] = d["mentions"]
    return gold

def eid(m):
    return m.get("entityId", m.get("entity_id", ""))

def score(gold, preds, types=None):
    """gold, preds: {document: [mention]}. Returns ({type: counts}, misses, false_alarms)."""
    c = defaultdict(lambda: defaultdict(int))
    misses, alarms = [], []
    for doc, gms in gold.items():
        req = [g for g in gms if not g.get("optional")]
        opt = [g for g in gms if g.get("optional")]
        gtypes = types or {g["type"] for g in req} | {"person", "country", "city", "organization", "initiative"}
        ps = [p for p in preds.get(doc, []) if eid(p).split(":")[0] in gtypes]
        ps = [p for p in ps if not any(p["start"] < o["end"] and o["start"] < p["end"] for o in opt)]
        for g in req:
            t = g["type"]
            c[t]["gold"] += 1
            if any(p["start"] == g["start"] and p["end"] == g["end"] and eid(p) == g["entity_id"] for p in ps):
                c[t]["strict"] += 1
            if any(p["start"] < g["end"] and g["start"] < p["end"] and eid(p) == g["entity_id"] for p in ps):
                c[t]["lenient"] += 1
            else:
                misses.append((doc, g["start"], g["end"], g["text"], g["entity_id"]))
        for p in ps:
            t = eid(p).split(":")[0]
            c[t]["pred"] += 1
            if any(p["start"] == g["start"] and p["end"] == g["end"] and eid(p) == g["entity_id"] for g in req):
                c[t]["pred_strict"] += 1
            if any(p["start"] < g["end"] and g["start"] < p["end"] and eid(p) == g["entity_id"] for g in req):
                c[t]["pred_lenient"] += 1
            else:
                alarms.append((doc, p["start"], p["end"], p.get("text", ""), eid(p)))
    return c, misses, alarms

def prf(tp_p, pred, tp_g, gold):
    p = tp_p / pred if pred else (1.0 if not gold else 0.0)
    r = tp_g / gold if gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f

def report(c, misses, alarms, out=sys.stdout):
    total = defaultdict(int)
    print(f"{'type':13} {'gold':>5} {'pred':>5}  strict P/R/F1        lenient P/R/F1", file=out)
    for t in sorted(c):
        k = c[t]
        for key, v in k.items():
            total[key] += v
        s = prf(k["pred_strict"], k["pred"], k["strict"], k["gold"])
        l = prf(k["pred_lenient"], k["pred"], k["lenient"], k["gold"])
        print(f"{t:13} {k['gold']:5} {k['pred']:5}  {s[0]:.3f} {s[1]:.3f} {s[2]:.3f}   {l[0]:.3f} {l[1]:.3f} {l[2]:.3f}", file=out)
    s = prf(total["pred_strict"], total["pred"], total["strict"], total["gold"])
    l = prf(total["pred_lenient"], total["pred"], total["lenient"], total["gold"])
    print(f"{'all':13} {total['gold']:5} {total['pred']:5}  {s[0]:.3f} {s[1]:.3f} {s[2]:.3f}   {l[0]:.3f} {l[1]:.3f} {l[2]:.3f}", file=out)
    for m in misses[:40]:
        print("missed:", *m, file=out)
    for a in alarms[:40]:
        print("false alarm:", *a, file=out)
    return s, l

if __name__ == "__main__":
    args = sys.argv[1:]
    min_f1 = 1.0
    if "--min-f1" in args:
        i = args.index("--min-f1"); min_f1 = float(args[i + 1]); del args[i:i + 2]
    gold = load_gold(args[0])
    preds = {}
    for line in open(args[1], encoding="utf-8"):
        if line.strip():
            d = json.loads(line)
            preds[d.get("document", d.get("documentId", d.get("document_id")))] = d.get("mentions", [])
    c, misses, alarms = score(gold, preds)
    s, l = report(c, misses, alarms)
    print(f"strict F1 {s[2]:.3f} lenient F1 {l[2]:.3f}")
    sys.exit(0 if s[2] >= min_f1 else 1)
