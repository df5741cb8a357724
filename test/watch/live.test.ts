/**
 * WatchSignatures against a live server, on both stores: the memory store in-process, and
 * the Redis store on a private redis-server and on a private Redis Cluster (skipped locally without
 * redis-server; CI has it).
 * Every recorded history goes through the validator against the store's full event log.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, test } from "node:test";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import type { SettingName } from "../../src/config.js";
import type { RunningServer } from "../../src/server/server.js";
import { startRedisCluster } from "../support/redis-cluster.js";
import { redisSkipReason, startRedisServer } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";
import { assertWatchHistory, checkBookmarkable, checkSnapshotThenLive, INITIAL, lastProgress, type WEvent } from "../support/watch-validator.js";
import { connectClient, createPair, grpcClient, narrowClient, randomOp, readLog, recordWatch, rng, sleep, until, type SigClient } from "./harness.js";

const CREATED = 2;
const UPDATED = 3;
const REMOVED = 9;

interface Live {
  server: RunningServer;
  /** Watches go through the Connect port (Connect protocol, HTTP/2). */
  client: SigClient;
  /** Writes go through the gRPC port (the generated client over the gRPC protocol). */
  writer: SigClient;
  baseUrl: string;
  log(): Promise<WEvent[]>;
  revision(): Promise<number>;
  close(graceMs?: number): Promise<void>;
}

for (const kind of ["memory", "redis", "redis-cluster"] as const) {
  const skip = kind !== "memory" ? redisSkipReason() : undefined;
  describe(`watch (${kind} store)`, { skip, timeout: 300_000 }, () => {
    let redis: { url: string; stop(): Promise<void> } | undefined;
    const open: Live[] = [];

    before(async () => {
      if (kind === "redis") redis = await startRedisServer();
      if (kind === "redis-cluster") redis = await startRedisCluster();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((l) => l.close()));
    });
    after(async () => {
      await redis?.stop();
    });

    async function live(flags: Partial<Record<SettingName, string>> = {}): Promise<Live> {
      const server = await startTestServer(redis ? { redisUrl: redis!.url, redisPrefix: `w${randomUUID().slice(0, 8)}`, ...flags } : flags);
      const baseUrl = `http://127.0.0.1:${server.httpPort}`;
      let closed = false;
      const l: Live = {
        server,
        client: connectClient(baseUrl),
        writer: grpcClient(`http://127.0.0.1:${server.grpcPort}`),
        baseUrl,
        log: () => readLog(server.store),
        revision: () => server.store.currentRevision(),
        async close(graceMs = 1000) {
          if (closed) return;
          closed = true;
          await server.close(graceMs);
        },
      };
      open.push(l);
      return l;
    }

    test("start_revision replays the retained history, then goes live without a gap", async () => {
      const l = await live();
      const pair = await createPair(l.writer);
      for (let i = 0; i < 5; i++) await l.writer.createSignature({ taskName: "replay", kwargs: { i } });
      await l.writer.removeSignature({ key: pair.parent, withSuccess: true }); // two events, one revision
      const before = await l.revision();
      const w = recordWatch(l.client, { startRevision: 2 });
      await w.reached(before);
      for (let i = 0; i < 5; i++) await l.writer.updateSignature({ key: pair.callback, kwargs: { i } }).catch(() => l.writer.createSignature({ taskName: "live", kwargs: { i } }));
      for (let i = 0; i < 5; i++) await l.writer.createSignature({ taskName: "live", kwargs: { i } });
      const end = await l.revision();
      await w.reached(end);
      w.cancel();
      await w.done;
      const log = await l.log();
      assertWatchHistory([{ name: "replay", sessions: [w.session] }], log);
      const revs = w.events().map((e) => e.revision);
      assert.equal(revs[0], 2);
      assert.equal(revs[revs.length - 1], end);
      const removal = w.session.messages.find((m) => m.events.some((e) => e.type === REMOVED))!;
      assert.equal(removal.events.filter((e) => e.type === REMOVED).length, 2, "both REMOVED events of one revision in one message");
    });

    test("a start_revision in the future delivers nothing before it", async () => {
      const l = await live();
      await l.writer.createSignature({ taskName: "f", kwargs: {} });
      const now = await l.revision();
      const w = recordWatch(l.client, { startRevision: now + 3 });
      await sleep(100);
      for (let i = 0; i < 5; i++) await l.writer.createSignature({ taskName: "f", kwargs: { i } });
      await w.reached(now + 5);
      w.cancel();
      await w.done;
      assert.deepEqual(w.events().map((e) => e.revision), [now + 3, now + 4, now + 5]);
      assertWatchHistory([{ name: "future", sessions: [w.session] }], await l.log());
    });

    test("send_initial: snapshot, bookmark, then live changes with no gap and no duplicate", async () => {
      const l = await live();
      const keys: string[] = [];
      for (let i = 0; i < 30; i++) keys.push((await l.writer.createSignature({ taskName: "snap", kwargs: { i } })).signature!.key);
      const r = rng(7);
      let writing = true;
      const writer = (async () => {
        while (writing) await randomOp(l.writer, r, keys, ["snap"]);
      })();
      await sleep(50);
      const watches = [recordWatch(l.client, { sendInitial: true }), recordWatch(l.client, { sendInitial: true, filter: { statuses: [Status.PENDING] } })];
      await sleep(300);
      writing = false;
      await writer;
      const end = await l.revision();
      await Promise.all(watches.map((w) => w.reached(end)));
      watches.forEach((w) => w.cancel());
      await Promise.all(watches.map((w) => w.done));
      const log = await l.log();
      const pending = (e: WEvent) => e.status === Status.PENDING;
      assert.deepEqual(checkSnapshotThenLive(watches[0].session, log), []);
      assert.deepEqual(checkSnapshotThenLive(watches[1].session, log, pending), []);
      for (const w of watches) {
        const initial = w.events().filter((e) => e.type === INITIAL);
        assert.ok(initial.length > 0, "the snapshot is not empty");
        const bm = w.session.messages.findIndex((m) => m.bookmark);
        assert.ok(w.session.messages.slice(0, bm).every((m) => m.events.every((e) => e.type === INITIAL)), "only INITIAL events before the bookmark");
      }
      assert.ok(watches[1].events().filter((e) => e.type === INITIAL).every(pending));
    });

    test("bookmarks while idle, at the requested progress_interval, carrying the store revision", async () => {
      const l = await live();
      await l.writer.createSignature({ taskName: "idle", kwargs: {} });
      const rev = await l.revision();
      const w = recordWatch(l.client, { progressMs: 200 });
      await sleep(1150);
      w.cancel();
      await w.done;
      const bms = w.session.messages.filter((m) => m.bookmark);
      assert.ok(bms.length >= 4 && bms.length <= 6, `${bms.length} bookmarks in 1.15 s at 200 ms`);
      assert.ok(bms.every((m) => m.revision === rev), "each bookmark carries the current revision");
      // Arrival times jitter with the client's event loop; their mean is the server's interval.
      const gaps = w.times.slice(1).map((t, i) => t - w.times[i]);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      assert.ok(mean >= 170 && mean <= 300 && gaps.every((g) => g >= 80 && g <= 500), `intervals ${gaps}`);
      assert.equal(w.session.end?.code, "Canceled");
    });

    test("filters on keys, task names and statuses; bookmarks still carry global revisions", async () => {
      const l = await live();
      const a = (await l.writer.createSignature({ taskName: "alpha", kwargs: {} })).signature!.key;
      const b = (await l.writer.createSignature({ taskName: "beta", kwargs: {} })).signature!.key;
      const start = (await l.revision()) + 1;
      const byKey = recordWatch(l.client, { startRevision: start, filter: { keys: [a] }, progressMs: 150 });
      const byTask = recordWatch(l.client, { startRevision: start, filter: { taskNames: ["beta"] }, progressMs: 150 });
      const byStatus = recordWatch(l.client, { startRevision: start, filter: { statuses: [Status.SUSPENDED] }, progressMs: 150 });
      const both = recordWatch(l.client, { startRevision: start, filter: { taskNames: ["alpha", "beta"], statuses: [Status.PENDING] }, progressMs: 150 });
      await l.writer.updateSignature({ key: a, kwargs: { x: 1 } });
      await l.writer.suspendSignature({ key: b });
      await l.writer.resumeSignature({ key: b });
      await l.writer.suspendSignature({ key: a });
      await l.writer.createSignature({ taskName: "gamma", kwargs: {} });
      for (let i = 0; i < 3; i++) await l.writer.createSignature({ taskName: "other", kwargs: { i } });
      const end = await l.revision();
      const ws = [byKey, byTask, byStatus, both];
      // Nothing after `a`'s suspension matches byKey: only a bookmark can tell it about `end`.
      await Promise.all(ws.map((w) => w.reached(end)));
      await sleep(200);
      ws.forEach((w) => w.cancel());
      await Promise.all(ws.map((w) => w.done));
      const log = await l.log();
      const filters = [
        (e: WEvent) => e.key === a,
        (e: WEvent) => e.taskName === "beta",
        (e: WEvent) => e.status === Status.SUSPENDED,
        (e: WEvent) => ["alpha", "beta"].includes(e.taskName) && e.status === Status.PENDING,
      ];
      assertWatchHistory(ws.map((w, i) => ({ name: `filter${i}`, filter: filters[i], sessions: [w.session] })), log);
      assert.deepEqual(byKey.events().map((e) => e.type), [UPDATED, 4 /* STATUS_CHANGED */]);
      assert.deepEqual(byTask.events().map((e) => e.status), [Status.SUSPENDED, Status.PENDING]);
      assert.deepEqual(byStatus.events().map((e) => e.key), [b, a]);
      assert.deepEqual(both.events().map((e) => e.key), [a, b]);
      for (const w of ws) {
        const bm = w.session.messages.filter((m) => m.bookmark);
        assert.ok(bm.length > 0 && bm[bm.length - 1].revision === end, "the last bookmark is the global revision");
      }
    });

    test("a start revision before the retained history fails with REVISION_COMPACTED and oldest_revision", async () => {
      const l = await live({ historyMax: "10" });
      for (let i = 0; i < 40; i++) await l.writer.createSignature({ taskName: "compact", kwargs: { i } });
      const oldest = await l.server.store.events.oldestRevision();
      assert.ok(oldest > 2, `history was trimmed (oldest ${oldest})`);
      const w = recordWatch(l.client, { startRevision: 1 });
      await w.done;
      assert.equal(w.session.end?.code, "FailedPrecondition");
      assert.equal(w.session.end?.reason, "REVISION_COMPACTED");
      assert.equal(w.session.end?.metadata?.oldest_revision, String(oldest));
      assert.equal(w.session.messages.length, 0, "fails fast, before any message");
      const ok = recordWatch(l.client, { startRevision: oldest });
      await ok.reached(40);
      ok.cancel();
      await ok.done;
      assert.equal(ok.events()[0].revision, oldest);
      assertWatchHistory([{ name: "from-oldest", sessions: [ok.session] }], await l.log());
    });

    test("a slow subscriber falls behind, holds no queue, and catches up from the history while writers keep going", { timeout: 60_000 }, async () => {
      // 200 events of slack keep the watcher that reads from falling behind because of a busy machine's hiccup.
      const l = await live({ watchBuffer: "200" });
      await l.writer.createSignature({ taskName: "slow", kwargs: {} });
      const start = await l.revision();
      const slow = recordWatch(narrowClient(l.baseUrl), { startRevision: start });
      const fast = recordWatch(connectClient(l.baseUrl), { startRevision: start });
      await slow.reached(start);
      slow.pause();
      // Writers go on, never waiting for the stalled watcher: 1000 writes of ~2 KB are far more
      // than its 200-event buffer plus what the transport holds (an 8 KB HTTP/2 window).
      const big = { blob: "x".repeat(2000) };
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let i = 0; i < 125; i++) await l.writer.createSignature({ taskName: "slow", kwargs: { ...big, w, i } });
        }),
      );
      const writeMs = Date.now() - t0;
      const end = await l.revision();
      assert.ok(l.server.namespaces.opened("default")!.hub.cutOff.tooSlow >= 1, "the stalled watcher fell behind");
      slow.resume();
      await slow.reached(end, 20_000);
      await fast.reached(end, 20_000);
      assert.equal(slow.session.end, undefined, "the slow watcher caught up from the history, not ended");
      assert.equal(fast.session.end, undefined, "the watcher that kept up is still there");
      slow.cancel();
      fast.cancel();
      await Promise.all([slow.done, fast.done]);
      assertWatchHistory(
        [
          { name: "slow", sessions: [slow.session] },
          { name: "fast", sessions: [fast.session] },
        ],
        await l.log(),
      );
      assert.ok(writeMs < 30_000, `1000 writes took ${writeMs} ms`);
    });

    test("client cancellation ends the stream cleanly; the server goes on serving", async () => {
      const l = await live();
      const ws = Array.from({ length: 5 }, () => recordWatch(connectClient(l.baseUrl), { progressMs: 100 }));
      await until("a bookmark on each", () => ws.every((w) => w.session.messages.length > 0));
      ws.forEach((w) => w.cancel());
      const ends = await Promise.all(ws.map((w) => w.done));
      assert.ok(ends.every((s) => s.end?.code === "Canceled"));
      const start = (await l.revision()) + 1;
      const w = recordWatch(l.client, { startRevision: start });
      await l.writer.createSignature({ taskName: "after-cancel", kwargs: {} });
      await w.reached(start);
      w.cancel();
      await w.done;
      // No cancelled stream is left behind to hold the shutdown up to its grace period (5 s here).
      const t0 = Date.now();
      await l.close(5000);
      assert.ok(Date.now() - t0 < 3000, `shutdown took ${Date.now() - t0} ms`);
    });

    test("server shutdown ends every stream cleanly after what it had to deliver", async () => {
      const l = await live();
      await l.writer.createSignature({ taskName: "shutdown", kwargs: {} });
      const start = await l.revision();
      const ws = Array.from({ length: 3 }, (_, i) => recordWatch(connectClient(l.baseUrl), { startRevision: i === 0 ? start : 0, sendInitial: false, progressMs: 100 }));
      await until("each watch open", () => ws.every((w) => w.session.messages.length > 0));
      const t0 = Date.now();
      const closing = l.close(5000);
      const ends = await Promise.all(ws.map((w) => w.done));
      const endMs = Date.now() - t0;
      await closing;
      const closeMs = Date.now() - t0;
      assert.deepEqual(ends.map((s) => s.end?.code), ["OK", "OK", "OK"]);
      assert.ok(endMs < 500, `streams ended ${endMs} ms after the shutdown began`);
      assert.ok(closeMs < 3000, `shutdown took ${closeMs} ms (grace 5 s): a stream held it up`);
      for (const w of ws) assert.deepEqual(checkBookmarkable(w.session.messages), []);
    });

    test("Kubernetes-style: a watcher started at each revision the first one sees sees the same order", async () => {
      const l = await live();
      const start = (await l.revision()) + 1;
      const watchers: { start: number; w: ReturnType<typeof recordWatch> }[] = [];
      const first = recordWatch(l.client, { startRevision: start }, (m) => {
        for (const rev of new Set(m.events.map((e) => e.revision))) watchers.push({ start: rev, w: recordWatch(l.client, { startRevision: rev }) });
      });
      const r = rng(11);
      const keys: string[] = [];
      while ((await l.revision()) < start + 60) await randomOp(l.writer, r, keys, ["k8s-a", "k8s-b"]);
      const end = await l.revision();
      await first.reached(end);
      await Promise.all(watchers.map((x) => x.w.reached(end)));
      first.cancel();
      watchers.forEach((x) => x.w.cancel());
      await Promise.all([first.done, ...watchers.map((x) => x.w.done)]);
      assert.equal(watchers.length, end - start + 1, "one watcher per revision");
      const ref = first.events();
      const fmt = (e: WEvent) => `${e.revision}/${e.key}/${e.type}`;
      for (const x of watchers) assert.deepEqual(x.w.events().map(fmt), ref.filter((e) => e.revision >= x.start).map(fmt), `watcher from ${x.start}`);
      assertWatchHistory([{ name: "first", sessions: [first.session] }, ...watchers.map((x) => ({ name: `from${x.start}`, sessions: [x.w.session] }))], await l.log());
    });

    test("concurrent writers and watchers: every watcher sees every revision once, in order, whole", async () => {
      const l = await live({ historyMax: "100000" });
      const start = (await l.revision()) + 1;
      // Watchers on both listeners: Connect on the HTTP port, gRPC on the gRPC port.
      const ws = Array.from({ length: 6 }, (_, i) =>
        recordWatch(i < 3 ? connectClient(l.baseUrl) : grpcClient(`http://127.0.0.1:${l.server.grpcPort}`), {
          startRevision: start,
          filter: i % 2 ? { taskNames: ["c-a"] } : undefined,
          progressMs: 200,
        }),
      );
      const writers = Array.from({ length: 6 }, async (_, i) => {
        const r = rng(100 + i);
        const keys: string[] = [];
        const client = grpcClient(`http://127.0.0.1:${l.server.grpcPort}`);
        for (let n = 0; n < 60; n++) await randomOp(client, r, keys, ["c-a", "c-b"]);
      });
      await Promise.all(writers);
      const end = await l.revision();
      await Promise.all(ws.map((w) => w.reached(end)));
      ws.forEach((w) => w.cancel());
      await Promise.all(ws.map((w) => w.done));
      assertWatchHistory(
        ws.map((w, i) => ({ name: `w${i}`, filter: i % 2 ? (e: WEvent) => e.taskName === "c-a" : undefined, sessions: [w.session] })),
        await l.log(),
      );
    });

    test("history trimmed under a burst: a watcher is never silently skipped past trimmed revisions", async () => {
      const l = await live({ historyMax: "20", watchBuffer: "100000" });
      const start = (await l.revision()) + 1;
      const w = recordWatch(l.client, { startRevision: start });
      await sleep(50);
      // Many writes in flight at once: the hub may read the log only after it was trimmed past it.
      await Promise.all(Array.from({ length: 300 }, (_, i) => l.writer.createSignature({ taskName: "burst", kwargs: { i } })));
      const end = await l.revision();
      await until("the watch has caught up or ended", () => !!w.session.end || lastProgress(w.session) >= end);
      w.cancel();
      await w.done;
      const revs = w.events().map((e) => e.revision);
      console.log(`burst (${kind}): ended ${JSON.stringify(w.session.end)} having delivered ${revs.length} of ${end - start + 1} revisions`);
      const missing = [];
      for (let r = start; r <= lastProgress(w.session); r++) if (!revs.includes(r)) missing.push(r);
      assert.deepEqual(missing, [], `revisions skipped silently (the stream ended ${JSON.stringify(w.session.end)})`);
      if (w.session.end?.code !== "Canceled") {
        // Ended because the history moved on past it: it says so, and resuming where it got to says COMPACTED too.
        assert.equal(w.session.end?.reason, "REVISION_COMPACTED", JSON.stringify(w.session.end));
        const resumeAt = Math.max(start - 1, lastProgress(w.session)) + 1;
        const again = recordWatch(l.client, { startRevision: resumeAt });
        await until("the resumed watch", () => !!again.session.end || lastProgress(again.session) >= end);
        again.cancel();
        await again.done;
        if (resumeAt < (await l.server.store.events.oldestRevision())) assert.equal(again.session.end?.reason, "REVISION_COMPACTED");
        else assertWatchHistory([{ name: "burst", sessions: [w.session, again.session] }], await l.log());
      }
    });
  });
}

void CREATED;
