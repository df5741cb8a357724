// The layers of src/ point one way (docs/architecture.md): checked on the real tree, and shown to catch a
// deliberate backwards import and a deliberate cycle in a throwaway copy of src/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { layerViolations } from "./layers.js";

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "src");

function withCopy(change: (dir: string) => void): string[] {
  const dir = mkdtempSync(path.join(tmpdir(), "layers-"));
  try {
    cpSync(src, dir, { recursive: true });
    change(dir);
    return layerViolations(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("src/ imports only downwards and has no import cycle", () => {
  assert.deepEqual(layerViolations(src), []);
});

test("a deliberate backwards import (core importing api) fails the check", () => {
  const found = withCopy((dir) => appendFileSync(path.join(dir, "core", "status.ts"), '\nimport "../api/convert.js";\n'));
  assert.equal(found[0], "core/status.ts imports api/convert.ts: layer core may not import api (allowed: none)");
  assert.ok(found.slice(1).every((l) => l.startsWith("import cycle: ")), found.join("\n"));
});

test("a type-only import backwards (store importing watch) fails the check too", () => {
  const found = withCopy((dir) => appendFileSync(path.join(dir, "store", "store.ts"), '\nimport type { WatchHub } from "../watch/hub.js";\n'));
  assert.equal(found.length, 2, found.join("\n"));
  assert.match(found[0], /^store\/store\.ts imports watch\/hub\.ts: layer store may not import watch/);
  assert.match(found[1], /^import cycle: /);
});

test("one store importing the other, or a cycle inside a layer, fails the check", () => {
  const found = withCopy((dir) => {
    appendFileSync(path.join(dir, "store", "memory", "wait.ts"), '\nimport "../redis/keys.js";\n');
    appendFileSync(path.join(dir, "store", "record.ts"), '\nimport "./store.js";\n');
  });
  assert.ok(found.includes("store/memory/wait.ts imports store/redis/keys.ts: store/memory may not import store/redis"), found.join("\n"));
  assert.ok(found.some((l) => l.startsWith("import cycle: ") && l.includes("store/record.ts") && l.includes("store/store.ts")), found.join("\n"));
});
