#!/usr/bin/env bash
# Builds the Python client's distributions into a folder: the sdist, then the wheel built from that sdist
# (so the wheel proves the sdist is complete). Publishing stays manual: `twine upload <dir>/mageflow_signatures-*`.
#
# Usage: scripts/release-python.sh <out-dir>
set -euo pipefail
out=${1:?usage: scripts/release-python.sh <out-dir>}
cd "$(dirname "$0")/.."
bash scripts/tools.sh >/dev/null
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Build from a copy, so the checkout gets no build/ or *.egg-info.
cp -r clients/python "$work/python"
rm -rf "$work/python/build" "$work/python/src/"*.egg-info
.tools/venv/bin/python -m build --no-isolation --outdir "$out" "$work/python" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; exit 1; }
ls "$out"/mageflow_signatures-* | sed 's/^/release-python: /'
