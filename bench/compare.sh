#!/usr/bin/env bash
# The comparison of BENCHMARKS.md, in one run on one machine: builds Alam (release) and the
# Python venv, writes the 20 MB corpus and the aliases, then times and scores Alam (CLI end to
# end and in-process) and the Python matchers; prints the machine, the load and the table.
#
#   bench/compare.sh            (from the repository root; MB=20 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-20}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$CARGO_TARGET_DIR/release
WORK=bench/work
mkdir -p "$WORK"

cargo build --release --quiet --bin alam --example export_aliases --example throughput
if [[ ! -x bench/.venv/bin/python ]]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet -r bench/requirements.txt
fi
PY=bench/.venv/bin/python

[[ -s $WORK/corpus.jsonl ]] || python3 bench/compare.py corpus "$WORK/corpus.jsonl" "$MB"
"$BIN/examples/export_aliases" > "$WORK/aliases.tsv"

echo "date: $(date -u +%FT%TZ)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"

RESULTS=$WORK/results.jsonl
: > "$RESULTS"

# Alam, CLI end to end: read JSON Lines, extract, write JSON Lines (to /dev/null).
/usr/bin/time -v "$BIN/alam" extract --jsonl < "$WORK/corpus.jsonl" > /dev/null 2> "$WORK/cli.time"
python3 - "$WORK/cli.time" "$WORK/corpus.jsonl" >> "$RESULTS" <<'PY'
import json, os, sys
t = {}
for line in open(sys.argv[1]):
    k, _, v = line.strip().rpartition(": ")
    t[k] = v
h, m, s = (["0", "0"] + t["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":"))[-3:]
wall = int(h) * 3600 + int(m) * 60 + float(s)
mb = sum(len(json.loads(l)["text"].encode()) for l in open(sys.argv[2])) / 1e6
print(json.dumps({"tool": "alam extract --jsonl (CLI, end to end)", "mb": mb, "run_s": wall,
                  "mb_per_s": mb / wall, "peak_rss_mib": int(t["Maximum resident set size (kbytes)"]) / 1024}))
PY
# Alam's quality: the CLI on the seed articles, the same scorer.
"$BIN/alam" extract tests/golden/*.txt > "$WORK/alam-gold.jsonl"
"$BIN/examples/throughput" "$WORK/corpus.jsonl" --passes 5 > "$WORK/alam-inprocess.json"
python3 - "$WORK/alam-inprocess.json" "$(python3 bench/compare.py score-alam "$WORK/alam-gold.jsonl" tests/golden)" >> "$RESULTS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); r.update(json.loads(sys.argv[2])); print(json.dumps(r))
PY

for tool in "pyahocorasick" "pyahocorasick (scan only)" "ahocorasick-rs" "ahocorasick-rs (leftmost-longest)" \
            "flashtext" "spaCy PhraseMatcher"; do
  "$PY" bench/compare.py run "$tool" "$WORK/aliases.tsv" "$WORK/corpus.jsonl" tests/golden >> "$RESULTS"
done

echo "load after: $(uptime | sed 's/.*load average/load average/')"
python3 bench/compare.py table "$RESULTS"
