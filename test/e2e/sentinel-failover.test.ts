/**
 * A Sentinel failover during writes (one primary, one replica, three Sentinels), with
 * REDIS_WAIT_REPLICAS=1: every acknowledged change survives, watchers resume, and the dispatch
 * outbox drains with each run triggered once. Watchers receive only changes the replica has (the event
 * log confirms what it reads with WAIT), so none sees a change the failover loses.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import { openRedisStore } from "../../src/store/redis/index.js";
import { defaultOptions } from "../conformance/backends.js";
import { redisSkipReason } from "../support/redis-server.js";
import { startRedisSentinel } from "../support/redis-sentinel.js";
import { startTestServer } from "../support/server.js";
import { assertWatchHistory, type WClient, type WEvent } from "../support/watch-validator.js";
import { grpcClient, readLog, ResumingWatcher, sleep, until } from "../watch/harness.js";

describe("Sentinel failover during writes, with WAIT for one replica", { skip: redisSkipReason(), timeout: 180_000 }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  /** Triggers per signature key at the recording dispatcher. */
  const triggers = new Map<string, number>();
  const watched: WClient[] = [];
  const history: WEvent[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });

  test("nothing acknowledged is lost; watchers resume; the outbox drains", async () => {
    const sentinel = await startRedisSentinel();
    cleanup.push(() => sentinel.stop());
    const prefix = "failover";
    const dispatcher = new RecordingDispatcher();
    const server = await startTestServer({ redisUrl: sentinel.url, redisPrefix: prefix, redisWaitReplicas: "1", redisWaitTimeout: "2s" }, dispatcher);
    cleanup.push(() => server.close(1000));
    const baseUrl = `http://127.0.0.1:${server.httpPort}`;
    const grpcUrl = `http://127.0.0.1:${server.grpcPort}`;
    const watchers = [
      new ResumingWatcher("connect", () => baseUrl, 1, { progressMs: 200 }).run(),
      new ResumingWatcher("grpc", () => grpcUrl, 1, { progressMs: 200 }, grpcClient).run(),
    ];

    const created = new Set<string>();
    const ran = new Set<string>();
    const stats = { acknowledged: 0, unavailable: 0, other: [] as string[] };
    let writing = true;
    const writers = Array.from({ length: 4 }, async () => {
      const client = grpcClient(grpcUrl);
      while (writing) {
        try {
          const { signature } = await client.createSignature({ taskName: "failover" }, { timeoutMs: 5000 });
          const key = signature!.key;
          created.add(key);
          stats.acknowledged++;
          await client.runSignature({ key, requestId: `run-${key}` }, { timeoutMs: 5000 });
          ran.add(key);
          stats.acknowledged++;
        } catch (e) {
          const ce = ConnectError.from(e);
          if (ce.code === Code.Unavailable || ce.code === Code.DeadlineExceeded) stats.unavailable++;
          else stats.other.push(`${Code[ce.code]}: ${ce.rawMessage}`);
          await sleep(50);
        }
      }
    });

    await until("writes before the failover", () => stats.acknowledged >= 100, 30_000);
    const before = stats.acknowledged;
    const { from, to } = await sentinel.failover();
    await until("writes after the failover", () => stats.acknowledged >= before + 100, 30_000);
    writing = false;
    await Promise.all(writers);

    const store = await openRedisStore(sentinel.url, defaultOptions({ prefix }));
    cleanup.push(() => store.close());
    const end = await store.currentRevision();
    await until(`watchers at ${end} (${watchers.map((w) => w.progress).join(", ")})`, () => watchers.every((w) => w.progress >= end), 20_000);
    await Promise.all(watchers.map((w) => w.stop()));
    console.log(`failover ${from} -> ${to}: ${JSON.stringify({ ...stats, created: created.size, ran: ran.size, revision: end })}`);
    assert.deepEqual(stats.other, [], "only UNAVAILABLE while the primary changes");

    // Every acknowledged create and run is there, on the new primary.
    const records = await store.getMany([...created]);
    assert.equal(records.filter((r) => r === undefined).length, 0, "every acknowledged signature survived");
    for (const r of records) if (ran.has(r!.key)) assert.ok(r!.run, `the acknowledged run of ${r!.key} survived`);

    // Checked by the todo test below.
    watched.push(...watchers.map((w) => ({ name: w.name, sessions: w.sessions })));
    history.push(...(await readLog(store)));
    assert.ok(watchers.every((w) => w.progress >= end), "watchers resumed up to the new primary's revision");

    // The outbox drains, and each run reached the engine exactly once.
    await until("the outbox to drain", async () => (await store.outbox.stats()).entries === 0, 30_000);
    for (const t of dispatcher.triggers) triggers.set(t.key, (triggers.get(t.key) ?? 0) + 1);
    for (const key of ran) assert.ok((triggers.get(key) ?? 0) >= 1, `run of ${key} triggered`);
  });

  test("watchers see every revision once, as the store's history has it, across the failover", () => {
    assert.ok(watched.length > 0, "the failover test ran");
    assertWatchHistory(watched, history);
    for (const w of watched) {
      const seen = w.sessions.flatMap((s) => s.messages.flatMap((m) => m.events.map((e) => e.revision)));
      assert.equal(new Set(seen).size, new Set(history.map((e) => e.revision)).size, `${w.name} saw every revision`);
    }
  });

  test("each run is triggered exactly once across the failover", () => {
    assert.ok(triggers.size > 0, "the failover test ran");
    const twice = [...triggers].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], `${twice.length} runs triggered more than once`);
  });
});
