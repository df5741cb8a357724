#!/usr/bin/env bash
# Builds every client package into one folder, ready to publish (publishing is manual: docs/releasing.md):
#   typescript  the npm tarball of @mageflow/signatures-client (npm run build:client, then npm pack)
#   python      scripts/release-python.sh <dir>: sdist and wheel, when that script exists
#   go          scripts/release-go.sh <dir>: <dir>/goproxy, the Go module as a file-based GOPROXY, when that script exists
# Every artifact carries the version of the root package.json; the script stops when a package disagrees.
#
# Usage: scripts/release.sh [out-dir] [typescript|python|go ...]   (default: release/, all three)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
out=${1:-release}
shift || true
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(typescript python go)
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(node -p 'require("./package.json").version')
ts_version=$(node -p 'require("./clients/typescript/package.json").version')
[ "$ts_version" = "$version" ] || { echo "release: clients/typescript/package.json is $ts_version, package.json $version (scripts/set-version.sh)" >&2; exit 1; }

for part in "${parts[@]}"; do
  case $part in
    typescript)
      npm run --silent build:client >/dev/null
      (cd clients/typescript && npm pack --silent --pack-destination "$out" >/dev/null)
      echo "release: $out/mageflow-signatures-client-$version.tgz"
      ;;
    python | go)
      script=scripts/release-$part.sh
      if [ -f "$script" ]; then bash "$script" "$out"; else echo "release: $script missing: no $part artifact" >&2; fi
      ;;
    *) echo "release: unknown part '$part' (typescript, python, go)" >&2; exit 2 ;;
  esac
done
(cd "$out" && find . -type f ! -name SHA256SUMS | sort | xargs sha256sum > SHA256SUMS)
echo "release: $version in $out (SHA256SUMS beside the files)"
