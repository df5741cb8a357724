#!/usr/bin/env bash
# Runs `npm run bench` on a clean copy of the committed tree (git archive HEAD), so that
# edits in progress in the working tree do not end up in the figures. Arguments go to
# bench/run.ts (e.g. --quick). Results land in bench/results/ of this working tree.
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
commit=$(git -C "$root" rev-parse HEAD)
# A fixed path: tsx caches its transforms by path and content, so a rerun starts as fast as in the tree.
snap=/tmp/mageflow-bench-snapshot
rm -rf "$snap"
mkdir -p "$snap"
git -C "$root" archive HEAD | tar -x -C "$snap"
ln -s "$root/node_modules" "$snap/node_modules"
cd "$snap"
BENCH_COMMIT="$commit" npx tsx bench/run.ts "$@"
mkdir -p "$root/bench/results"
cp -r "$snap/bench/results/." "$root/bench/results/"
