#!/usr/bin/env node
// The `mageflow` command: runs the compiled JavaScript in dist/ (`npm run build` makes it).
import { existsSync } from "node:fs";

const main = new URL("../dist/src/main.js", import.meta.url);
if (!existsSync(main)) {
  console.error("mageflow: dist/src/main.js is missing: run `npm run build` in the checkout first");
  process.exit(1);
}
await import(main.href);
