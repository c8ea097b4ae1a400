#!/usr/bin/env bash
# The soak run of BENCHMARKS.md: `alam serve` on loopback for DURATION seconds (60 by default)
# under examples/soak.rs — legitimate calls of every method next to cancels, 1 ms deadlines,
# idle streams, trickled bodies and silent connections — while the gazetteers are reloaded
# (SIGHUP) every 10 s. Then, after a pause, the server's resident memory and open file
# descriptors against their values at start. Prints a Markdown table; exits 1 when a legitimate
# call failed, memory stays over 64 MiB or descriptors are left open.
#
#   bench/soak.sh        (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$CARGO_TARGET_DIR/release
cargo build --release --quiet --bin alam --example soak
WORK=$(mktemp -d)
cp gazetteers/*.toml "$WORK/"
log=$WORK/server.log
"$BIN/alam" serve --addr 127.0.0.1:0 --metrics-addr off --gazetteers "$WORK" 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -rf "$WORK"' EXIT
addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's/^alam: serving on //p' "$log"); [ -n "$addr" ] && break; sleep 0.1
done
until "$BIN/alam" probe --addr "$addr" >/dev/null 2>&1; do sleep 0.1; done
rss() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$server/status"; }
fds() { ls "/proc/$server/fd" | wc -l; }
rss_start=$(rss); fds_start=$(fds)
( for _ in $(seq 1 $((DURATION / 10))); do sleep 10; kill -HUP "$server"; done ) &
reloader=$!
result=$("$BIN/examples/soak" "$addr" "$DURATION")
wait "$reloader" || true
peak=$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$server/status")
sleep 10   # idle connections and streams close, the last calls end
rss_end=$(rss); fds_end=$(fds)
reloads=$(grep -c "gazetteers unchanged\|gazetteers reloaded" "$log" || true)
legit=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["legit_calls"])' "$result")
failed=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["legit_failures"])' "$result")
abusive=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["abusive_calls"])' "$result")
echo "date: $(date -u +%FT%TZ); $(nproc) cores; load before the pause: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| seconds | legitimate calls | failed | abusive calls | reloads | RSS start / peak / end (MiB) | fds start / end |"
echo "|---:|---:|---:|---:|---:|---|---|"
echo "| $DURATION | $legit | $failed | $abusive | $reloads | $rss_start / $peak / $rss_end | $fds_start / $fds_end |"
status=0
[ "$failed" -eq 0 ] || { echo "legitimate calls failed"; status=1; }
python3 -c "import sys; sys.exit(0 if float('$rss_end') < 64 else 1)" || { echo "resident memory stayed over 64 MiB"; status=1; }
[ "$fds_end" -le "$fds_start" ] || { echo "descriptors left open: $fds_start -> $fds_end"; status=1; }
exit $status
