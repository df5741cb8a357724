/**
 * Watch across server processes (`mageflow serve` children) sharing one private redis-server:
 * a watcher on one process sees, in order and without gaps, every change made through the
 * other; SIGTERM ends streams cleanly and a restarted process resumes from the stream.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { openRedisStore } from "../../src/store/redis/index.js";
import type { Store } from "../../src/store/store.js";
import { defaultOptions } from "../conformance/backends.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startServerProcess, type ServerProcess } from "../support/server-process.js";
import { assertWatchHistory, lastProgress } from "../support/watch-validator.js";
import { connectClient, randomOp, readLog, recordWatch, rng } from "./harness.js";

describe("watch across server processes on one Redis", { skip: redisSkipReason(), timeout: 120_000 }, () => {
  let redis: RedisServer;
  const procs: ServerProcess[] = [];
  const stores: Store[] = [];

  before(async () => {
    redis = await startRedisServer();
  });
  after(async () => {
    await Promise.all(procs.map((p) => p.kill()));
    await Promise.all(stores.map((s) => s.close()));
    await redis?.stop();
  });

  async function pair(prefix: string) {
    const [a, b] = await Promise.all([startServerProcess({ redisUrl: redis.url, redisPrefix: prefix }), startServerProcess({ redisUrl: redis.url, redisPrefix: prefix })]);
    procs.push(a, b);
    const store = await openRedisStore(redis.url, defaultOptions({ prefix }));
    stores.push(store);
    return { a, b, store };
  }

  test("a watcher on one process sees every change made through the other, in order, without gaps", async () => {
    const { a, b, store } = await pair(`p${randomUUID().slice(0, 8)}`);
    const onA = connectClient(a.baseUrl);
    const onB = connectClient(b.baseUrl);
    const whole = recordWatch(onA, { startRevision: 1 });
    const filtered = recordWatch(onA, { startRevision: 1, filter: { taskNames: ["two-a"] }, progressMs: 200 });
    // Keys B reports having created.
    const createdOnB = new Set<string>();
    const r = rng(5);
    const keys: string[] = [];
    for (let i = 0; i < 120; i++) {
      await randomOp(onB, r, keys, ["two-a", "two-b"]);
      keys.forEach((k) => createdOnB.add(k));
    }
    const end = await store.currentRevision();
    assert.ok(end > 80, `${end} revisions`);
    await Promise.all([whole.reached(end), filtered.reached(end)]);
    whole.cancel();
    filtered.cancel();
    await Promise.all([whole.done, filtered.done]);
    const log = await readLog(store);
    assert.equal(log[log.length - 1].revision, end);
    assertWatchHistory(
      [
        { name: "whole", sessions: [whole.session] },
        { name: "two-a", filter: (e) => e.taskName === "two-a", sessions: [filtered.session] },
      ],
      log,
    );
    const seen = new Set(whole.events().map((e) => e.revision));
    for (let rev = 1; rev <= end; rev++) assert.ok(seen.has(rev), `revision ${rev} seen on A`);
    const createdSeen = new Set(whole.events().filter((e) => e.type === 2 /* CREATED */).map((e) => e.key));
    for (const key of createdOnB) assert.ok(createdSeen.has(key), `creation of ${key} through B seen on A`);
  });

  test("SIGTERM ends watch streams cleanly; a restarted process resumes from the stream", async () => {
    const { a, b, store } = await pair(`p${randomUUID().slice(0, 8)}`);
    const onA = connectClient(a.baseUrl);
    const onB = connectClient(b.baseUrl);
    const r = rng(9);
    const keys: string[] = [];
    for (let i = 0; i < 20; i++) await randomOp(onB, r, keys, ["term"]);
    const w = recordWatch(onA, { startRevision: 1, progressMs: 200 });
    await w.reached(await store.currentRevision());
    assert.equal(await a.stop(), 0, "exit code 0 after SIGTERM");
    await w.done;
    assert.equal(w.session.end?.code, "OK", `ended ${JSON.stringify(w.session.end)}: ${a.stderr().slice(-2000)}`);
    // Writes go on through B while A is down; A restarts and the watch resumes where it stopped.
    for (let i = 0; i < 20; i++) await randomOp(onB, r, keys, ["term"]);
    await a.restart();
    const again = recordWatch(connectClient(a.baseUrl), { startRevision: lastProgress(w.session) + 1, progressMs: 200 });
    for (let i = 0; i < 20; i++) await randomOp(onB, r, keys, ["term"]);
    await again.reached(await store.currentRevision());
    again.cancel();
    await again.done;
    assertWatchHistory([{ name: "a", sessions: [w.session, again.session] }], await readLog(store));
  });
});
