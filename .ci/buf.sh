#!/usr/bin/env bash
# The contract's style and compatibility with buf (npm's @bufbuild/buf, pinned): `buf lint` with
# the STANDARD rules of buf.yaml, and `buf breaking` against the previous commit, so that a change
# that would break v1's clients fails CI unless it is meant (then the commit says so, and the
# check passes again from the next one).
#
# Usage (from the repository root): .ci/buf.sh
set -euo pipefail
cd "$(dirname "$0")/.."
BUF_VERSION=1.75.0

prefix=${XDG_CACHE_HOME:-$HOME/.cache}/alam-ci/buf-$BUF_VERSION
if [ ! -x "$prefix/node_modules/.bin/buf" ]; then
  command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }
  mkdir -p "$prefix"
  npm install --silent --no-audit --no-fund --prefix "$prefix" "@bufbuild/buf@$BUF_VERSION" >/dev/null
fi
buf=$prefix/node_modules/.bin/buf
"$buf" --version

echo "== buf lint"
"$buf" lint
echo "buf lint: no findings"

echo "== buf breaking against the previous commit"
if ! git rev-parse --verify --quiet HEAD~1 >/dev/null; then
  git fetch --quiet --deepen=1 2>/dev/null || true
fi
if ! git rev-parse --verify --quiet HEAD~1 >/dev/null; then
  echo "no previous commit in this clone: skipped"
elif ! git cat-file -e HEAD~1:buf.yaml 2>/dev/null; then
  echo "the previous commit has no buf.yaml (it predates the v1 contract's checks): skipped"
else
  "$buf" breaking --against '.git#ref=HEAD~1'
  echo "buf breaking: the contract is compatible with the previous commit's"
fi
