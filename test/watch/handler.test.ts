/**
 * The watch handler and hub in-process, without a network: regression tests for the
 * guarantees the live tests found broken, and for subscriber bookkeeping.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import { WatchSignaturesRequestSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { ApiDeps } from "../../src/api/context.js";
import { toConnectError } from "../../src/api/to-connect-error.js";
import { DEFAULT_LIMITS } from "../../src/core/limits.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import type { StoredEvent } from "../../src/store/store.js";
import { WatchBudget } from "../../src/watch/watch-budget.js";
import { WatchHub } from "../../src/watch/hub.js";
import { Subscriber } from "../../src/watch/subscriber.js";
import { watchSignatures } from "../../src/api/watch-handler.js";
import type { StreamSink } from "../../src/api/stream-sink.js";
import { defaultOptions } from "../conformance/backends.js";
import { checkBookmarkable, checkResumable, type WMessage } from "../support/watch-validator.js";
import { endOf, sleep, until } from "./harness.js";
import { createCmd } from "../support/commands.js";

type Req = Parameters<typeof create<typeof WatchSignaturesRequestSchema>>[1];


async function setup(historyMax = 10_000, buffer = 10_000, budget = new WatchBudget(Infinity)) {
  const store = new MemoryStore(defaultOptions({ historyMax }));
  const hub = new WatchHub(store, buffer, budget, 50);
  await hub.start();
  const deps: ApiDeps = { store, hub, limits: DEFAULT_LIMITS, dispatchWaitMs: 100 };
  return {
    store,
    hub,
    deps,
    async close() {
      await hub.close();
      await store.close();
    },
  };
}

/** Drives the handler like a server would, recording messages until it ends or is aborted. */
function run(deps: ApiDeps, req: Req) {
  const abort = new AbortController();
  const messages: WMessage[] = [];
  let end: ReturnType<typeof endOf> | undefined;
  const done = (async () => {
    try {
      for await (const r of watchSignatures(deps, create(WatchSignaturesRequestSchema, req), abort.signal)) {
        messages.push({
          revision: Number(r.revision ?? 0),
          bookmark: !!r.bookmark,
          events: (r.events ?? []).map((e) => ({ revision: Number(e.revision), key: e.key!, type: e.type!, taskName: e.taskName!, status: e.status! })),
        });
      }
      end = { code: "OK" };
    } catch (e) {
      end = endOf(toConnectError(e));
    }
  })();
  return { messages, done, abort: () => abort.abort(), end: () => end };
}

/**
 * The handler with a transport sink, as the gRPC port gives it: messages written through the sink
 * and those yielded land in one list, in the order the stream would carry them.
 */
function runWithSink(deps: ApiDeps, req: Req) {
  const abort = new AbortController();
  const messages: (WMessage & { via: "sink" | "yield" })[] = [];
  const control = { refuse: false, throws: false };
  const record = (r: Response, via: "sink" | "yield") =>
    messages.push({
      via,
      revision: Number(r.revision ?? 0),
      bookmark: !!r.bookmark,
      events: (r.events ?? []).map((e) => ({ revision: Number(e.revision), key: e.key!, type: e.type!, taskName: e.taskName!, status: e.status! })),
    });
  const sink: StreamSink = {
    tryWrite(r) {
      if (control.throws) throw new Error("encoding failed");
      if (control.refuse) return false;
      record(r as Response, "sink");
      return true;
    },
  };
  const done = (async () => {
    for await (const r of watchSignatures(deps, create(WatchSignaturesRequestSchema, req), abort.signal, sink)) record(r, "yield");
  })().catch(() => {});
  return { messages, control, done, abort: () => abort.abort() };
}
type Response = { events?: { revision?: bigint; key?: string; type?: EventType; taskName?: string; status?: number }[]; revision?: bigint; bookmark?: boolean };

describe("watch handler and hub", () => {
  test("a waiting stream's live batches go straight to the transport's sink; a refused or failed write is yielded instead, in order", async () => {
    const t = await setup();
    const w = runWithSink(t.deps, {});
    await until("subscribed", () => t.hub.subscriberCount === 1);
    const revisions = () => w.messages.flatMap((m) => m.events.map((e) => e.revision));
    for (let i = 0; i < 3; i++) await t.store.create(createCmd());
    await until("three events", () => revisions().length === 3);
    w.control.refuse = true;
    for (let i = 0; i < 2; i++) await t.store.create(createCmd());
    await until("five events", () => revisions().length === 5);
    w.control.refuse = false;
    w.control.throws = true;
    await t.store.create(createCmd());
    await until("six events", () => revisions().length === 6);
    w.control.throws = false;
    await t.store.create(createCmd());
    await until("seven events", () => revisions().length === 7);
    w.abort();
    await w.done;
    assert.deepEqual(revisions(), [1, 2, 3, 4, 5, 6, 7], "every revision once, in order");
    const via = (r: number) => w.messages.find((m) => m.events.some((e) => e.revision === r))!.via;
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(via), ["sink", "sink", "sink", "yield", "yield", "yield", "sink"]);
    assert.deepEqual(checkResumable([{ startRevision: 0, messages: w.messages }]), []);
    await t.close();
  });

  test("a filtered stream skips other signatures' changes without a message and gets its own through the sink", async () => {
    const t = await setup();
    const w = runWithSink(t.deps, { filter: { taskNames: ["mine"] } });
    await until("subscribed", () => t.hub.subscriberCount === 1);
    await t.store.create(createCmd({ taskName: "other" }));
    await t.store.create(createCmd({ taskName: "mine" }));
    await t.store.create(createCmd({ taskName: "other" }));
    await until("its event", () => w.messages.length === 1);
    await sleep(100);
    w.abort();
    await w.done;
    assert.deepEqual(
      w.messages.map((m) => [m.via, m.events.map((e) => [e.revision, e.taskName])]),
      [["sink", [[2, "mine"]]]],
    );
    await t.close();
  });

  test("regression: a start_revision beyond the current one sends nothing before it", async () => {
    const t = await setup();
    await t.store.create(createCmd());
    const w = run(t.deps, { startRevision: 4n });
    await sleep(20);
    for (let i = 0; i < 4; i++) await t.store.create(createCmd());
    await until("revision 5", () => w.messages.some((m) => m.events.some((e) => e.revision === 5)));
    w.abort();
    await w.done;
    assert.deepEqual(w.messages.flatMap((m) => m.events.map((e) => e.revision)), [4, 5]);
    assert.deepEqual(checkResumable([{ startRevision: 4, messages: w.messages }]), []);
    await t.close();
  });

  test("regression: a bookmark never runs ahead of events the subscriber still has queued", async () => {
    // The hub has read revisions 2..3 (lastRevision 3) but not yet handed them to this subscriber.
    const sub = new Subscriber(1, 100, { hold() {}, release() {} }, () => {});
    const store = new MemoryStore(defaultOptions());
    const deps = { store, hub: { subscribe: () => sub, lastRevision: 3 }, limits: DEFAULT_LIMITS, dispatchWaitMs: 0 } as unknown as ApiDeps;
    const w = run(deps, { progressInterval: durationFromMs(100) });
    await until("a bookmark", () => w.messages.some((m) => m.bookmark));
    const record = (await store.create(createCmd())).record;
    const ev = (revision: number): StoredEvent => ({ revision, type: EventType.UPDATED, key: record.key, time: Date.now(), record });
    sub.push([ev(2), ev(3)]);
    await until("the events", () => w.messages.some((m) => m.events.length > 0));
    w.abort();
    await w.done;
    assert.deepEqual(checkBookmarkable(w.messages), []);
    assert.equal(w.messages[0].revision, 1, "the bookmark says what was delivered, not what the hub has read");
    await store.close();
  });

  test("regression: history trimmed past the hub ends subscribers with REVISION_COMPACTED instead of skipping", async () => {
    const t = await setup(5);
    const w = run(t.deps, { progressInterval: durationFromMs(100) });
    await until("subscribed", () => t.hub.subscriberCount === 1);
    const since = t.hub.lastRevision;
    // 50 writes before the hub's reader runs again: the log keeps only the last 5 revisions.
    await Promise.all(Array.from({ length: 50 }, () => t.store.create(createCmd())));
    await Promise.race([w.done, sleep(2000)]);
    w.abort();
    await w.done;
    assert.deepEqual(w.messages.flatMap((m) => m.events), [], "no event after the gap was delivered");
    assert.equal(w.end()?.code, "FailedPrecondition");
    assert.equal(w.end()?.reason, "REVISION_COMPACTED");
    // Resuming there says plainly that the history is gone.
    const again = run(t.deps, { startRevision: BigInt(since + 1) });
    await again.done;
    assert.equal(again.end()?.reason, "REVISION_COMPACTED");
    await t.close();
  });

  test("regression: history trimmed while a replay reads it fails with REVISION_COMPACTED, never a silent gap", async () => {
    const t = await setup();
    for (let i = 0; i < 10; i++) await t.store.create(createCmd());
    await until("the hub has read them", () => t.hub.lastRevision === 10);
    // The log is trimmed right after the handler checked the oldest revision: 1..10 are gone.
    const log = t.store.events;
    let checks = 0;
    const events = {
      oldestRevision: async () => (checks++ === 0 ? 1 : 11),
      range: async (from: number, limit: number) => (checks > 0 ? (await log.range(from, limit)).filter((e) => e.revision >= 11) : log.range(from, limit)),
      tail: log.tail.bind(log),
    };
    const deps = { ...t.deps, store: Object.assign(Object.create(t.store), { events }) } as ApiDeps;
    const w = run(deps, { startRevision: 3n });
    await Promise.race([w.done, sleep(1000)]);
    w.abort();
    await w.done;
    assert.deepEqual(w.messages, []);
    assert.equal(w.end()?.reason, "REVISION_COMPACTED");
    assert.equal(w.end()?.metadata?.oldest_revision, "11");
    await t.close();
  });

  test("a subscriber that keeps up is not ended by one batch larger than the buffer", async () => {
    const t = await setup(10_000, 5);
    const w = run(t.deps, {});
    await until("subscribed", () => t.hub.subscriberCount === 1);
    await Promise.all(Array.from({ length: 20 }, () => t.store.create(createCmd())));
    await until("all 20", () => w.messages.flatMap((m) => m.events).length === 20);
    assert.equal(w.end(), undefined);
    w.abort();
    await w.done;
    await t.close();
  });

  test("a subscriber over its buffer falls behind, holds no queue, and catches up from the store's history, gap-free", async () => {
    const t = await setup(10_000, 3);
    const ac = new AbortController();
    const gen = watchSignatures(t.deps, create(WatchSignaturesRequestSchema, {}), ac.signal);
    const firstP = gen.next();
    await until("subscribed", () => t.hub.subscriberCount === 1);
    await t.store.create(createCmd());
    const revs = (await firstP).value!.events!.map((e: { revision?: bigint }) => Number(e.revision));
    // The handler is now blocked delivering that message; the hub keeps pushing.
    for (let i = 0; i < 8; i++) {
      const { record: { revision } } = await t.store.create(createCmd());
      await until("the hub has read it", () => t.hub.lastRevision >= revision);
    }
    assert.equal(t.hub.cutOff.tooSlow, 1, "fell behind");
    while (revs.length < 9) revs.push(...((await gen.next()).value!.events ?? []).map((e: { revision?: bigint }) => Number(e.revision)));
    assert.deepEqual(revs, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await t.store.create(createCmd());
    assert.deepEqual(((await gen.next()).value!.events ?? []).map((e: { revision?: bigint }) => Number(e.revision)), [10], "live again");
    ac.abort();
    await gen.return(undefined);
    await t.close();
  });

  test("the process's watch budget: the watcher furthest behind stops holding a queue; the others get every event", async () => {
    const budget = new WatchBudget(20_000);
    const t = await setup(10_000, 10_000, budget);
    const reader = run(t.deps, {});
    const stuckAc = new AbortController();
    const stuck = watchSignatures(t.deps, create(WatchSignaturesRequestSchema, {}), stuckAc.signal);
    void stuck.next(); // subscribes, and never asks for more
    await until("subscribed", () => t.hub.subscriberCount === 2);
    let peak = 0;
    for (let i = 0; i < 60; i++) {
      const { record: { revision } } = await t.store.create(createCmd({ kwargs: { blob: "x".repeat(2000) } }));
      await until("the hub has read it", () => t.hub.lastRevision >= revision);
      peak = Math.max(peak, budget.used);
    }
    await until("all delivered", () => reader.messages.flatMap((m) => m.events).length === 60);
    assert.deepEqual(reader.messages.flatMap((m) => m.events.map((e) => e.revision)), Array.from({ length: 60 }, (_, i) => i + 1));
    assert.ok(t.hub.cutOff.tooSlow >= 1, "the stuck watcher fell behind");
    assert.ok(peak <= 20_000 + 5_000, `held ${peak} bytes`);
    reader.abort();
    stuckAc.abort();
    await reader.done;
    await t.close();
  });

  test("client cancellation releases the subscriber; shutdown ends streams cleanly", async () => {
    const t = await setup();
    const ws = Array.from({ length: 4 }, () => run(t.deps, { progressInterval: durationFromMs(100) }));
    await until("subscribed", () => t.hub.subscriberCount === 4);
    ws[0].abort();
    ws[1].abort();
    await Promise.all([ws[0].done, ws[1].done]);
    assert.equal(t.hub.subscriberCount, 2);
    await t.store.create(createCmd());
    await until("delivered", () => ws[2].messages.some((m) => m.events.length > 0) && ws[3].messages.some((m) => m.events.length > 0));
    await t.hub.close();
    await Promise.all([ws[2].done, ws[3].done]);
    assert.deepEqual([ws[2].end()?.code, ws[3].end()?.code], ["OK", "OK"]);
    assert.equal(t.hub.subscriberCount, 0);
    await t.store.close();
  });

  test("send_initial: snapshot of matching signatures, then a bookmark, then live", async () => {
    const t = await setup();
    await t.store.create(createCmd({ taskName: "a" }));
    await t.store.create(createCmd({ taskName: "b" }));
    await until("the hub has read both", () => t.hub.lastRevision === 2);
    const w = run(t.deps, { sendInitial: true, filter: { taskNames: ["a"] } });
    await until("the bookmark", () => w.messages.some((m) => m.bookmark));
    await t.store.create(createCmd({ taskName: "a" }));
    await until("live", () => w.messages.length >= 3);
    w.abort();
    await w.done;
    assert.deepEqual(
      w.messages.map((m) => [m.bookmark, m.events.map((e) => e.type)]),
      [
        [false, [EventType.INITIAL]],
        [true, []],
        [false, [EventType.CREATED]],
      ],
    );
    assert.equal(w.messages[1].revision, 2);
    await t.close();
  });

  test("regression: a dispatch recorded before RunSignature waits for it is not missed", async () => {
    const t = await setup();
    const { record } = await t.store.create(createCmd({ taskName: "fast" }));
    const expectation = t.hub.expectDispatch(record.key, 1);
    await t.store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
    await t.store.markDispatched(record.key, 1, "engine-1", undefined);
    await until("the hub has read the dispatch", () => t.hub.lastRevision === 3);
    const t0 = Date.now();
    const got = await expectation.wait(5000);
    assert.equal(got?.run?.runId, "engine-1");
    assert.ok(Date.now() - t0 < 1000, "answered at once, not after the wait");
    await t.close();
  });
});
