/**
 * The reconciler on both stores, with an engine whose run states the test sets: every way a run can end at the
 * engine without a worker report, worker reports that come first, two servers reconciling the same run, and
 * the cost per in-flight run.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { DispatchError } from "../../src/dispatch/dispatcher.js";
import { DispatchLoop } from "../../src/dispatch/loop.js";
import type { ReconcileOptions } from "../../src/dispatch/reconciler.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import type { EngineRunState, RunStatusSource } from "../../src/dispatch/run-status.js";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import type { Store } from "../../src/store/store.js";
import { backends } from "../conformance/backends.js";
import { createCmd } from "../support/commands.js";
import { redisSkipReason } from "../support/redis-server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The engine's answers, per run id (unknown until set), and how often each run was asked about. */
class FakeEngineStatus implements RunStatusSource {
  readonly states = new Map<string, EngineRunState>();
  readonly asked = new Map<string, number>();
  async runStatus(runId: string): Promise<EngineRunState> {
    this.asked.set(runId, (this.asked.get(runId) ?? 0) + 1);
    return this.states.get(runId) ?? { kind: "unknown" };
  }
}

const FAST: Omit<ReconcileOptions, "source"> = { intervalMs: 50, maxIntervalMs: 200, notFoundAfterMs: 400, scanIntervalMs: 60_000 };

async function until<T>(check: () => Promise<T | undefined | false>, ms = 5000, what = "condition"): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const backend of backends()) {
  describe(`reconciler (${backend.name} store)`, { skip: backend.name === "redis" ? redisSkipReason() : undefined }, () => {
    let store: Store;
    let engine: RecordingDispatcher;
    let status: FakeEngineStatus;
    let loop: DispatchLoop;

    before(async () => {
      store = await backend.open();
      engine = new RecordingDispatcher();
      status = new FakeEngineStatus();
      loop = new DispatchLoop(store, engine, { reconcile: { ...FAST, source: status } });
      loop.start();
    });
    after(async () => {
      await loop.stop();
      await backend.shutdown();
    });

    /** A signature (with an error callback and a success callback) run and triggered; its engine run id. */
    async function triggered(taskName = "process-order") {
      const onErr = (await store.create(createCmd({ taskName: "on-error" }))).record.key;
      const onOk = (await store.create(createCmd({ taskName: "on-ok" }))).record.key;
      const { record } = await store.create(createCmd({ taskName, errorCallbacks: [onErr], successCallbacks: [onOk] }));
      await store.run({ key: record.key, input: { order: 1 }, metadata: {}, requestId: "", guard: {} });
      const runId = await until(async () => (await store.get(record.key))?.run?.runId || undefined, 5000, "the dispatch");
      return { key: record.key, runId, onErr, onOk };
    }
    const triggersOf = (key: string) => engine.triggers.filter((t) => t.key === key);
    const statusOf = async (key: string) => (await store.get(key))!.status;

    it("a run the engine never knows ends FAILED TASK_NOT_REGISTERED after the deadline, not before; its error callback fires once", async () => {
      const { key, runId, onErr, onOk } = await triggered("nobody-registered");
      await sleep(FAST.notFoundAfterMs / 2);
      assert.equal(await statusOf(key), Status.PENDING, "still within RECONCILE_NOT_FOUND_AFTER");
      await until(async () => (await statusOf(key)) === Status.FAILED, 5000, "FAILED");
      const r = (await store.get(key))!;
      assert.equal(r.run!.error!.type, "TASK_NOT_REGISTERED");
      assert.match(r.run!.error!.message, new RegExp(`${runId}.*nobody-registered`));
      await until(async () => triggersOf(onErr).length === 1, 5000, "the error callback");
      assert.equal(triggersOf(onErr)[0]!.input.mageflow_error && (triggersOf(onErr)[0]!.input.mageflow_error as { type: string }).type, "TASK_NOT_REGISTERED");
      await sleep(300);
      assert.equal(triggersOf(onErr).length, 1);
      assert.equal(triggersOf(onOk).length, 0);
    });

    it("the deadline counts from the trigger, not from the queueing: a run the engine took late is not failed at once", async () => {
      const refuseUntil = Date.now() + 700;
      engine.failWith = (call) => {
        if (call.op === "trigger" && call.req.taskName === "late-engine" && Date.now() < refuseUntil) throw new DispatchError("engine unavailable", false);
      };
      try {
        const { key, runId } = await triggered("late-engine"); // queued about 1.4 s before the engine took it
        const took = Date.now();
        await sleep(FAST.notFoundAfterMs / 2);
        assert.equal(await statusOf(key), Status.PENDING, "not failed on the queueing time");
        status.states.set(runId, { kind: "in_progress" }); // the engine writes the run a moment after answering
        await sleep(FAST.notFoundAfterMs);
        assert.equal(await statusOf(key), Status.PENDING);
        assert.ok(Date.now() - took >= FAST.notFoundAfterMs);
        status.states.set(runId, { kind: "completed", output: null });
        await until(async () => (await statusOf(key)) === Status.DONE, 5000, "DONE");
      } finally {
        engine.failWith = undefined;
      }
    });

    it("an engine failure of an ACTIVE run (no final report) ends FAILED with the engine's error and attempt", async () => {
      const { key, runId, onErr } = await triggered();
      await store.startTask(key, runId, 1, {});
      await store.failTask(key, runId, { message: "first", type: "Error", attempt: 1 }, false, {});
      status.states.set(runId, { kind: "failed", message: "Task exceeded timeout of 4s", type: "ENGINE_TIMEOUT", attempt: 2 });
      await until(async () => (await statusOf(key)) === Status.FAILED, 5000, "FAILED");
      assert.deepEqual((await store.get(key))!.run!.error, { message: "Task exceeded timeout of 4s", type: "ENGINE_TIMEOUT", attempt: 2 });
      await until(async () => triggersOf(onErr).length === 1, 5000, "the error callback");
      await sleep(300);
      assert.equal(triggersOf(onErr).length, 1);
    });

    it("an engine failure before any worker started it (PENDING) ends FAILED too", async () => {
      const { key, runId, onErr } = await triggered();
      status.states.set(runId, { kind: "failed", message: "scheduling timed out", type: "ENGINE_TIMEOUT", attempt: 0 });
      await until(async () => (await statusOf(key)) === Status.FAILED, 5000, "FAILED");
      await until(async () => triggersOf(onErr).length === 1, 5000, "the error callback");
    });

    it("an engine-side cancel ends CANCELED, with no callbacks", async () => {
      const { key, runId, onErr, onOk } = await triggered();
      await store.startTask(key, runId, 1, {});
      status.states.set(runId, { kind: "cancelled" });
      await until(async () => (await statusOf(key)) === Status.CANCELED, 5000, "CANCELED");
      await sleep(300);
      assert.equal(triggersOf(onErr).length + triggersOf(onOk).length, 0);
    });

    it("a completed run nobody reported ends DONE with the engine's output; success callbacks fire once", async () => {
      const { key, runId, onOk } = await triggered();
      status.states.set(runId, { kind: "completed", output: { total: 3 } });
      await until(async () => (await statusOf(key)) === Status.DONE, 5000, "DONE");
      assert.deepEqual((await store.get(key))!.run!.result, { total: 3 });
      await until(async () => triggersOf(onOk).length === 1, 5000, "the success callback");
      await sleep(300);
      assert.equal(triggersOf(onOk).length, 1);
    });

    it("a worker report that comes first wins: the engine's later answer changes nothing", async () => {
      const { key, runId, onErr, onOk } = await triggered();
      await store.startTask(key, runId, 1, {});
      await store.completeTask(key, runId, { by: "worker" }, {});
      status.states.set(runId, { kind: "failed", message: "late engine failure", type: "ENGINE_FAILED", attempt: 1 });
      await sleep(600);
      const r = (await store.get(key))!;
      assert.equal(r.status, Status.DONE);
      assert.deepEqual(r.run!.result, { by: "worker" });
      assert.equal(triggersOf(onErr).length, 0);
      assert.equal(triggersOf(onOk).length, 1);
    });

    it("a lifecycle change after the engine was asked is not overwritten: the cancel is pinned to the revision read", async () => {
      const { key, runId } = await triggered();
      await store.transition(key, TRANSITIONS.interrupt, {});
      status.states.set(runId, { kind: "cancelled" }); // the service's own interrupt cancelled it
      await sleep(600);
      assert.equal(await statusOf(key), Status.INTERRUPTED);
    });

    it("two servers reconciling the same run: it ends once, its error callback fires once", async () => {
      const second = new DispatchLoop(store, engine, { reconcile: { ...FAST, scanIntervalMs: 100, source: status } });
      second.start();
      try {
        const from = (await store.currentRevision()) + 1;
        const { key, runId, onErr } = await triggered();
        await store.startTask(key, runId, 1, {});
        await sleep(250); // the second server's scan adopts the run
        status.states.set(runId, { kind: "failed", message: "boom", type: "ENGINE_FAILED", attempt: 1 });
        await until(async () => (await statusOf(key)) === Status.FAILED, 5000, "FAILED");
        await sleep(500);
        assert.equal(triggersOf(onErr).length, 1);
        const failedEvents = (await store.events.range(from, 1000)).filter((e) => e.key === key && e.type === EventType.STATUS_CHANGED && e.record.status === Status.FAILED);
        assert.equal(failedEvents.length, 1, `one change to FAILED: ${JSON.stringify((await store.events.range(from, 1000)).filter((e) => e.key === key).map((e) => [e.revision, EventType[e.type], Status[e.record.status]]))}`);
      } finally {
        await second.stop();
      }
    });

    it("costs one engine call per look, looks backing off to the max interval", async () => {
      const { key, runId } = await triggered();
      await store.startTask(key, runId, 1, {});
      status.states.set(runId, { kind: "in_progress" });
      await sleep(1500);
      const asked = status.asked.get(runId) ?? 0;
      // Looks at +50, +100, +200, then every 200 ms: about 9 in 1.5 s; never one per wake-up of the loop.
      assert.ok(asked >= 4 && asked <= 12, `asked ${asked} times`);
      assert.equal(await statusOf(key), Status.ACTIVE);
      status.states.set(runId, { kind: "completed", output: null });
      await until(async () => (await statusOf(key)) === Status.DONE, 5000, "DONE");
    });
  });
}
