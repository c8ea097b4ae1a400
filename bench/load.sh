#!/usr/bin/env bash
# The gRPC load test and the memory/start-up figures of BENCHMARKS.md, with h2load (Debian
# nghttp2-client): Extract on a seed article and grpc.health.v1.Health/Check (the ceiling of the
# stack) at several concurrency levels, p99 at half the peak rate, ExtractBatch and ExtractStream
# in MB/s; resident memory idle and under load, start-up time to SERVING, with the default
# gazetteers and with a generated 1,000,000-alias gazetteer. Prints Markdown tables.
#
#   bench/load.sh        (from the repository root; DURATION=10 seconds per h2load run)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$CARGO_TARGET_DIR/release
WORK=bench/work
ARTICLE=tests/golden/000_597212ab044ab659.txt
mkdir -p "$WORK/load"
command -v h2load >/dev/null || { echo "h2load missing: apt-get install nghttp2-client" >&2; exit 1; }
cargo build --release --quiet --bin alam --example startup --example export_aliases
cargo build --release --quiet -p alam-engine --example throughput

python3 bench/grpc_body.py extract "$ARTICLE" "$WORK/load/extract.bin"
python3 bench/grpc_body.py health "$WORK/load/health.bin"
python3 bench/grpc_body.py batch "$ARTICLE" 64 "$WORK/load/batch.bin"
python3 bench/grpc_body.py stream "$ARTICLE" 256 "$WORK/load/stream.bin"
ARTICLE_BYTES=$(wc -c < "$ARTICLE")

echo "date: $(date -u +%FT%TZ)"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) cores)"
echo "load before: $(uptime | sed 's/.*load average/load average/')"

SERVER_PID=
stop_server() {
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap stop_server EXIT

# start_server [flags…]: sets ADDR and SERVER_PID, waits for SERVING.
start_server() {
  "$BIN/alam" serve --addr 127.0.0.1:0 --drain-delay 0s --metrics-addr off "$@" 2> "$WORK/load/server.log" &
  SERVER_PID=$!
  ADDR=
  for _ in $(seq 1 6000); do
    ADDR=$(sed -n 's/^alam: serving on //p' "$WORK/load/server.log")
    [[ -n $ADDR ]] && break
    sleep 0.01
  done
  [[ -n $ADDR ]] || { echo "the server did not start" >&2; cat "$WORK/load/server.log" >&2; exit 1; }
  for _ in $(seq 1 6000); do
    grpcurl -plaintext "$ADDR" grpc.health.v1.Health/Check 2>/dev/null | grep -q '"SERVING"' && return
    sleep 0.05
  done
  echo "the server never became SERVING" >&2; exit 1
}

rss() { awk -v f="$1:" '$1 == f {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

# check_ok PATH BODY: one call with nghttp, and its trailers must say grpc-status 0 (h2load
# counts any HTTP 200 as a success, and gRPC errors are HTTP 200 too).
check_ok() {
  local out
  out=$(nghttp -v -H 'content-type: application/grpc' -H 'te: trailers' -d "$2" "http://$ADDR$1" 2>&1 | tr -d '\0')
  grep -q 'grpc-status: 0' <<<"$out" || { echo "$1 did not answer grpc-status 0:" >&2; grep -a 'grpc-' <<<"$out" >&2; exit 1; }
}

# run NAME PATH BODY CLIENTS STREAMS [h2load flags…]: one h2load run; appends a JSON line.
run() {
  local name=$1 path=$2 body=$3 c=$4 m=$5; shift 5
  local log=$WORK/load/h2load.log out
  rm -f "$log"
  out=$(h2load -c "$c" -m "$m" -D "$DURATION" --warm-up-time=1 "$@" \
        -H 'content-type: application/grpc' -H 'te: trailers' -d "$body" --log-file="$log" \
        "http://$ADDR$path")
  printf '%s\n' "$out" > "$WORK/load/h2load.out"
  python3 - "$name" "$c" "$m" "$log" "$WORK/load/h2load.out" "$(rss VmRSS)" >> "$WORK/load/results.jsonl" <<'PY'
import json, re, sys
name, c, m, log, out, rss = sys.argv[1:7]
text = open(out).read()
req_s = float(re.search(r"finished in [^,]+, ([\d.]+) req/s", text).group(1))
ok = int(re.search(r"(\d+) succeeded", text).group(1))
failed = int(re.search(r"(\d+) failed", text).group(1))
errored = int(re.search(r"(\d+) errored", text).group(1))
status2xx = int(re.search(r"status codes: (\d+) 2xx", text).group(1))
lat = sorted(int(l.split("\t")[2]) for l in open(log) if l.strip())
pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] / 1000.0
print(json.dumps({"name": name, "clients": int(c), "streams": int(m), "req_s": req_s, "succeeded": ok,
                  "failed": failed, "errored": errored, "http_2xx": status2xx, "p50_ms": pct(0.5),
                  "p90_ms": pct(0.9), "p99_ms": pct(0.99), "max_ms": lat[-1] / 1000.0, "rss_mib": float(rss)}))
PY
}

# matrix LABEL: the h2load runs against the running server; a table.
matrix() {
  local label=$1
  : > "$WORK/load/results.jsonl"
  check_ok /alam.v1.EntityExtractorService/Extract "$WORK/load/extract.bin"
  check_ok /grpc.health.v1.Health/Check "$WORK/load/health.bin"
  check_ok /alam.v1.EntityExtractorService/ExtractBatch "$WORK/load/batch.bin"
  check_ok /alam.v1.EntityExtractorService/ExtractStream "$WORK/load/stream.bin"
  local idle_rss
  idle_rss=$(rss VmRSS)
  for level in "1 1" "4 1" "16 1" "4 16"; do
    read -r c m <<<"$level"
    run Health/Check /grpc.health.v1.Health/Check "$WORK/load/health.bin" "$c" "$m"
    run Extract /alam.v1.EntityExtractorService/Extract "$WORK/load/extract.bin" "$c" "$m"
  done
  # p99 at half of the peak Extract rate, 4 clients paced with --rps.
  local peak rps
  peak=$(python3 -c 'import json,sys; print(max(r["req_s"] for r in map(json.loads, open(sys.argv[1])) if r["name"] == "Extract"))' "$WORK/load/results.jsonl")
  rps=$(python3 -c "print(max(1, int($peak / 2 / 4)))")
  run "Extract at half peak (4 × $rps req/s)" /alam.v1.EntityExtractorService/Extract "$WORK/load/extract.bin" 4 1 --rps="$rps"
  run "ExtractBatch (64 articles)" /alam.v1.EntityExtractorService/ExtractBatch "$WORK/load/batch.bin" 2 1
  run "ExtractStream (256 articles)" /alam.v1.EntityExtractorService/ExtractStream "$WORK/load/stream.bin" 2 1
  check_ok /alam.v1.EntityExtractorService/Extract "$WORK/load/extract.bin"
  echo
  echo "### $label"
  echo "load after the h2load runs: $(uptime | sed 's/.*load average/load average/')"
  echo
  echo "| call | clients × streams | req/s | MB/s | p50 ms | p90 ms | p99 ms | max ms | ok / failed / errored | RSS MiB |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---|---:|"
  python3 - "$WORK/load/results.jsonl" "$ARTICLE_BYTES" <<'PY'
import json, sys
per = {"Extract": 1, "ExtractBatch": 64, "ExtractStream": 256}
for r in map(json.loads, open(sys.argv[1])):
    n = next((v for k, v in sorted(per.items(), key=lambda kv: -len(kv[0])) if r["name"].startswith(k)), 0)
    mbs = f"{r['req_s'] * n * int(sys.argv[2]) / 1e6:.1f}" if n else "–"
    print(f"| {r['name']} | {r['clients']} × {r['streams']} | {r['req_s']:.0f} | {mbs} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} "
          f"| {r['p99_ms']:.2f} | {r['max_ms']:.2f} | {r['succeeded']} / {r['failed']} / {r['errored']} | {r['rss_mib']:.1f} |")
PY
  echo
  echo "idle RSS before the runs $idle_rss MiB, peak RSS after them (VmHWM) $(rss VmHWM) MiB"
}

start_server
matrix "alam serve (default gazetteers)"
stop_server

# Start-up: five runs with the default gazetteers, one with the generated 1,000,000 aliases
# (plus the default entities, so that the corpus has real mentions).
echo
echo "| gazetteers | run | 'serving on' ms | SERVING ms | idle RSS MiB | peak RSS MiB |"
echo "|---|---|---:|---:|---:|---:|"
for i in 1 2 3 4 5; do
  "$BIN/examples/startup" "$BIN/alam" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"| default | $i | {r['listening_ms']:.1f} | {r['serving_ms']:.1f} | {r['idle_rss_mib']:.1f} | {r['peak_rss_mib']:.1f} |\")"
done
BIG=$WORK/big
if [[ ! -s $BIG/generated.jsonl ]]; then
  mkdir -p "$BIG"
  python3 bench/gen_gazetteer.py 1000000 "$BIG/generated.jsonl"
fi
# The entities in the fields the JSON Lines format reads (the export also carries the variants
# that loading generates again).
"$BIN/examples/export_aliases" --jsonl | python3 bench/compare.py gazetteer-fields > "$BIG/default.jsonl"
"$BIN/examples/startup" "$BIN/alam" --gazetteers "$BIG" | python3 -c "import json,sys; r=json.load(sys.stdin); print(f\"| 1,000,000 generated + default | 1 | {r['listening_ms']:.1f} | {r['serving_ms']:.1f} | {r['idle_rss_mib']:.1f} | {r['peak_rss_mib']:.1f} |\")"

# The large gazetteer under load, and in process.
start_server --gazetteers "$BIG"
check_ok /alam.v1.EntityExtractorService/Extract "$WORK/load/extract.bin"
BIG_IDLE=$(rss VmRSS)
run "Extract, 1M aliases" /alam.v1.EntityExtractorService/Extract "$WORK/load/extract.bin" 4 1
run "ExtractStream (256 articles), 1M aliases" /alam.v1.EntityExtractorService/ExtractStream "$WORK/load/stream.bin" 2 1
echo
echo "1M aliases server: idle RSS $BIG_IDLE MiB, peak RSS after load (VmHWM) $(rss VmHWM) MiB"
python3 - "$WORK/load/results.jsonl" "$ARTICLE_BYTES" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])][-2:]
for r in rows:
    n = 256 if "ExtractStream" in r["name"] else 1
    print(f"| {r['name']} | {r['clients']} × {r['streams']} | {r['req_s']:.0f} | {r['req_s'] * n * int(sys.argv[2]) / 1e6:.1f} "
          f"| {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['succeeded']} / {r['failed']} / {r['errored']} | {r['rss_mib']:.1f} |")
PY
stop_server
if [[ -s $WORK/corpus.jsonl ]]; then
  echo "in-process, 1M aliases:"
  "$BIN/examples/throughput" "$WORK/corpus.jsonl" --gazetteers "$BIG" --passes 2
fi
echo "load at the end: $(uptime | sed 's/.*load average/load average/')"
