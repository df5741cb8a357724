#!/usr/bin/env bash
# Builds the Go client module (clients/go: the client and its generated code) as a module proxy folder,
# <out-dir>/goproxy, holding mageflow.dev/signatures/clients/go at v<version of package.json>: usable as
# GOPROXY=file://<out-dir>/goproxy, or served as-is by any static web server. Publishing stays manual: tag
# the commit clients/go/v<version> in the repository the vanity import path points at (docs/clients/go.md).
#
# Usage: scripts/release-go.sh <out-dir>
set -euo pipefail
out=${1:?usage: scripts/release-go.sh <out-dir>}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)
version="v$(node -p 'require("./package.json").version')"
stamp=$(git log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)
(cd scripts/gomodproxy && go run . -module mageflow.dev/signatures/clients/go -version "$version" \
  -dir ../../clients/go -out "$out/goproxy" -time "$stamp")
echo "release-go: $out/goproxy/mageflow.dev/signatures/clients/go/@v/$version.zip"
