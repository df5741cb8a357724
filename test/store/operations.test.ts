// The two stores have the same shape: one Redis script per operation (redis/commands/<name>-<keys>.lua) and one
// memory file per operation (memory/commands/<name>.ts), the same list on both sides, each wired into its store.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { loadLuaCommands } from "../../src/store/redis/lua-source.js";

const src = new URL("../../src/store/", import.meta.url);
const memoryDir = new URL("memory/commands/", src);
const memoryOps = readdirSync(memoryDir)
  .filter((f) => f.endsWith(".ts"))
  .map((f) => f.slice(0, -3))
  .sort();
/** Redis upkeep, not operations: building indexes that data written by an older version lacks (the memory store holds none). */
const REDIS_UPKEEP = ["indexBuild"];
const redisScripts = loadLuaCommands().map((c) => c.name);
const redisOps = redisScripts.filter((n) => !REDIS_UPKEEP.includes(n)).sort();

test("both stores implement exactly the same list of operations", () => {
  assert.ok(redisOps.length >= 14, redisOps.join(", "));
  assert.deepEqual(memoryOps, redisOps);
});

test("each memory operation file holds one exported function, and the memory store calls every one", async () => {
  const facade = readFileSync(new URL("memory/memory-store.ts", src), "utf8");
  for (const op of memoryOps) {
    const mod = (await import(new URL(`${op}.ts`, memoryDir).href)) as Record<string, unknown>;
    const fns = Object.entries(mod).filter(([, v]) => typeof v === "function");
    assert.equal(fns.length, 1, `${op}.ts exports ${fns.map(([k]) => k).join(", ")}`);
    const [name] = fns[0];
    assert.match(facade, new RegExp(`import \\{ ${name} \\} from "\\./commands/${op}\\.js";`), `memory-store.ts imports ${op}`);
    assert.match(facade, new RegExp(`\\b${name}\\(this\\.db`), `memory-store.ts calls ${name}`);
  }
});

test("the Redis store calls every script", () => {
  const scripts = readFileSync(new URL("redis/scripts.ts", src), "utf8");
  for (const op of redisScripts) assert.match(scripts, new RegExp(`this\\.(mutate|fn)\\("${op}"`), `scripts.ts calls ${op}`);
});
