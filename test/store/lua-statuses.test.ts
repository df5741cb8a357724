// Every status set and rule reaches the Redis scripts generated from src/core/status.ts: no hand-written Lua
// names a status, and the generated tables say exactly what the TS sets say (read back from a real Redis).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { CANCEL_ON_DISPATCH, DISPATCHABLE, IN_FLIGHT, PARKING, RUN_STEPS, RUNNABLE, START_SKIP_REASONS, TERMINAL } from "../../src/core/status.js";
import { constantsLua } from "../../src/store/redis/lua-source.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";

const COMMANDS = new URL("../../src/store/redis/commands/", import.meta.url);
const STATUS_NAMES = Object.keys(Status).filter((k) => Number.isNaN(Number(k)));

/** The code of a Lua text without its comments and string literals. */
function code(lua: string): string {
  return lua
    .replace(/--\[(=*)\[[\s\S]*?\]\1\]/g, "")
    .replace(/--[^\n]*/g, "")
    .replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, "''");
}

/** Places where hand-written Lua names a status instead of using a generated table. */
function statusLiterals(lua: string): string[] {
  const found: string[] = [];
  for (const line of code(lua).split("\n")) {
    if (/\bST\s*\./.test(line) || new RegExp(`\\b(${STATUS_NAMES.join("|")})\\b`).test(line)) found.push(line.trim());
    else if (/F\.(status|lastStatus)\)?\s*[~=<>]=?\s*\d|\b\d+\s*[~=<>]=?\s*num\(h, F\.(status|lastStatus)\)/.test(line)) found.push(line.trim());
  }
  return found;
}

const luaFiles = () => [
  ...readdirSync(COMMANDS).filter((f) => f.endsWith(".lua")),
  ...readdirSync(new URL("includes/", COMMANDS)).filter((f) => f.endsWith(".lua")).map((f) => `includes/${f}`),
];

describe("Lua scripts and the status rules", () => {
  it("no script or include names a status: every set comes from the generated constants", () => {
    const files = luaFiles();
    assert.ok(files.length >= 20, `found only ${files.join(", ")}`);
    for (const f of files) assert.deepEqual(statusLiterals(readFileSync(new URL(f, COMMANDS), "utf8")), [], f);
  });

  it("the check catches a status named by hand, by name or by number, and ignores comments and strings", () => {
    assert.deepEqual(statusLiterals("if st == ST.PENDING then return end"), ["if st == ST.PENDING then return end"]);
    assert.deepEqual(statusLiterals("local SKIP = { [SUSPENDED] = 1 }"), ["local SKIP = { [SUSPENDED] = 1 }"]);
    assert.deepEqual(statusLiterals("if num(h, F.status) == 2 then x() end"), ["if num(h, F.status) == 2 then x() end"]);
    assert.deepEqual(statusLiterals("-- PENDING runs\n--[[ ACTIVE ]]\nrefuse('TASK_NOT_ACTIVE')\nlocal ACTIVE_TTL = 1"), []);
  });

  it("every name the includes define for all scripts is documented in the file that defines it", () => {
    const includes = new URL("includes/", COMMANDS);
    const generated = [...constantsLua().matchAll(/^local (\w+)/gm)].map((m) => m[1]);
    const documented = (file: string, text: string) => {
      const comments = [...text.matchAll(/--[^\n]*/g)].map((m) => m[0]).join("\n");
      const names = [...code(text).matchAll(/^local ([A-Z_][A-Z0-9_]*(?:\s*,\s*[A-Z_][A-Z0-9_]*)*)\s*=/gm)].flatMap((m) => m[1].split(/\s*,\s*/));
      if (file === "constants.lua") names.push(...generated);
      for (const n of names) assert.match(comments, new RegExp(`\\b${n}\\b`), `${file}: ${n} is not described in a comment`);
      return names;
    };
    const all = readdirSync(includes).flatMap((f) => documented(f, readFileSync(new URL(f, includes), "utf8")));
    for (const n of ["DS", "EV", "F", "TERMINAL", "RUN_STEPS", "KEY", "NOW", "PREFIX", "SIG_KEY", "OUTBOX"]) assert.ok(all.includes(n), n);
  });

  describe("the generated tables, evaluated by Redis", { skip: redisSkipReason() }, () => {
    let server: RedisServer;
    let redis: Redis;
    before(async () => {
      server = await startRedisServer();
      redis = new Redis(server.url);
    });
    after(async () => {
      redis?.disconnect();
      await server?.stop();
    });

    const keysOf = async (table: string) => {
      const lua = `${constantsLua()}\nlocal out = {}\nfor k, v in pairs(${table}) do out[#out + 1] = { k, v } end\nreturn cjson.encode(out)`;
      const pairs = JSON.parse((await redis.eval(lua, 0)) as string) as [number, unknown][];
      return Object.fromEntries(pairs.sort((a, b) => a[0] - b[0]));
    };
    const setOf = (statuses: readonly Status[]) => Object.fromEntries([...statuses].sort((a, b) => a - b).map((s) => [s, true]));

    it("each status set says what src/core/status.ts says", async () => {
      const sets = { TERMINAL, RUNNABLE, PARKING, DISPATCHABLE, IN_FLIGHT, CANCEL_ON_DISPATCH };
      for (const [name, statuses] of Object.entries(sets)) assert.deepEqual(await keysOf(name), setOf(statuses), name);
      assert.deepEqual(await keysOf("START_SKIP_REASONS"), START_SKIP_REASONS);
    });

    it("the run steps say what src/core/status.ts says", async () => {
      const lua = `${constantsLua()}\nreturn cjson.encode(RUN_STEPS)`;
      assert.deepEqual(JSON.parse((await redis.eval(lua, 0)) as string), RUN_STEPS);
    });
  });
});
