#!/usr/bin/env bash
# Compiles the server and the command line to JavaScript in dist/ (`npm run build`), so `mageflow` and
# `npm start` run no TypeScript compiler. dist/ mirrors the checkout: dist/src/main.js, the client source it
# uses (dist/clients/typescript/src) and the generated code (dist/gen/ts); the Lua scripts are copied next
# to their loader and dist/console points at the console's own build.
#
# Usage: scripts/build.sh [--if-needed]   (--if-needed: skip when dist/ is newer than every source file)
set -euo pipefail
cd "$(dirname "$0")/.."
STAMP=dist/.built
SOURCES=(src clients/typescript/src gen/ts package.json tsconfig.json tsconfig.build.json)

if [ "${1:-}" = "--if-needed" ] && [ -f "$STAMP" ] && [ -z "$(find "${SOURCES[@]}" -newer "$STAMP" -print -quit)" ]; then
  exit 0
fi
rm -rf dist
node node_modules/typescript/bin/tsc -p tsconfig.build.json
(cd src && find . -name '*.lua' -exec cp --parents {} ../dist/src/ \;)
ln -s ../console dist/console
touch "$STAMP"
echo "build: dist/src/main.js"
