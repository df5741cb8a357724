#!/usr/bin/env bash
# Builds the Hatchet engine (hatchet-lite, hatchet-admin, hatchet-migrate) once, from its Go module, into a
# cache outside the checkout keyed by version. Prints the bin directory. Reuses a finished build.
#   HATCHET_VERSION          engine version (default v0.105.0, the newest the Go proxy serves here)
#   MAGEFLOW_CACHE           cache root (default ~/.cache/mageflow-signatures)
set -euo pipefail
VERSION=${HATCHET_VERSION:-v0.105.0}
CACHE=${MAGEFLOW_CACHE:-$HOME/.cache/mageflow-signatures}
DEST="$CACHE/hatchet/$VERSION"
BIN="$DEST/bin"
if [ -x "$BIN/hatchet-lite" ] && [ -x "$BIN/hatchet-admin" ] && [ -x "$BIN/hatchet-migrate" ]; then
  echo "$BIN"; exit 0
fi
mkdir -p "$DEST"
exec 9>"$DEST/.lock"
flock 9
if [ -x "$BIN/hatchet-lite" ] && [ -x "$BIN/hatchet-admin" ] && [ -x "$BIN/hatchet-migrate" ]; then
  echo "$BIN"; exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# `go install ...@version` asks the proxy for the version list (403 here); download the module instead.
(cd "$work" && go mod init hatchet-fetch >/dev/null 2>&1 && GOFLAGS=-mod=mod go mod download -json "github.com/hatchet-dev/hatchet@$VERSION" >"$work/dl.json") >&2
dir=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Dir"])' "$work/dl.json")
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
mkdir -p "$BIN.tmp"
(cd "$work/src" && GOFLAGS=-mod=mod go build -ldflags "-X main.Version=$VERSION" -o "$BIN.tmp/" \
  ./cmd/hatchet-lite ./cmd/hatchet-admin ./cmd/hatchet-migrate) >&2
rm -rf "$BIN" && mv "$BIN.tmp" "$BIN"
echo "$BIN"
