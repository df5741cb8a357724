import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { DispatchLoop } from "../../src/dispatch/loop.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import { F } from "../../src/store/record.js";
import { Keys } from "../../src/store/redis/keys.js";
import type { Store } from "../../src/store/store.js";
import { handlers } from "../support/handlers.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";

/** The readers that block or poll in the background (the dispatch loop's), not per request. */
const BACKGROUND = new Set(["xreadgroup", "xpending", "xclaim"]);

const backend = backends().find((b) => b.name === "redis");

describe("Redis commands per mutation (MONITOR on the test's own redis-server)", { skip: backend ? redisSkipReason() : "Redis backend not selected" }, () => {
  const prefix = `c${randomUUID().slice(0, 8)}`;
  let store: Store;
  let api: ReturnType<typeof handlers>;
  let client: Redis;
  let monitor: Redis;
  const seen: { cmd: string; args: string[] }[] = [];

  before(async () => {
    store = await backend!.open({ prefix });
    api = handlers(store);
    const url = await backend!.redisUrl!();
    client = new Redis(url);
    const origin = new Redis(url);
    monitor = await origin.monitor();
    origin.disconnect();
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua") seen.push({ cmd: String(args[0]).toLowerCase(), args: args.slice(1).map(String) });
    });
  });
  after(async () => {
    monitor?.disconnect();
    client?.disconnect();
    await backend!.shutdown();
  });

  /** Where the monitor saw a marker command sent now (so everything sent before it is counted). */
  const mark = async () => {
    const id = randomUUID();
    await client.echo(id);
    for (;;) {
      const i = seen.findIndex((c) => c.cmd === "echo" && c.args[0] === id);
      if (i >= 0) return i;
      await sleep(5);
    }
  };
  /** The commands clients sent to Redis while `fn` ran (commands run inside scripts not included). */
  const commandsOf = async (fn: () => Promise<unknown>) => {
    const begin = await mark();
    await fn();
    return seen.slice(begin + 1, await mark()).map((c) => c.cmd);
  };

  it("UpdateSignature is one EVALSHA, with no HGETALL, whether it merges or replaces", async () => {
    const { key } = await api.create({ taskName: "t", kwargs: { a: 1 } });
    await api.update({ key, kwargs: { warm: 1 } });
    assert.deepEqual(await commandsOf(() => api.update({ key, kwargs: { b: 2 }, metadata: { env: "x" } })), ["evalsha"]);
    assert.deepEqual(await commandsOf(() => api.update({ key, kwargs: { c: 3 }, updateMask: { paths: ["kwargs"] } })), ["evalsha"]);
  });

  it("RunSignature is one script call without an input schema, two with one", async () => {
    const plain = await api.create({ taskName: "t", kwargs: { a: 1 } });
    const typed = await api.create({ taskName: "t", kwargs: { a: 1 }, inputSchema: { type: "object" } });
    const warm = await api.create({ taskName: "t" });
    await api.run({ key: warm.key });
    assert.deepEqual(await commandsOf(() => api.run({ key: plain.key, message: { m: 1 } })), ["evalsha"]);
    assert.deepEqual(await commandsOf(() => api.run({ key: typed.key, message: { m: 1 } })), ["evalsha", "evalsha"]);
  });

  it("the dispatch loop triggers from the outbox entry (no read) and records the dispatch with its entry in one script call", async () => {
    const own = `d${randomUUID().slice(0, 8)}`;
    const keys = new Keys(own);
    const dispatched = await backend!.open({ prefix: own });
    const api = handlers(dispatched);
    const runAndWait = async () => {
      const { key } = await api.create({ taskName: "t" });
      await api.run({ key });
      while (!(await client.hget(keys.sig(key), F.runId))) await sleep(10);
    };
    const loop = new DispatchLoop(dispatched, new RecordingDispatcher());
    loop.start();
    try {
      await runAndWait();
      const commands = (await commandsOf(runAndWait)).filter((c) => !BACKGROUND.has(c) && c !== "hget");
      assert.deepEqual(commands, ["evalsha", "evalsha", "evalsha"], "create, run, the loop's markDispatched (no HGETALL, no MULTI/XACK/XDEL/EXEC)");
      assert.equal(await client.xlen(keys.outbox), 0);
    } finally {
      await loop.stop();
    }
  });
});
