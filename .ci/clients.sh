#!/usr/bin/env bash
# The API as outside clients meet it, against a running `alam serve`:
# - a Python client generated from the proto with grpcio-tools calls every RPC and checks the
#   answers against the engine's, the rich status of errors, a batch with one bad item, gzip
#   (.ci/python_client.py);
# - every `$ curl` example of the README runs, and its answer has the shape the README shows;
# - the README's Python client runs;
# - /openapi.json passes openapi-spec-validator;
# - with --max-connection-age 2s, a grpcio client calling for 10 s reconnects and loses no call.
#
# Usage (from the repository root): .ci/clients.sh PATH/TO/alam
set -euo pipefail
bin=$(realpath "$1")
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
cd "$(dirname "$0")/.."

# A virtual environment of its own, pinned, so that nothing installed globally moves.
venv=${XDG_CACHE_HOME:-$HOME/.cache}/alam-ci/clients-1
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" 2>/dev/null || {
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  }
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    grpcio==1.85.3 grpcio-tools==1.85.1 grpcio-status==1.85.3 \
    googleapis-common-protos==1.76.0 protobuf==7.36.2 openapi-spec-validator==0.9.0
fi
python=$venv/bin/python

work=$(mktemp -d)
server=
aged=
cleanup() {
  for pid in $server $aged; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$work"
}
trap cleanup EXIT

echo "== Python stubs from the proto (grpcio-tools)"
# google/api and google/rpc come from googleapis-common-protos, as for any Python client.
googleapis=$("$python" -c 'import google.api, os; print(os.path.dirname(os.path.dirname(list(google.api.__path__)[0])))')
mkdir "$work/stubs"
"$python" -m grpc_tools.protoc -I "$googleapis" -I proto \
  --python_out="$work/stubs" --grpc_python_out="$work/stubs" alam/v1/extractor.proto
ls "$work/stubs/alam/v1"

max_text_bytes=4096
"$bin" serve --addr 127.0.0.1:0 --metrics-addr off --drain-delay 0s \
  --max-text-bytes "$max_text_bytes" 2>"$work/server.log" &
server=$!
addr=""
for _ in $(seq 1 300); do
  addr=$(sed -n 's/^alam: serving on //p' "$work/server.log")
  [ -n "$addr" ] && "$bin" probe --addr "$addr" >/dev/null 2>&1 && break
  sleep 0.1
done
"$bin" probe --addr "$addr" || { cat "$work/server.log"; exit 1; }

echo "== the generated Python client, every RPC"
PYTHONPATH="$work/stubs" "$python" .ci/python_client.py "$addr" "$bin" "$max_text_bytes"

echo "== the README's curl examples"
"$python" - "$addr" <<'PY'
import json, re, subprocess, sys

addr = sys.argv[1]
lines = open("README.md", encoding="utf-8").read().splitlines()
ran = 0
for i, line in enumerate(lines):
    if not line.startswith("$ curl "):
        continue
    command = line[2:].replace("localhost:50051", addr)
    out = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=True).stdout
    answer = json.loads(out)
    shown = json.loads(lines[i + 1])
    if set(answer) != set(shown):
        sys.exit(f"README line {i + 1}: the answer's fields {sorted(answer)} are not those shown {sorted(shown)}")
    if "mentions" in shown and answer["mentions"] != shown["mentions"]:
        sys.exit(f"README line {i + 1}: the mentions differ from those shown:\n{answer['mentions']}")
    if "error" in shown and answer["error"]["status"] != shown["error"]["status"]:
        sys.exit(f"README line {i + 1}: {answer['error']['status']}, not {shown['error']['status']}")
    ran += 1
    print(f"  README line {i + 1}: {command[:90]}…")
if ran < 3:
    sys.exit(f"only {ran} curl examples found in the README")
PY

echo "== the README's Python client"
"$python" - "$addr" "$work/readme_client.py" <<'PY'
import re, sys

text = open("README.md", encoding="utf-8").read()
blocks = re.findall(r"```python\n(.*?)```", text, re.S)
if not blocks:
    sys.exit("no Python client in the README")
code = blocks[0].replace("localhost:50051", sys.argv[1])
open(sys.argv[2], "w", encoding="utf-8").write(code)
print(f"  {len(code.splitlines())} lines")
PY
PYTHONPATH="$work/stubs" "$python" "$work/readme_client.py"

echo "== --max-connection-age 2s: a grpcio client calling for 10 s reconnects, no call fails"
"$bin" serve --addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --drain-delay 0s \
  --max-connection-age 2s 2>"$work/aged.log" &
aged=$!
aged_addr=""; aged_metrics=""
for _ in $(seq 1 300); do
  aged_addr=$(sed -n 's/^alam: serving on //p' "$work/aged.log")
  aged_metrics=$(sed -n 's/^alam: metrics on //p' "$work/aged.log")
  [ -n "$aged_addr" ] && [ -n "$aged_metrics" ] && "$bin" probe --addr "$aged_addr" >/dev/null 2>&1 && break
  sleep 0.1
done
PYTHONPATH="$work/stubs" "$python" .ci/reconnect_client.py "$aged_addr" "$aged_metrics"
kill "$aged" && { wait "$aged" || true; }
aged=

echo "== /openapi.json (openapi-spec-validator)"
curl -sf "http://$addr/openapi.json" >"$work/openapi.json"
"$python" -m openapi_spec_validator "$work/openapi.json"
echo "clients passed"
