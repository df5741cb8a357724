import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { StartDecision, WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import type { RunningServer } from "../../src/server/server.js";
import { startRedisServer, redisSkipReason, type RedisServer } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";

const until = async <T>(fn: () => T | undefined, ms = 5000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
};

for (const backend of ["memory", "redis"] as const) describe(`running signatures on the ${backend} store: dispatch, worker reports, callbacks`, { skip: backend === "redis" && redisSkipReason() }, () => {
  let server: RunningServer;
  let redis: RedisServer | undefined;
  const engine = new RecordingDispatcher();
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  let workers: ReturnType<typeof createClient<typeof WorkerService>>;
  const triggersOf = (key: string) => engine.triggers.filter((t) => t.key === key);

  before(async () => {
    if (backend === "redis") redis = await startRedisServer();
    server = await startTestServer(redis ? { redisUrl: redis.url } : {}, engine);
    const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` });
    sigs = createClient(SignatureService, transport);
    workers = createClient(WorkerService, transport);
  });
  after(async () => {
    await server.close(1000);
    await redis?.stop();
  });

  it("runs with kwargs over the message, completes, and dispatches each success callback once with the result", async () => {
    const ok1 = (await sigs.createSignature({ taskName: "notify", kwargs: { channel: "mail" } })).signature!.key;
    const ok2 = (await sigs.createSignature({ taskName: "audit", returnFieldName: "parent" })).signature!.key;
    const onErr = (await sigs.createSignature({ taskName: "alert" })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "charge", kwargs: { amount: 5, opts: { retry: true } }, successCallbacks: [ok1, ok2], errorCallbacks: [onErr] })).signature!.key;

    const ran = await sigs.runSignature({ key, message: { amount: 1, opts: { currency: "eur" } }, metadata: { tenant: "t1" } });
    assert.equal(ran.dispatchState, DispatchState.TRIGGERED);
    const [t] = triggersOf(key);
    assert.equal(t.runId, ran.runId);
    assert.equal(t.taskName, "charge");
    assert.deepEqual(t.input, { amount: 5, opts: { currency: "eur", retry: true } });
    assert.deepEqual(t.metadata, { tenant: "t1", task_id: key });

    const start = await workers.startTask({ key, runId: ran.runId, attempt: 1 });
    assert.equal(start.decision, StartDecision.RUN);
    const done = await workers.completeTask({ key, runId: ran.runId, result: { kind: { case: "numberValue", value: 42 } } });
    assert.equal(done.signature!.taskStatus!.status, Status.DONE);
    assert.deepEqual(new Set(done.dispatchedCallbacks), new Set([ok1, ok2]));
    const again = await workers.completeTask({ key, runId: ran.runId, result: { kind: { case: "numberValue", value: 42 } } });
    assert.deepEqual(new Set(again.dispatchedCallbacks), new Set([ok1, ok2]), "a repeated report gets the first outcome");

    const cb1 = await until(() => triggersOf(ok1)[0]);
    const cb2 = await until(() => triggersOf(ok2)[0]);
    assert.deepEqual(cb1.input, { mageflow_results: 42, channel: "mail" });
    assert.deepEqual(cb2.input, { parent: 42 });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(triggersOf(ok1).length, 1, "callbacks fire once");
    assert.equal((await sigs.getSignature({ key: onErr })).signature!.removed, true, "the error branch is retired");
  });

  it("fires error callbacks once, after the final failure, with the input and mageflow_error", async () => {
    const onErr = (await sigs.createSignature({ taskName: "alert", kwargs: { severity: "high" } })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "flaky", errorCallbacks: [onErr] })).signature!.key;
    const { runId } = await sigs.runSignature({ key, message: { order: 7 } });
    await workers.startTask({ key, runId, attempt: 1 });
    const soft = await workers.failTask({ key, runId, error: { message: "boom", type: "ValueError", attempt: 1 }, final: false });
    assert.equal(soft.signature!.taskStatus!.status, Status.ACTIVE);
    assert.equal(triggersOf(onErr).length, 0);
    const hard = await workers.failTask({ key, runId, error: { message: "boom", type: "ValueError", attempt: 2 }, final: true });
    assert.equal(hard.signature!.taskStatus!.status, Status.FAILED);
    const cb = await until(() => triggersOf(onErr)[0]);
    assert.deepEqual(cb.input, { order: 7, severity: "high", mageflow_error: { message: "boom", type: "ValueError", attempt: 2 } });
  });

  it("skips a run suspended before it started, and resume re-sends the same input as attempt 2", async () => {
    const key = (await sigs.createSignature({ taskName: "slow", kwargs: { k: 1 } })).signature!.key;
    const { runId } = await sigs.runSignature({ key, message: { m: 2 } });
    await sigs.suspendSignature({ key });
    const skip = await workers.startTask({ key, runId, attempt: 1 });
    assert.equal(skip.decision, StartDecision.SKIP);
    assert.equal(skip.skipReason, "SIGNATURE_SUSPENDED");
    const resumed = await sigs.resumeSignature({ key });
    assert.equal(resumed.signature!.taskStatus!.status, Status.PENDING);
    const second = await until(() => triggersOf(key)[1]);
    assert.deepEqual(second.input, triggersOf(key)[0].input);
    assert.equal(second.attempt, 2);
    const stale = await workers.startTask({ key, runId, attempt: 1 });
    assert.equal(stale.skipReason, "STALE_RUN", "the old run is fenced");
  });

  it("interrupt of an ACTIVE run cancels it at the engine; a late completion changes nothing", async () => {
    const key = (await sigs.createSignature({ taskName: "long" })).signature!.key;
    const { runId } = await sigs.runSignature({ key });
    await workers.startTask({ key, runId, attempt: 1 });
    await sigs.interruptSignature({ key });
    await until(() => (engine.cancels.includes(runId) ? true : undefined));
    const late = await workers.completeTask({ key, runId }).catch((e) => e as ConnectError);
    assert.equal((late as ConnectError).code, Code.FailedPrecondition);
    assert.equal((late as ConnectError).findDetails(ErrorInfoSchema)[0].reason, "TASK_NOT_ACTIVE");
    assert.equal((await sigs.getSignature({ key })).signature!.taskStatus!.status, Status.INTERRUPTED);
  });

  it("a run request that is retried with the same request_id returns the first run", async () => {
    const key = (await sigs.createSignature({ taskName: "once" })).signature!.key;
    const a = await sigs.runSignature({ key, requestId: "r-1" });
    const b = await sigs.runSignature({ key, requestId: "r-1" });
    assert.equal(b.runId, a.runId);
    const c = await sigs.runSignature({ key, requestId: "r-2" }).catch((e) => e as ConnectError);
    assert.equal((c as ConnectError).findDetails(ErrorInfoSchema)[0].reason, "ALREADY_DISPATCHED");
    assert.equal(triggersOf(key).length, 1);
  });

  it("validates the composed input against input_schema and dispatches nothing when it fails", async () => {
    const key = (await sigs.createSignature({ taskName: "typed", inputSchema: { type: "object", required: ["order_id"], properties: { order_id: { type: "integer" } } } })).signature!.key;
    const bad = await sigs.runSignature({ key, message: { order_id: "x" } }).catch((e) => e as ConnectError);
    assert.equal((bad as ConnectError).code, Code.InvalidArgument);
    assert.equal((await sigs.getSignature({ key })).signature!.run, undefined);
    const ok = await sigs.runSignature({ key, message: { order_id: 3 } });
    assert.ok(ok.runId);
  });

  it("ends a signature FAILED when the engine can never run it, firing its error callbacks", async () => {
    const onErr = (await sigs.createSignature({ taskName: "alert" })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "unknown-task", errorCallbacks: [onErr] })).signature!.key;
    const { DispatchError } = await import("../../src/dispatch/dispatcher.js");
    engine.failWith = (c) => {
      if (c.op === "trigger" && c.req.taskName === "unknown-task") throw new DispatchError("workflow not found", true, "NOT_FOUND");
    };
    try {
      const res = await sigs.runSignature({ key });
      assert.equal(res.dispatchState, DispatchState.QUEUED);
      await until(() => (triggersOf(onErr)[0] ? true : undefined));
      const failed = (await sigs.getSignature({ key })).signature!;
      assert.equal(failed.taskStatus!.status, Status.FAILED);
      assert.equal(failed.run!.error!.message, "workflow not found");
    } finally {
      engine.failWith = undefined;
    }
  });
});
