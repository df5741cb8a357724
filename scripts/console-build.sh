#!/usr/bin/env bash
# Builds the web console (console/ → console/dist, served by the server at /console): installs its
# pinned packages when console/node_modules is missing or older than its lock file, type-checks, bundles
# with vite, and prints the bundle's size. Run from anywhere; needs the root `npm ci` first (the console
# imports the generated protobuf code in gen/ts).
set -euo pipefail
cd "$(dirname "$0")/../console"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npx tsc -p tsconfig.json
npx vite build --logLevel warn
echo "console bundle (console/dist):"
find dist -type f -printf '%s %p\n' | sort -k2 | while read -r size file; do
  printf '  %-40s %8d bytes  %8d gzip\n' "$file" "$size" "$(gzip -9c "$file" | wc -c)"
done
