#!/usr/bin/env bash
# The comparison of BENCHMARKS.md, in one run on one machine: builds Alam (release) and the
# Python venv, writes the 20 MB corpus, the aliases and a 100,000-alias gazetteer, then times
# Alam (CLI end to end, in process, and the engine's two ceilings: normalization alone and a raw
# Aho-Corasick scan) and the Python matchers, ROUNDS times each, interleaved (every tool once per
# round), since the machine is shared and single runs swing by 2×; scores each tool on the seed
# gold once; prints the machine, the load and the table of medians with their spread.
#
#   bench/compare.sh            (from the repository root; MB=20, ROUNDS=3 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
MB=${MB:-20}
ROUNDS=${ROUNDS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$CARGO_TARGET_DIR/release
WORK=bench/work
mkdir -p "$WORK"

cargo build --release --quiet --bin alam --example export_aliases
cargo build --release --quiet -p alam-engine --example throughput
if [[ ! -x bench/.venv/bin/python ]]; then
  python3 -m venv bench/.venv
  bench/.venv/bin/pip install --quiet -r bench/requirements.txt
fi
PY=bench/.venv/bin/python

[[ -s $WORK/corpus.jsonl ]] || python3 bench/compare.py corpus "$WORK/corpus.jsonl" "$MB"
"$BIN/examples/export_aliases" > "$WORK/aliases.tsv"
# 100,000 generated aliases and the default entities (so that the corpus keeps its mentions):
# Alam loads the directory, the Python tools get every surface of it as raw aliases.
BIG=$WORK/gaz100k
if [[ ! -s $BIG/generated.jsonl ]]; then
  mkdir -p "$BIG"
  python3 bench/gen_gazetteer.py 100000 "$BIG/generated.jsonl"
fi
"$BIN/examples/export_aliases" --jsonl | python3 bench/compare.py gazetteer-fields > "$BIG/default.jsonl"
"$BIN/examples/export_aliases" --gazetteers "$BIG" > "$WORK/aliases100k.tsv"

echo "date: $(date -u +%FT%TZ)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"

RESULTS=$WORK/results.jsonl
: > "$RESULTS"

# Alam's quality: the CLI on the seed articles, the same scorer (once: it does not vary).
"$BIN/alam" extract tests/golden/*.txt > "$WORK/alam-gold.jsonl"
QUALITY=$(python3 bench/compare.py score-alam "$WORK/alam-gold.jsonl" tests/golden)

cli_run() {
  /usr/bin/time -v "$BIN/alam" extract --jsonl < "$WORK/corpus.jsonl" > /dev/null 2> "$WORK/cli.time"
  python3 bench/compare.py cli-time "$WORK/cli.time" "$WORK/corpus.jsonl" >> "$RESULTS"
}

inprocess_run() { # LABEL EXTRA_JSON [throughput flags…]
  local label=$1 extra=$2; shift 2
  "$BIN/examples/throughput" "$WORK/corpus.jsonl" --passes 3 "$@" \
    | python3 bench/compare.py label "$label" "$extra" >> "$RESULTS"
}

python_run() { # TOOL ALIASES [--label LABEL] [--no-quality]
  local tool=$1 aliases=$2; shift 2
  "$PY" bench/compare.py run "$tool" "$aliases" "$WORK/corpus.jsonl" tests/golden "$@" >> "$RESULTS"
}

for round in $(seq 1 "$ROUNDS"); do
  echo "round $round of $ROUNDS: $(uptime | sed 's/.*load average/load average/')"
  cli_run
  inprocess_run "alam (in-process)" "$QUALITY"
  inprocess_run "alam (in-process), 100k aliases" "" --gazetteers "$BIG"
  inprocess_run "reference: normalization alone" "" --ceiling normalize
  inprocess_run "reference: raw aho-corasick DFA scan (Rust, no rules)" "" --ceiling raw-scan
  for tool in "pyahocorasick" "pyahocorasick (scan only)" "ahocorasick-rs" "ahocorasick-rs (leftmost-longest)" \
              "flashtext" "spaCy PhraseMatcher"; do
    python_run "$tool" "$WORK/aliases.tsv"
  done
  python_run "ahocorasick-rs (leftmost-longest)" "$WORK/aliases100k.tsv" --label "ahocorasick-rs (leftmost-longest), 100k aliases" --no-quality
done

echo "load after: $(uptime | sed 's/.*load average/load average/')"
python3 bench/compare.py table "$RESULTS"
