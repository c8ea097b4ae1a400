#!/usr/bin/env bash
# The live metrics exposition passes Prometheus's own linter (promtool check metrics, from
# Debian's prometheus package): a server is started on loopback, probed until SERVING with
# `alam probe`, scraped, and stopped. Then the Grafana dashboard (deploy/grafana/alam.json) and
# the alerting rules (deploy/kubernetes/components/prometheus-operator/prometheusrule.yaml) are
# checked against that exposition: every metric, label and literal label value their queries
# read must be one the server writes (.ci/queries-check.py).
#
# Usage (from the repository root): .ci/metrics-check.sh PATH/TO/alam
set -euo pipefail
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v promtool >/dev/null; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@" pyyaml; }
# Debian's system Python refuses plain installs (PEP 668); a user install still works there.
python3 -c 'import yaml' 2>/dev/null \
  || pip_install || pip_install --user || pip_install --user --break-system-packages
log=$(mktemp)
"$bin" serve --addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --drain-delay 0s 2>"$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
addr=""; metrics=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's/^alam: serving on //p' "$log")
  metrics=$(sed -n 's/^alam: metrics on //p' "$log")
  [ -n "$addr" ] && [ -n "$metrics" ] && break
  sleep 0.1
done
for _ in $(seq 1 300); do
  "$bin" probe --addr "$addr" >/dev/null 2>&1 && break
  sleep 0.1
done
"$bin" probe --addr "$addr"
python3 -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' \
  "http://$metrics/metrics" >"$log.metrics"
promtool check metrics <"$log.metrics"
echo "promtool check metrics: $(grep -c '^[a-z]' "$log.metrics") samples, no findings"
python3 "$root/.ci/queries-check.py" "$log.metrics" "$root/deploy/grafana/alam.json" \
  "$root/deploy/kubernetes/components/prometheus-operator/prometheusrule.yaml"
rm -f "$log.metrics"
