import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { DispatchState } from "../../src/store/record.js";
import type { Store } from "../../src/store/store.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";
import { createCmd, refusal } from "../support/commands.js";

const ERR = { message: "boom", type: "ValueError", attempt: 3 };


for (const b of backends()) {
  describe(`worker reports (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    let store: Store;
    before(async () => {
      store = await b.open();
    });
    after(() => b.shutdown());

    const create = async (o: { succ?: string[]; err?: string[]; status?: Status; rfn?: string } = {}) => {
      const key = `TaskSignature:${randomUUID()}`;
      await store.create(createCmd({ key, taskName: "worker", successCallbacks: o.succ ?? [], errorCallbacks: o.err ?? [], status: o.status ?? Status.PENDING, returnFieldName: o.rfn ?? "mageflow_results" }));
      return key;
    };
    /** Run + dispatched as `run-<key>` + started: ACTIVE. */
    const active = async (key: string, input = { n: 1 }) => {
      await store.run({ key, input, metadata: {}, requestId: "", guard: {} });
      await store.markDispatched(key, 1, `run-${key}`, undefined);
      assert.equal((await store.startTask(key, `run-${key}`, 1, {})).run, true);
      return `run-${key}`;
    };

    it("StartTask: PENDING → ACTIVE and RUN; a repeated start (engine retry) runs without a change", async () => {
      const key = await create();
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      await store.markDispatched(key, 1, "r1", undefined);
      const first = await store.startTask(key, "r1", 1, {});
      assert.equal(first.run, true);
      assert.equal(first.record.status, Status.ACTIVE);
      assert.equal(first.record.lastStatus, Status.PENDING);
      const rev = await store.currentRevision();
      const again = await store.startTask(key, "r1", 2, {});
      assert.equal(again.run, true);
      assert.equal(await store.currentRevision(), rev);
    });

    it("fencing by run id: another run is SKIPped / refused with STALE_RUN", async () => {
      const never = await create();
      const d0 = await store.startTask(never, "x", 1, {});
      assert.deepEqual([d0.run, d0.run ? "" : d0.reason], [false, "STALE_RUN"]);

      const key = await create();
      const runId = await active(key);
      const d = await store.startTask(key, "other", 1, {});
      assert.deepEqual([d.run, d.run ? "" : d.reason], [false, "STALE_RUN"]);
      for (const p of [store.completeTask(key, "other", 1, {}), store.failTask(key, "other", ERR, true, {})]) {
        const e = await refusal(p);
        assert.equal(e.code, Code.FailedPrecondition);
        assert.equal(e.reason, "STALE_RUN");
        assert.equal(e.metadata.current_run_id, runId);
      }
      assert.equal((await store.get(key))!.status, Status.ACTIVE);
    });

    it("first start wins: a QUEUED run without a run id adopts the first reported one", async () => {
      const key = await create();
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      const first = await store.startTask(key, "engine-a", 1, {});
      assert.equal(first.run, true);
      assert.equal(first.record.run?.runId, "engine-a");
      assert.equal(first.record.run?.dispatchState, DispatchState.TRIGGERED);
      const second = await store.startTask(key, "engine-b", 1, {});
      assert.deepEqual([second.run, second.run ? "" : second.reason], [false, "STALE_RUN"]);
      assert.equal(await store.markDispatched(key, 1, "engine-b", undefined), undefined);
      assert.equal((await store.get(key))!.run?.runId, "engine-a");
    });

    it("StartTask SKIPs with the status's reason and changes nothing", async () => {
      const cases: Array<[string, (key: string, runId: string) => Promise<unknown>]> = [
        ["SIGNATURE_SUSPENDED", (k) => store.transition(k, TRANSITIONS.suspend, {})],
        ["SIGNATURE_INTERRUPTED", (k) => store.transition(k, TRANSITIONS.interrupt, {})],
        ["SIGNATURE_CANCELED", (k) => store.transition(k, TRANSITIONS.cancel, {})],
        ["SIGNATURE_REMOVED", (k) => store.remove(k, true, true, {})],
      ];
      for (const [reason, act] of cases) {
        const key = await create();
        await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
        await store.markDispatched(key, 1, "r1", undefined);
        await act(key, "r1");
        const before = (await store.get(key))!;
        const d = await store.startTask(key, "r1", 1, {});
        assert.deepEqual([d.run, d.run ? "" : d.reason], [false, reason]);
        assert.deepEqual(await store.get(key), before);
      }
      for (const final of [true, false]) {
        const key = await create();
        const runId = await active(key);
        if (final) await store.completeTask(key, runId, null, {});
        else await store.failTask(key, runId, ERR, true, {});
        const d = await store.startTask(key, runId, 1, {});
        assert.deepEqual([d.run, d.run ? "" : d.reason], [false, "RUN_FINISHED"]);
      }
    });

    it("CompleteTask: DONE, callbacks dispatched once with {return_field_name: result}, error tree retired", async () => {
      const queued = await create({ rfn: "parent" });
      const parked = await create({ status: Status.SUSPENDED });
      const gone = await create();
      const ran = await create();
      await store.run({ key: ran, input: {}, metadata: {}, requestId: "", guard: {} });
      const errLeaf = await create();
      const errChild = await create({ succ: [errLeaf] });
      const key = await create({ succ: [queued, parked, gone, ran], err: [errChild] });
      await store.remove(gone, true, true, {});
      const runId = await active(key);
      const result = { list: [], obj: {}, text: "é/\"" };

      const first = await store.completeTask(key, runId, result, {});
      assert.equal(first.record.status, Status.DONE);
      assert.equal(first.record.lastStatus, Status.ACTIVE);
      assert.deepEqual(first.record.run?.result, result);
      assert.deepEqual(first.dispatched, [queued, parked]);
      const rev = first.record.revision;

      const q = (await store.get(queued))!;
      assert.deepEqual(q.run?.base, { parent: result });
      assert.equal(q.run?.dispatchState, DispatchState.QUEUED);
      assert.equal(q.run?.attempt, 1);
      assert.equal(q.revision, rev);
      const p = (await store.get(parked))!;
      assert.equal(p.run?.dispatchState, DispatchState.PARKED);
      assert.deepEqual(p.run?.base, { mageflow_results: result });
      assert.equal((await store.get(ran))!.run?.base, undefined, "a dispatched callback is not dispatched again");
      for (const k of [errChild, errLeaf]) assert.equal((await store.get(k))!.removed, true);

      const again = await store.completeTask(key, runId, { other: 1 }, {});
      assert.deepEqual(again, first, "the first outcome again");
      assert.equal(await store.currentRevision(), rev, "nothing written");
      const triggers = (await store.events.range(rev, 100)).filter((e) => e.type === 5);
      assert.deepEqual(triggers.map((e) => e.key).sort(), [queued, parked].sort());
    });

    it("CompleteTask / FailTask need an ACTIVE signature", async () => {
      const key = await create();
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      await store.markDispatched(key, 1, "r1", undefined);
      const e = await refusal(store.completeTask(key, "r1", 1, {}));
      assert.equal(e.reason, "TASK_NOT_ACTIVE");
      assert.equal(e.metadata.current_status, "PENDING");
      await store.startTask(key, "r1", 1, {});
      await store.failTask(key, "r1", ERR, true, {});
      assert.equal((await refusal(store.completeTask(key, "r1", 1, {}))).reason, "TASK_NOT_ACTIVE");

      const removed = await create();
      const runId = await active(removed);
      await store.remove(removed, true, true, {});
      assert.equal((await refusal(store.completeTask(removed, runId, 1, {}))).reason, "SIGNATURE_REMOVED");
    });

    it("FailTask not final: stays ACTIVE with the error recorded (ATTEMPT_FAILED)", async () => {
      const key = await create();
      const runId = await active(key);
      const res = await store.failTask(key, runId, ERR, false, {});
      assert.equal(res.record.status, Status.ACTIVE);
      assert.deepEqual(res.record.run?.error, ERR);
      assert.deepEqual(res.dispatched, []);
      const [event] = (await store.events.range(res.record.revision, 10)).filter((e) => e.key === key);
      assert.equal(event.type, 11);
      const done = await store.completeTask(key, runId, "ok", {});
      assert.equal(done.record.status, Status.DONE);
    });

    it("FailTask final: FAILED; error callbacks get last_input + mageflow_error; success tree retired; repeat = first outcome", async () => {
      const onError = await create();
      const onErrorToo = await create({ status: Status.SUSPENDED });
      const succLeaf = await create();
      const onSuccess = await create({ err: [succLeaf] });
      const key = await create({ succ: [onSuccess], err: [onError, onErrorToo] });
      const input = { a: [], b: {}, mageflow_error: "older" };
      const runId = await active(key, input as never);

      const first = await store.failTask(key, runId, ERR, true, {});
      assert.equal(first.record.status, Status.FAILED);
      assert.equal(first.record.lastStatus, Status.ACTIVE);
      assert.deepEqual(first.record.run?.error, ERR);
      assert.deepEqual(first.dispatched, [onError, onErrorToo]);
      const base = { a: [], b: {}, mageflow_error: ERR };
      assert.deepEqual((await store.get(onError))!.run?.base, base);
      assert.equal((await store.get(onError))!.run?.dispatchState, DispatchState.QUEUED);
      assert.equal((await store.get(onErrorToo))!.run?.dispatchState, DispatchState.PARKED);
      for (const k of [onSuccess, succLeaf]) assert.equal((await store.get(k))!.removed, true);

      const rev = await store.currentRevision();
      assert.deepEqual(await store.failTask(key, runId, { ...ERR, message: "again" }, true, {}), first);
      assert.equal(await store.currentRevision(), rev);
    });

    it("failDispatch: a PENDING run that can never be triggered ends FAILED with error callbacks", async () => {
      const onError = await create();
      const key = await create({ err: [onError] });
      await store.run({ key, input: { x: 1 }, metadata: {}, requestId: "", guard: {} });
      assert.equal(await store.failDispatch(key, 2, ERR), undefined, "only for the current attempt");
      const res = (await store.failDispatch(key, 1, ERR))!;
      assert.equal(res.record.status, Status.FAILED);
      assert.deepEqual(res.dispatched, [onError]);
      assert.deepEqual((await store.get(onError))!.run?.base, { x: 1, mageflow_error: ERR });
      assert.equal(await store.failDispatch(key, 1, ERR), undefined, "no longer PENDING");
    });
  });
}
