#!/usr/bin/env bash
# Sets the release version everywhere it is written: package.json (the one the others follow),
# clients/typescript/package.json, and the Python client's _version.py. The Go module's version is its
# git tag (clients/go/vX.Y.Z, see docs/releasing.md).
#
# Usage: scripts/set-version.sh X.Y.Z
set -euo pipefail
cd "$(dirname "$0")/.."
v=${1:?usage: scripts/set-version.sh X.Y.Z}
[[ $v =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]] || { echo "set-version: '$v' is not a semantic version" >&2; exit 2; }
npm version --no-git-tag-version --allow-same-version "$v" >/dev/null
(cd clients/typescript && npm version --no-git-tag-version --allow-same-version "$v" >/dev/null)
for f in clients/python/src/*/_version.py; do
  [ -f "$f" ] && printf '__version__ = "%s"\n' "$v" > "$f"
done
echo "version $v"
