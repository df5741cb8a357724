import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { openRedisStore } from "../../src/store/redis/index.js";
import type { Store } from "../../src/store/store.js";
import { createCmd } from "../support/commands.js";
import { defaultOptions } from "../conformance/backends.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { spawnServer } from "../support/spawn-server.js";

const until = async <T>(fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("durability on Redis across server crashes", { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  let store: Store;
  const prefix = "durable";
  before(async () => {
    redis = await startRedisServer();
    store = await openRedisStore(redis.url, defaultOptions({ prefix }));
  });
  after(async () => {
    await store.close();
    await redis.stop();
  });

  it("keeps signatures across kill -9 of the server", async () => {
    const first = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix]);
    const client = (port: number) => createClient(SignatureService, createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${port}` }));
    const { signature } = await client(first.httpPort).createSignature({ taskName: "survivor", kwargs: { n: 1 } });
    await first.crash();
    const second = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix]);
    try {
      const got = await client(second.httpPort).getSignature({ key: signature!.key });
      assert.deepEqual(got.signature!.kwargs, { n: 1 });
    } finally {
      await second.stop();
    }
  });

  it("triggers a run committed before a crash once a server starts again", async () => {
    const { record } = await store.create(createCmd({ taskName: "committed-before-crash" }));
    await store.run({ key: record.key, input: { x: 1 }, metadata: {}, requestId: "", guard: {} });
    const server = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix]);
    try {
      const run = await until(async () => {
        const r = await store.get(record.key);
        return r?.run?.runId ? r.run : undefined;
      });
      assert.match(run.runId, /^rec-/);
      assert.equal(run.dispatchState, DispatchState.TRIGGERED);
    } finally {
      await server.stop();
    }
  });

  it("takes over the outbox entries of a dispatcher that died holding them", async () => {
    const { record } = await store.create(createCmd({ taskName: "claimed-by-dead" }));
    await store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
    const held = await store.outbox.read("dead-consumer", 100, 0);
    assert.ok(held.some((e) => e.key === record.key), "the dead consumer holds the entry");
    const server = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix, "--dispatch-claim-idle", "500ms"]);
    try {
      const r = await until(async () => {
        const s = await store.get(record.key);
        return s?.run?.runId ? s : undefined;
      });
      assert.equal(r.status, Status.PENDING);
    } finally {
      await server.stop();
    }
  });

  it("two servers drain one outbox together: every dispatch happens once", async () => {
    const a = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix]);
    const b = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix]);
    try {
      const keys: string[] = [];
      for (let i = 0; i < 30; i++) {
        const { record } = await store.create(createCmd({ taskName: "scale-out" }));
        await store.run({ key: record.key, input: { i }, metadata: {}, requestId: "", guard: {} });
        keys.push(record.key);
      }
      await until(async () => ((await store.getMany(keys)).every((r) => r?.run?.runId) ? true : undefined));
      const from = (await store.events.oldestRevision()) || 1;
      const events = await store.events.range(from, 100_000);
      for (const k of keys) {
        const dispatched = events.filter((e) => e.key === k && e.record.run?.runId && e.type === 6);
        assert.equal(dispatched.length, 1, `one DISPATCHED event for ${k}`);
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
