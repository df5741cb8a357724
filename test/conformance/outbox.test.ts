import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { DispatchState } from "../../src/store/record.js";
import { DispatchError } from "../../src/dispatch/dispatcher.js";
import { DispatchLoop } from "../../src/dispatch/loop.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import { Keys } from "../../src/store/redis/keys.js";
import type { OutboxEntry } from "../../src/store/store.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";
import { createCmd } from "../support/commands.js";

/** Entries without their ids and the signature a trigger carries, for comparison. */
const drafts = (entries: OutboxEntry[]) =>
  entries.map((e) => {
    const { id: _id, ...rest } = e;
    if (rest.kind === "trigger") delete rest.record;
    return rest;
  });

for (const b of backends()) {
  describe(`outbox (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    after(() => b.shutdown());

    /** A fresh store per test: its outbox holds only that test's entries. */
    const setup = async () => {
      const store = await b.open();
      const create = async (o: { succ?: string[]; status?: Status } = {}) => {
        const key = `TaskSignature:${randomUUID()}`;
        await store.create(createCmd({ key, taskName: "outbox", successCallbacks: o.succ ?? [], status: o.status ?? Status.PENDING }));
        return key;
      };
      const run = (key: string) => store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      const drain = async () => {
        const got = await store.outbox.read("test", 100, 0);
        await store.outbox.ack(got.map((e) => e.id));
        return drafts(got);
      };
      return { store, create, run, drain };
    };

    it("stats: entries not yet acknowledged (delivered or not) and the age of the oldest, for the metrics", async () => {
      const { store, create, run } = await setup();
      assert.deepEqual(await store.outbox.stats(), { entries: 0, oldestAgeMs: 0 });
      await run(await create());
      await sleep(30);
      await run(await create());
      const two = await store.outbox.stats();
      assert.equal(two.entries, 2);
      assert.ok(two.oldestAgeMs >= 25 && two.oldestAgeMs < 10_000, `oldest ${two.oldestAgeMs} ms`);
      const [first, second] = await store.outbox.read("test", 1, 0).then(async (a) => [...a, ...(await store.outbox.read("test", 1, 0))]);
      assert.equal((await store.outbox.stats()).entries, 2, "delivered but unacknowledged entries still count");
      await store.outbox.ack([first.id]);
      const one = await store.outbox.stats();
      assert.equal(one.entries, 1);
      assert.ok(one.oldestAgeMs < two.oldestAgeMs + 5, "the oldest is now the second entry");
      await store.outbox.ack([second.id]);
      assert.deepEqual(await store.outbox.stats(), { entries: 0, oldestAgeMs: 0 });
    });

    it("Run writes a trigger with the change; a suspended Run parks and Resume triggers attempt 2", async () => {
      const { store, create, run, drain } = await setup();
      const key = await create();
      await run(key);
      assert.deepEqual(await drain(), [{ kind: "trigger", key, attempt: 1 }]);

      const held = await create({ status: Status.SUSPENDED });
      await run(held);
      assert.deepEqual(await drain(), []);
      await store.transition(held, TRANSITIONS.resume, {});
      assert.deepEqual(await drain(), [{ kind: "trigger", key: held, attempt: 2 }]);
    });

    it("a trigger carries the signature as the step left it: the dispatcher needs no read", async () => {
      const { store, create } = await setup();
      const key = await create();
      await store.update({ key, kwargs: { k: 1 }, metadata: { env: "test" }, guard: {} });
      await store.run({ key, message: { m: 2 }, metadata: { trace: "t1" }, requestId: "", guard: {} });
      const [entry] = await store.outbox.read("test", 10, 0);
      assert.equal(entry.kind, "trigger");
      const r = entry.kind === "trigger" ? entry.record : undefined;
      assert.ok(r, "the entry carries the signature");
      assert.deepEqual(
        { key: r.key, task: r.taskName, status: r.status, kwargs: r.kwargs, meta: r.metadata, attempt: r.run?.attempt, input: r.run?.lastInput, runMeta: r.run?.metadata },
        { key, task: "outbox", status: Status.PENDING, kwargs: { k: 1 }, meta: { env: "test" }, attempt: 1, input: { m: 2, k: 1 }, runMeta: { trace: "t1" } },
      );
      await store.outbox.ack([entry.id]);
    });

    it("a change that leaves a queued run undispatchable withdraws its entry; Suspend parks it", async () => {
      const { store, create, run, drain } = await setup();
      const act = {
        suspend: (k: string) => store.transition(k, TRANSITIONS.suspend, {}),
        interrupt: (k: string) => store.transition(k, TRANSITIONS.interrupt, {}),
        cancel: (k: string) => store.transition(k, TRANSITIONS.cancel, {}),
        remove: (k: string) => store.remove(k, true, true, {}),
        delete: (k: string) => store.delete(k, {}),
      };
      for (const [name, a] of Object.entries(act)) {
        const key = await create();
        await run(key);
        await a(key);
        assert.deepEqual(await drain(), [], `${name}: the engine is never asked`);
      }
      const held = await create();
      await run(held);
      await store.transition(held, TRANSITIONS.suspend, {});
      assert.equal((await store.get(held))!.run?.dispatchState, DispatchState.PARKED);
      await store.transition(held, TRANSITIONS.resume, {});
      assert.deepEqual(await drain(), [{ kind: "trigger", key: held, attempt: 2 }]);
    });

    it("markDispatched cancels an engine run the signature does not take: deleted, parked meanwhile, superseded", async () => {
      const { store, create, run, drain } = await setup();
      const cases = {
        deleted: (k: string) => store.delete(k, {}),
        parked: (k: string) => store.transition(k, TRANSITIONS.suspend, {}),
        superseded: async (k: string) => {
          await store.transition(k, TRANSITIONS.suspend, {});
          await store.transition(k, TRANSITIONS.resume, {});
        },
      };
      for (const [name, change] of Object.entries(cases)) {
        const key = await create();
        await run(key);
        const [taken] = await store.outbox.read("dispatcher", 10, 0);
        assert.equal(taken.key, key);
        await change(key);
        await drain();
        assert.equal(await store.markDispatched(key, 1, `engine-${name}`, undefined, taken.id), undefined, name);
        assert.deepEqual(await drain(), [{ kind: "cancel", key, runId: `engine-${name}` }], name);
        assert.equal((await store.get(key))?.run?.runId ?? "", "", `${name}: no run id recorded`);
      }
    });

    it("Interrupt, Cancel and Remove cancel the in-flight engine run", async () => {
      const { store, create, run, drain } = await setup();
      const act = [
        (k: string) => store.transition(k, TRANSITIONS.interrupt, {}),
        (k: string) => store.transition(k, TRANSITIONS.cancel, {}),
        (k: string) => store.remove(k, true, true, {}),
      ];
      for (const a of act) {
        const key = await create();
        await run(key);
        await store.markDispatched(key, 1, `engine-${key}`, undefined);
        await drain();
        await a(key);
        assert.deepEqual(await drain(), [{ kind: "cancel", key, runId: `engine-${key}` }]);
      }
    });

    it("markDispatched cancels a duplicate engine run and a run of an interrupted signature", async () => {
      const { store, create, run, drain } = await setup();
      const key = await create();
      await run(key);
      await drain();
      await store.markDispatched(key, 1, "first", undefined);
      assert.equal(await store.markDispatched(key, 1, "duplicate", undefined), undefined);
      assert.deepEqual(await drain(), [{ kind: "cancel", key, runId: "duplicate" }]);
      assert.equal((await store.get(key))!.run?.runId, "first");

      const stopped = await create();
      await run(stopped);
      await store.transition(stopped, TRANSITIONS.interrupt, {});
      await drain();
      const res = await store.markDispatched(stopped, 1, "late", undefined);
      assert.equal(res?.record.run?.runId, "late");
      assert.deepEqual(await drain(), [{ kind: "cancel", key: stopped, runId: "late" }]);
    });

    it("CompleteTask triggers the success callbacks in the same step", async () => {
      const { store, create, run, drain } = await setup();
      const cb = await create();
      const key = await create({ succ: [cb] });
      await run(key);
      await store.startTask(key, "r", 1, {});
      await drain();
      await store.completeTask(key, "r", 42, {});
      assert.deepEqual(await drain(), [{ kind: "trigger", key: cb, attempt: 1 }]);
      await store.completeTask(key, "r", 42, {});
      assert.deepEqual(await drain(), [], "a repeated report writes nothing");
    });

    it("read delivers each entry once; unacknowledged entries of a crashed consumer are claimed after idleMs", async () => {
      const { store, create, run } = await setup();
      const keys = [await create(), await create()];
      for (const k of keys) await run(k);
      const taken = await store.outbox.read("crashed", 10, 0);
      assert.deepEqual(drafts(taken).map((e) => e.key), keys);
      assert.deepEqual(await store.outbox.read("other", 10, 0), [], "delivered once");
      assert.deepEqual(await store.outbox.claimStale("other", 60_000, 10), [], "not idle long enough");
      await sleep(80);
      assert.deepEqual(await store.outbox.claimStale("crashed", 50, 10), [], "a consumer never reclaims its own");
      const claimed = await store.outbox.claimStale("other", 50, 10);
      assert.deepEqual(claimed, taken);
      await store.outbox.ack(claimed.map((e) => e.id));
      await sleep(80);
      assert.deepEqual(await store.outbox.claimStale("third", 50, 10), [], "acknowledged entries are gone");
    });

    it("markDispatched and failDispatch retire the entry they handled in the same step, whatever the outcome", async () => {
      const { store, create, run } = await setup();
      const steps = [
        (key: string, id: string) => store.markDispatched(key, 1, "engine-run", undefined, id),
        (key: string, id: string) => store.markDispatched(key, 2, "engine-run", undefined, id), // not the current attempt: records nothing
        async (key: string, id: string) => {
          await store.transition(key, TRANSITIONS.suspend, {}); // parked meanwhile: the engine run is cancelled
          return store.markDispatched(key, 1, "engine-run", undefined, id);
        },
        (key: string, id: string) => store.failDispatch(key, 1, { message: "no such task", type: "NOT_FOUND", attempt: 1 }, id),
      ];
      for (const step of steps) {
        const key = await create();
        await run(key);
        const [entry] = await store.outbox.read("dispatcher", 10, 0);
        assert.equal(entry.key, key);
        await step(key, entry.id);
        await sleep(5);
        assert.deepEqual(await store.outbox.claimStale("other", 0, 10), [], "neither pending nor reclaimable");
        await store.outbox.ack((await store.outbox.read("test", 100, 0)).map((e) => e.id));
      }
    });

    it("the dispatch loop leaves no entry behind: triggered, parked, failed and cancelled runs", async () => {
      const prefix = `o${randomUUID().slice(0, 8)}`;
      const store = await b.open({ prefix });
      const create = async () => (await store.create(createCmd({ taskName: "outbox" }))).record.key;
      const [ok, parked, doomed, canceled] = [await create(), await create(), await create(), await create()];
      for (const key of [ok, parked, doomed, canceled]) await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      await store.transition(parked, TRANSITIONS.suspend, {});
      await store.markDispatched(canceled, 1, "engine-run", undefined);
      await store.transition(canceled, TRANSITIONS.cancel, {});
      const engine = new RecordingDispatcher({
        failWith: (c) => {
          if (c.op === "trigger" && c.req.key === doomed) throw new DispatchError("no such task", true, "NOT_FOUND");
        },
      });
      const loop = new DispatchLoop(store, engine);
      loop.start();
      try {
        for (const end = Date.now() + 5000; ; await sleep(20)) {
          const [a, p, d] = await store.getMany([ok, parked, doomed]);
          const done = a!.run!.runId && p!.run!.dispatchState === DispatchState.PARKED && d!.status === Status.FAILED && engine.cancels.includes("engine-run");
          if (done) break;
          assert.ok(Date.now() < end, "the loop handled every entry");
        }
      } finally {
        await loop.stop();
      }
      await sleep(5);
      assert.deepEqual(await store.outbox.claimStale("other", 0, 100), []);
      assert.deepEqual(await store.outbox.read("other", 100, 0), []);
      if (b.redisUrl) {
        const redis = new Redis(await b.redisUrl());
        const length = await redis.xlen(new Keys(prefix).outbox).finally(() => redis.disconnect());
        assert.equal(length, 0, "entries are deleted, not only acknowledged");
      }
    });

    it("read waits up to blockMs and wakes up for a new entry", async () => {
      const { store, create, run } = await setup();
      const t0 = Date.now();
      assert.deepEqual(await store.outbox.read("w", 10, 100), []);
      assert.ok(Date.now() - t0 >= 90, "waited");
      const key = await create();
      const waiting = store.outbox.read("w", 10, 5000);
      await sleep(50);
      const t1 = Date.now();
      await run(key);
      assert.deepEqual(drafts(await waiting), [{ kind: "trigger", key, attempt: 1 }]);
      assert.ok(Date.now() - t1 < 2000, "woke up");
    });
  });
}
