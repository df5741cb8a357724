import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import { TRANSITIONS } from "../../src/core/status.js";
import type { StoredEvent, Store } from "../../src/store/store.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";
import { createCmd } from "../support/commands.js";

const { CREATED, UPDATED, STATUS_CHANGED, RUN_QUEUED, DISPATCHED, REMOVED, DELETED, LOCKED } = EventType;

const at = (events: StoredEvent[], revision: number) =>
  events.filter((e) => e.revision === revision).map((e) => [e.type, e.key] as const);

for (const b of backends()) {
  describe(`events (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    let store: Store;
    before(async () => {
      store = await b.open();
    });
    after(() => b.shutdown());

    const create = async (o: { succ?: string[]; err?: string[] } = {}, s: Store = store) => {
      const key = `TaskSignature:${randomUUID()}`;
      await s.create(createCmd({ key, taskName: "events", successCallbacks: o.succ ?? [], errorCallbacks: o.err ?? [] }));
      return key;
    };

    it("every mutation uses exactly one revision; a no-op or refusal none", async () => {
      const key = await create();
      const steps: Array<[() => Promise<unknown>, EventType[]]> = [
        [() => store.update({ key, kwargs: { a: 1 }, guard: {} }), [UPDATED]],
        [() => store.lock({ key, newLockId: "l", renewLockId: "", ttlMs: 60_000, owner: "o" }), [LOCKED]],
        [() => store.unlock(key, "l"), [EventType.UNLOCKED]],
        [() => store.run({ key, input: {}, metadata: {}, requestId: "q", guard: {} }), [RUN_QUEUED]],
        [() => store.markDispatched(key, 1, "r1", undefined), [DISPATCHED]],
        [() => store.transition(key, TRANSITIONS.suspend, {}), [STATUS_CHANGED]],
        [() => store.transition(key, TRANSITIONS.resume, {}), [STATUS_CHANGED, RUN_QUEUED]],
      ];
      for (const [step, types] of steps) {
        const rev = await store.currentRevision();
        await step();
        assert.equal(await store.currentRevision(), rev + 1);
        const events = await store.events.range(rev + 1, 100);
        assert.deepEqual(at(events, rev + 1), types.map((t) => [t, key]));
      }
      const rev = await store.currentRevision();
      await store.transition(key, TRANSITIONS.resume, {});
      await store.run({ key, input: {}, metadata: {}, requestId: "q", guard: {} });
      await store.transition(key, TRANSITIONS.cancel, { expectedRevision: 1 }).catch(() => undefined);
      assert.equal(await store.currentRevision(), rev, "no-ops and refusals use no revision");
      assert.deepEqual(await store.events.range(rev + 1, 100), []);
    });

    it("a multi-signature step shares one revision; each event holds the record after the step", async () => {
      const onSuccess = await create();
      const errLeaf = await create();
      const onError = await create({ succ: [errLeaf] });
      const key = await create({ succ: [onSuccess], err: [onError] });
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      await store.startTask(key, "r", 1, {});
      const { record } = await store.completeTask(key, "r", { done: [] }, {});
      const events = await store.events.range(record.revision, 100);
      assert.deepEqual(at(events, record.revision), [
        [STATUS_CHANGED, key],
        [RUN_QUEUED, onSuccess],
        [REMOVED, onError],
        [REMOVED, errLeaf],
      ]);
      for (const e of events.filter((x) => x.revision === record.revision)) {
        assert.deepEqual(e.record, await store.get(e.key));
        assert.equal(e.record.revision, record.revision);
      }
    });

    it("DELETED carries the record before deletion", async () => {
      const key = await create();
      await store.update({ key, kwargs: { keep: "me" }, guard: {} });
      const rev = await store.delete(key, {});
      const [e] = await store.events.range(rev, 10);
      assert.deepEqual([e.revision, e.type, e.key], [rev, DELETED, key]);
      assert.deepEqual(e.record.kwargs, { keep: "me" });
    });

    it("ids are ordered: revisions never decrease, each revision's events are contiguous", async () => {
      await Promise.all(Array.from({ length: 20 }, () => create()));
      const all = await store.events.range(1, 100_000);
      const seen = new Set<number>();
      for (let i = 1; i < all.length; i++) {
        assert.ok(all[i].revision >= all[i - 1].revision);
        if (all[i].revision !== all[i - 1].revision) {
          assert.ok(!seen.has(all[i].revision));
          seen.add(all[i - 1].revision);
        }
      }
      assert.equal(all[all.length - 1].revision, await store.currentRevision());
    });

    it("range returns whole revisions only, starting at fromRevision", async () => {
      const cbs = await Promise.all([create(), create(), create()]);
      const key = await create({ succ: cbs });
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      await store.startTask(key, "r", 1, {});
      const { record } = await store.completeTask(key, "r", 1, {});
      const page = await store.events.range(record.revision, 2);
      assert.equal(page.length, 4, "the 4 events of one revision are never split");
      assert.ok(page.every((e) => e.revision === record.revision));
    });

    it("tail waits for events after a revision", async () => {
      const rev = await store.currentRevision();
      assert.deepEqual(await store.events.tail(rev, 50), []);
      const waiting = store.events.tail(rev, 5000);
      await sleep(50);
      const key = await create();
      const got = await waiting;
      assert.deepEqual(
        got.map((e) => [e.revision, e.type, e.key]),
        [[rev + 1, CREATED, key]],
      );
      const revisions = (await store.events.tail(rev - 1, 0)).map((e) => e.revision);
      assert.deepEqual([...new Set(revisions)], [rev, rev + 1], "without blocking when events are there");
    });

    it("oldestRevision: current + 1 when empty, the first retained revision after trimming", async () => {
      const small = await b.open({ historyMax: 20 });
      assert.equal(await small.events.oldestRevision(), 1);
      const key = await create({}, small);
      for (let i = 0; i < 300; i++) await small.update({ key, kwargs: { i }, guard: {} });
      const current = await small.currentRevision();
      assert.equal(current, 301);
      const oldest = await small.events.oldestRevision();
      assert.ok(oldest > 1, `trimmed (oldest ${oldest})`);
      assert.ok(oldest <= current - 19 + 1, "keeps about historyMax events");
      const retained = await small.events.range(1, 100_000);
      assert.equal(retained[0].revision, oldest);
      assert.deepEqual(
        retained.map((e) => e.revision),
        Array.from({ length: current - oldest + 1 }, (_, i) => oldest + i),
        "no gaps",
      );
    });

    it("the history is bounded by bytes as well as by count: big events are trimmed sooner, the newest kept", async () => {
      const small = await b.open({ historyMax: 100_000, historyMaxBytes: 200_000 });
      const key = await create({}, small);
      const blob = "x".repeat(20_000);
      for (let i = 0; i < 60; i++) await small.update({ key, kwargs: { blob, i }, guard: {} });
      const current = await small.currentRevision();
      const retained = await small.events.range(1, 100_000);
      const bytes = retained.reduce((n, e) => n + (e.size ?? 0), 0);
      assert.ok(retained.length > 0 && retained[retained.length - 1].revision === current, "the newest revision is kept");
      assert.ok(bytes <= 200_000, `retained ${bytes} bytes in ${retained.length} events`);
      assert.ok(retained.length >= 5, `keeps what fits (${retained.length} events)`);
      assert.equal(await small.events.oldestRevision(), retained[0].revision);
      assert.deepEqual(
        retained.map((e) => e.revision),
        Array.from({ length: current - retained[0].revision + 1 }, (_, i) => retained[0].revision + i),
        "no gaps",
      );
    });

    it("trimming never leaves part of a revision visible", async () => {
      const small = await b.open({ historyMax: 20 });
      const cancels = new Set<number>();
      // Each round: 3 single-event revisions and one 3-event cancel. Redis trims whole stream nodes,
      // so now and then the retained history begins inside a cancel's revision.
      for (let i = 0; i < 40; i++) {
        const cbs = [await create({}, small), await create({}, small)];
        const key = await create({ succ: cbs }, small);
        cancels.add((await small.transition(key, TRANSITIONS.cancel, {})).record.revision);
        const oldest = await small.events.oldestRevision();
        const retained = await small.events.range(1, 100_000);
        assert.equal(retained[0].revision, oldest);
        for (const rev of new Set(retained.map((e) => e.revision))) {
          assert.equal(retained.filter((e) => e.revision === rev).length, cancels.has(rev) ? 3 : 1, `revision ${rev}`);
        }
        const tailed = await small.events.tail(0, 0);
        assert.equal(tailed[0].revision, oldest);
      }
    });
  });
}
