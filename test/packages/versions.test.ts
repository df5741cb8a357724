// One version for every artifact: package.json's, which scripts/set-version.sh writes everywhere.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { REPO_ROOT } from "../client/live-server.js";

const read = (file: string) => readFileSync(path.join(REPO_ROOT, file), "utf8");

test("the TypeScript and Python packages carry the version of package.json", () => {
  const version = (JSON.parse(read("package.json")) as { version: string }).version;
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.equal((JSON.parse(read("clients/typescript/package.json")) as { version: string }).version, version);
  assert.equal(/__version__ = "([^"]+)"/.exec(read("clients/python/src/mageflow_signatures/_version.py"))?.[1], version);
});
