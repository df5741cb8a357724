import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { ContainerKind, DispatchState } from "../../src/store/record.js";
import type { Store } from "../../src/store/store.js";
import { createCmd, refusal } from "../support/commands.js";
import { containerDriver } from "../support/containers.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";

// docs/containers.md, rule by rule, on both stores.
for (const b of backends()) {
  describe(`chains and swarms (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    let store: Store;
    let d: ReturnType<typeof containerDriver>;
    before(async () => {
      store = await b.open();
      d = containerDriver(store);
    });
    after(() => b.shutdown());
    const run = (key: string, message = {}) => store.run({ key, message, metadata: {}, requestId: "", guard: {} });

    it("a chain runs step i+1 with step i's result under its return field, chain kwargs merged in; ends DONE once with the last result", async () => {
      const cb = await d.task({ rfn: "chain_out" });
      const steps = [await d.task({ kwargs: { own: 1, shared: "step" } }), await d.task({ rfn: "prev" }), await d.task()];
      const chain = await d.chain(steps, { kwargs: { shared: "chain", extra: true }, successCallbacks: [cb] });
      assert.equal(chain.container?.kind, ContainerKind.CHAIN);
      assert.deepEqual(chain.container?.children, steps);
      const first = (await store.get(steps[0]))!;
      assert.equal(first.containerKey, chain.key);
      assert.deepEqual(first.kwargs, { own: 1, shared: "chain", extra: true });

      await run(chain.key, { m: 1 });
      assert.equal(await d.status(chain.key), Status.ACTIVE);
      assert.deepEqual((await store.get(steps[0]))!.run?.base, { m: 1, shared: "chain", extra: true });
      assert.equal((await store.get(steps[1]))!.run, undefined, "step 2 waits for step 1");

      await d.complete(steps[0], { a: 1 });
      const second = (await store.get(steps[1]))!;
      assert.deepEqual(second.run?.base, { prev: { a: 1 } });
      assert.deepEqual(second.kwargs, { shared: "chain", extra: true });
      assert.equal((await store.get(steps[2]))!.run, undefined);
      await d.complete(steps[1], 2);
      assert.deepEqual((await store.get(steps[2]))!.run?.base, { mageflow_results: 2 });
      const runId = await d.start(steps[2]);
      await store.completeTask(steps[2], runId, [3], {});
      const done = (await store.get(chain.key))!;
      assert.equal(done.status, Status.DONE);
      assert.deepEqual(done.run?.result, [3]);
      assert.deepEqual(done.run?.dispatchedCallbacks, [cb]);
      assert.deepEqual((await store.get(cb))!.run?.base, { chain_out: [3] });

      const rev = await store.currentRevision();
      await store.completeTask(steps[2], runId, [3], {});
      assert.equal(await store.currentRevision(), rev, "a duplicate report changes nothing");
      assert.equal((await store.get(cb))!.run?.attempt, 1, "the callback fired once");
    });

    it("a chain ends FAILED on the first final failure: error callbacks get the step's input and error; later steps never run", async () => {
      const onError = await d.task();
      const onSuccess = await d.task();
      const steps = [await d.task(), await d.task({ kwargs: { k: 2 } }), await d.task()];
      const chain = await d.chain(steps, { errorCallbacks: [onError], successCallbacks: [onSuccess] });
      await run(chain.key, { m: 1 });
      await d.complete(steps[0], "r0");
      const before = await store.get(steps[1]);
      const runId = await d.start(steps[1]);
      await store.failTask(steps[1], runId, { message: "retry me", type: "E", attempt: 1 }, false, {});
      assert.equal(await d.status(chain.key), Status.ACTIVE, "a retried attempt does not end the chain");
      await store.failTask(steps[1], runId, { message: "boom", type: "ValueError", attempt: 2 }, true, {});
      const failed = (await store.get(chain.key))!;
      assert.equal(failed.status, Status.FAILED);
      assert.deepEqual(failed.run?.error, { message: "boom", type: "ValueError", attempt: 2 });
      assert.deepEqual((await store.get(onError))!.run?.base, {
        mageflow_results: "r0",
        k: 2,
        mageflow_error: { message: "boom", type: "ValueError", attempt: 2 },
      });
      assert.equal((await store.get(onSuccess))!.removed, true);
      const last = (await store.get(steps[2]))!;
      assert.equal(last.status, Status.CANCELED);
      assert.equal(last.run, undefined, "never ran");
      assert.ok(before);
    });

    it("a swarm keeps at most max_concurrency children in flight, starts the next as one ends, ends DONE with results in completion order", async () => {
      const cb = await d.task();
      const kids = await Promise.all(Array.from({ length: 7 }, () => d.task()));
      const swarm = await d.swarm(kids, { maxConcurrency: 3, sendMessage: true }, { successCallbacks: [cb] });
      await run(swarm.key, { m: 1 });
      assert.deepEqual(await d.inFlight(kids), kids.slice(0, 3));
      assert.deepEqual((await store.get(kids[0]))!.run?.base, { m: 1 });
      const order = [kids[1], kids[0], kids[2], kids[5], kids[3], kids[4], kids[6]];
      const ended: string[] = [];
      for (const k of order) {
        const inFlight = await d.inFlight(kids);
        if (!inFlight.includes(k)) continue;
        await d.complete(k, k);
        ended.push(k);
        assert.ok((await d.inFlight(kids)).length <= 3);
      }
      while (ended.length < kids.length) {
        const [k] = await d.inFlight(kids);
        await d.complete(k, k);
        ended.push(k);
      }
      assert.equal(await d.status(swarm.key), Status.ACTIVE, "an open swarm waits for more tasks");
      const closed = await store.addChildren({ key: swarm.key, children: [], close: true, guard: {} });
      assert.equal(closed.record.status, Status.DONE);
      assert.deepEqual(closed.record.run?.result, ended);
      assert.equal(closed.record.container?.inFlight, 0);
      assert.deepEqual((await store.get(cb))!.run?.base, { mageflow_results: ended });
      const again = await store.addChildren({ key: swarm.key, children: [], close: true, guard: {} });
      assert.equal(again.changed, false);
    });

    it("a swarm ends FAILED once stop_after_n_failures children failed; the others are canceled; counters return to zero", async () => {
      const onError = await d.task();
      const kids = await Promise.all(Array.from({ length: 6 }, () => d.task()));
      const swarm = await d.swarm(kids, { maxConcurrency: 3, stopAfterNFailures: 2 }, { errorCallbacks: [onError], closed: true });
      await run(swarm.key);
      await d.fail(kids[0]);
      assert.equal(await d.status(swarm.key), Status.ACTIVE, "one failure is below the threshold");
      await d.complete(kids[1], 1);
      await d.fail(kids[2]);
      const failed = (await store.get(swarm.key))!;
      assert.equal(failed.status, Status.FAILED);
      assert.equal(failed.container?.inFlight, 0);
      assert.equal(failed.container?.ended, 6);
      assert.deepEqual(await d.statuses(kids), [Status.FAILED, Status.DONE, Status.FAILED, Status.CANCELED, Status.CANCELED, Status.CANCELED]);
      assert.equal((await store.get(onError))!.run?.base?.mageflow_error !== undefined, true);
    });

    it("failures below the threshold still let a closed swarm end DONE with the successes", async () => {
      const kids = await Promise.all(Array.from({ length: 3 }, () => d.task()));
      const swarm = await d.swarm(kids, { maxConcurrency: 5, stopAfterNFailures: 2 }, { closed: true });
      await run(swarm.key);
      await d.fail(kids[0]);
      await d.complete(kids[1], "b");
      await d.complete(kids[2], "c");
      const r = (await store.get(swarm.key))!;
      assert.equal(r.status, Status.DONE);
      assert.deepEqual(r.run?.result, ["b", "c"]);
    });

    it("refusals write nothing: closed swarm, child in another container, duplicate step, unknown child, too many tasks", async () => {
      const a = await d.task();
      const swarm = await d.swarm([a], { maxConcurrency: 1, maxTasks: 2 }, { closed: true });
      const rev = await store.currentRevision();
      assert.equal((await refusal(store.addChildren({ key: swarm.key, children: [{ key: await d.task() }], close: false, guard: {} }))).reason, "SWARM_CLOSED");
      const rev2 = await store.currentRevision();
      assert.equal((await refusal(d.chain([a, await d.task()]))).reason, "CHILD_NOT_AVAILABLE");
      const b = await d.task();
      assert.equal((await refusal(d.chain([b, b]))).reason, "CHILD_NOT_AVAILABLE");
      assert.equal((await refusal(d.chain([b, "TaskSignature:00000000-0000-4000-8000-000000000000"]))).reason, "CHILD_NOT_FOUND");
      assert.equal((await store.get(b))!.containerKey, "", "nothing half written");
      const open = await d.swarm([], { maxConcurrency: 1, maxTasks: 1 });
      const inline = createCmd();
      assert.equal((await refusal(store.addChildren({ key: open.key, children: [{ key: b }, { create: inline }], close: false, guard: {} }))).reason, "TOO_MANY_TASKS");
      assert.equal(await store.get(inline.key), undefined);
      assert.ok(rev2 >= rev);
      const added = await store.addChildren({ key: open.key, children: [{ create: inline }], close: false, guard: {} });
      assert.deepEqual(added.added, [inline.key]);
      assert.equal(added.record.container?.closed, true, "reaching max_tasks closes the swarm");
    });

    it("interrupt reaches every child not ended and cancels their runs; resume re-dispatches and the swarm keeps its counters", async () => {
      const kids = await Promise.all(Array.from({ length: 4 }, () => d.task()));
      const swarm = await d.swarm(kids, { maxConcurrency: 2 }, { closed: true });
      await run(swarm.key);
      await d.start(kids[0]);
      await store.transition(swarm.key, TRANSITIONS.interrupt, {});
      assert.deepEqual(await d.statuses([swarm.key, ...kids]), Array(5).fill(Status.INTERRUPTED));
      assert.deepEqual(await d.inFlight(kids), []);
      await store.transition(swarm.key, TRANSITIONS.resume, {});
      assert.equal(await d.status(swarm.key), Status.ACTIVE);
      assert.deepEqual(await d.inFlight(kids), kids.slice(0, 2));
      assert.equal((await store.get(swarm.key))!.container?.inFlight, 2);
      for (let i = 0; i < 4; i++) {
        const [k] = await d.inFlight(kids);
        await d.complete(k, i);
      }
      const r = (await store.get(swarm.key))!;
      assert.equal(r.status, Status.DONE);
      assert.equal(r.container?.inFlight, 0);
    });

    it("suspend holds a running swarm's next children; resume fills the free slots", async () => {
      const kids = await Promise.all(Array.from({ length: 3 }, () => d.task()));
      const swarm = await d.swarm(kids, { maxConcurrency: 1 }, { closed: true });
      await run(swarm.key);
      await d.start(kids[0]);
      await store.transition(swarm.key, TRANSITIONS.suspend, {});
      assert.deepEqual(await d.statuses([swarm.key, ...kids]), [Status.SUSPENDED, Status.ACTIVE, Status.SUSPENDED, Status.SUSPENDED]);
      const r0 = (await store.get(kids[0]))!;
      await store.completeTask(kids[0], r0.run!.runId, 0, {});
      assert.equal((await store.get(kids[1]))!.run, undefined, "a suspended swarm starts no child");
      await store.transition(swarm.key, TRANSITIONS.resume, {});
      assert.deepEqual(await d.inFlight(kids), [kids[1]]);
      await d.complete(kids[1], 1);
      await d.complete(kids[2], 2);
      assert.deepEqual((await store.get(swarm.key))!.run?.result, [0, 1, 2]);
    });

    it("cancel reaches every child; a canceled step cancels its chain", async () => {
      const kids = [await d.task(), await d.task()];
      const chain = await d.chain(kids);
      await run(chain.key);
      await store.transition(chain.key, TRANSITIONS.cancel, {});
      assert.deepEqual(await d.statuses([chain.key, ...kids]), [Status.CANCELED, Status.CANCELED, Status.CANCELED]);
      const other = [await d.task(), await d.task()];
      const chain2 = await d.chain(other);
      await run(chain2.key);
      await store.transition(other[0], TRANSITIONS.cancel, {});
      assert.deepEqual(await d.statuses([chain2.key, ...other]), [Status.CANCELED, Status.CANCELED, Status.CANCELED]);
    });

    it("containers nest: a swarm as a chain step runs with the previous result and passes its results on", async () => {
      const inner = [await d.task(), await d.task()];
      const swarm = await d.swarm(inner, { maxConcurrency: 2, sendMessage: true }, { closed: true, returnFieldName: "prev" });
      const first = await d.task();
      const last = await d.task({ rfn: "all" });
      const chain = await d.chain([first, swarm.key, last]);
      await run(chain.key, { m: 1 });
      await d.complete(first, "x");
      assert.equal(await d.status(swarm.key), Status.ACTIVE);
      assert.deepEqual((await store.get(inner[0]))!.run?.base, { prev: "x" });
      await d.complete(inner[1], 1);
      await d.complete(inner[0], 0);
      assert.deepEqual((await store.get(last))!.run?.base, { all: [1, 0] });
      await d.complete(last, "end");
      assert.equal(await d.status(chain.key), Status.DONE);
      await store.remove(chain.key, true, true, {});
      assert.equal((await store.get(inner[0]))!.removed, true, "removing a container retires its children");
    });

    it("a child runs only through its container: RunSignature refuses IN_CONTAINER, a callback dispatch skips it", async () => {
      const step = await d.task();
      const parent = await d.task({ succ: [step] });
      await d.chain([step, await d.task()]);
      assert.equal((await refusal(run(step))).reason, "IN_CONTAINER");
      await run(parent);
      await d.complete(parent, 1);
      assert.equal((await store.get(step))!.run, undefined);
    });

    it("a child of a live container cannot be removed or deleted on its own; once the container ended it can", async () => {
      const kids = [await d.task(), await d.task()];
      const swarm = await d.swarm(kids, { maxConcurrency: 2 }, { closed: true });
      assert.equal((await refusal(store.remove(kids[0], true, true, {}))).reason, "IN_CONTAINER");
      assert.equal((await refusal(store.delete(kids[0], {}))).reason, "IN_CONTAINER");
      await store.transition(swarm.key, TRANSITIONS.cancel, {});
      assert.deepEqual((await store.remove(kids[0], true, true, {})).keys, [kids[0]]);
    });

    it("a chain run while SUSPENDED starts on resume; RunSignature twice is ALREADY_DISPATCHED", async () => {
      const kids = [await d.task(), await d.task()];
      const chain = await d.chain(kids, { status: Status.SUSPENDED });
      await run(chain.key, { m: 2 });
      assert.equal((await store.get(kids[0]))!.run, undefined);
      assert.equal((await refusal(run(chain.key))).reason, "ALREADY_DISPATCHED");
      await store.transition(chain.key, TRANSITIONS.resume, {});
      assert.equal(await d.status(chain.key), Status.ACTIVE);
      assert.deepEqual((await store.get(kids[0]))!.run?.base, { m: 2 });
      assert.equal((await store.get(kids[0]))!.run?.dispatchState, DispatchState.QUEUED);
    });
  });
}
