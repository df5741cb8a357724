/**
 * Issue 5 "done when", through the service with the real Hatchet SDK on the wire: the service's
 * HatchetDispatcher triggers runs at the stand-in engine (test/support/hatchet-standin.ts), a real SDK
 * worker wrapped with `withSignature` executes them and reports to the service over Connect, and the
 * service fires callbacks, cancels, re-dispatches and survives kill -9 (Redis).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Context, HatchetClient } from "@hatchet-dev/typescript-sdk";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { StartDecision, WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { HatchetDispatcher } from "../../src/dispatch/hatchet.js";
import type { RunningServer } from "../../src/server/server.js";
import { connectWorkerReporter, withSignature, type WorkerReporter } from "../../src/worker/hatchet-worker.js";
import { startHatchetStandin, type HatchetStandin, type StandinTrigger } from "../support/hatchet-standin.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";
import { testSdk } from "../support/hatchet-sdk.js";

/** Task inputs and outputs: JSON objects (`any` values so they fit the SDK's JsonObject). */
type Json = Record<string, any>;
type Worker = Awaited<ReturnType<HatchetClient["worker"]>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One WorkerService call the helper made, with the service's answer (or error). */
interface Report {
  op: "start" | "complete" | "fail";
  key: string;
  runId: string;
  attempt?: number;
  final?: boolean;
  decision?: StartDecision;
  skipReason?: string;
  error?: string;
}

/** A WorkerReporter that forwards to `target()` (the current server) and logs every call and answer. */
function loggingReporter(target: () => WorkerReporter, log: Report[]): WorkerReporter {
  const logged = async <R>(entry: Report, call: () => Promise<R>, note?: (r: R) => Partial<Report>) => {
    try {
      const res = await call();
      log.push({ ...entry, ...note?.(res) });
      return res;
    } catch (e) {
      log.push({ ...entry, error: (e as Error).message });
      throw e;
    }
  };
  return {
    startTask: (req) =>
      logged({ op: "start", key: req.key!, runId: req.runId!, attempt: req.attempt }, () => target().startTask(req), (r) => ({ decision: r.decision, skipReason: r.skipReason })),
    completeTask: (req) => logged({ op: "complete", key: req.key!, runId: req.runId! }, () => target().completeTask(req)),
    failTask: (req) => logged({ op: "fail", key: req.key!, runId: req.runId!, attempt: req.error?.attempt, final: req.final }, () => target().failTask(req)),
  };
}

function clients(httpPort: number) {
  const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${httpPort}` });
  return { sigs: createClient(SignatureService, transport), workers: createClient(WorkerService, transport) };
}

function sdkClient(engine: HatchetStandin) {
  return testSdk(engine, {
    cancellation_grace_period: 200,
    cancellation_warning_threshold: 0,
  });
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const reason = (e: unknown) => (e as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason;

describe("issue 5 through the service: HatchetDispatcher + real SDK worker on the stand-in engine", () => {
  let engine: HatchetStandin;
  let server: RunningServer;
  let worker: Worker;
  let sigs: ReturnType<typeof clients>["sigs"];
  let workers: ReturnType<typeof clients>["workers"];
  const reports: Report[] = [];
  /** key (or run id when unreported) → inputs the user function was called with, in order. */
  const calls = new Map<string, Json[]>();
  const errorCallbackTriggersAtAttempt = new Map<string, number[]>();
  const gates = new Map<string, { started: Deferred<void>; release: Deferred<Json> }>();

  const triggersOf = (key: string) => engine.triggers.filter((t) => t.metadata?.task_id === key);
  const triggersOfName = (name: string) => engine.triggers.filter((t) => t.name === name);
  const reportsOf = (key: string) => reports.filter((r) => r.key === key);
  const callsOf = (key: string) => calls.get(key) ?? [];
  const sig = async (key: string) => (await sigs.getSignature({ key })).signature!;
  const statusOf = async (key: string) => (await sig(key)).taskStatus!.status;
  const untilStatus = (key: string, status: Status, ms = 8000) =>
    waitFor(async () => ((await statusOf(key)) === status ? true : undefined), ms, `${key} to become ${Status[status]}`);
  const record = (input: Json, ctx: Context<any>) => {
    const id = ctx.additionalMetadata().task_id ?? ctx.workflowRunId();
    calls.set(id, [...(calls.get(id) ?? []), input]);
    return id;
  };

  before(async () => {
    engine = await startHatchetStandin();
    const dispatcher = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" }, timeoutMs: 3000 });
    server = await startTestServer({ dispatchWait: "5s" }, dispatcher);
    ({ sigs, workers } = clients(server.httpPort));

    const direct = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);
    const reporter = loggingReporter(() => direct, reports);
    const hatchet = sdkClient(engine);
    const echo = (name: string) =>
      hatchet.task({
        name,
        fn: withSignature(reporter, async (input: Json, ctx) => {
          record(input, ctx);
          return { echoed: input };
        }),
      });
    const sum = hatchet.task({
      name: "e2e-sum",
      fn: withSignature(reporter, async (input: { a: number; b: number }, ctx) => {
        record(input, ctx);
        return { total: input.a + input.b };
      }),
    });
    const flakyOpts = { name: "e2e-flaky", retries: 2 };
    const flaky = hatchet.task({
      ...flakyOpts,
      fn: withSignature(
        reporter,
        async (input: Json, ctx) => {
          const key = record(input, ctx);
          // How many error-callback triggers the engine had seen when this attempt began.
          errorCallbackTriggersAtAttempt.set(key, [...(errorCallbackTriggersAtAttempt.get(key) ?? []), engine.triggers.filter((t) => t.name === "e2e-on-error").length]);
          throw new TypeError(`boom ${ctx.retryCount() + 1}`);
        },
        flakyOpts,
      ),
    });
    const blocking = hatchet.task({
      name: "e2e-blocking",
      fn: withSignature(reporter, async (input: Json, ctx) => {
        const key = record(input, ctx);
        const gate = gates.get(key)!;
        gate.started.resolve();
        return gate.release.promise; // ignores ctx.abortController on purpose: a worker that finishes late
      }),
    });
    worker = await hatchet.worker("e2e-worker", {
      workflows: [sum, flaky, blocking, echo("e2e-notify"), echo("e2e-audit"), echo("e2e-on-error"), echo("e2e-slow")],
    });
    void worker.start();
    await worker.waitUntilReady(5000);
  });

  after(async () => {
    for (const g of gates.values()) g.release.resolve({});
    await worker?.stop();
    await server?.close(1000);
    await engine?.close();
  });

  it("RunSignature sends TriggerWorkflow with the SDK's task name, the composed input and task_id, and returns the engine's run id", async () => {
    const key = (await sigs.createSignature({ taskName: "E2E-Charge", kwargs: { amount: 5, opts: { retry: true } } })).signature!.key;
    const ran = await sigs.runSignature({ key, message: { amount: 1, opts: { currency: "eur" }, note: "hi" }, metadata: { tenant: "t1" } });

    const sent = triggersOf(key);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.name, "e2e-charge", "the SDK lower-cases the task name (no namespace)");
    assert.deepEqual(sent[0]!.input, { amount: 5, opts: { currency: "eur", retry: true }, note: "hi" }, "deep_merge(message, kwargs), kwargs win");
    assert.deepEqual(sent[0]!.metadata, { tenant: "t1", task_id: key });
    assert.equal(ran.dispatchState, DispatchState.TRIGGERED);
    assert.equal(ran.runId, sent[0]!.runId);
    const stored = await sig(key);
    assert.equal(stored.run!.runId, sent[0]!.runId);
    assert.deepEqual(stored.run!.lastInput, sent[0]!.input);
  });

  it("a real worker runs the task, CompleteTask makes it DONE, and both success callbacks are triggered and run with the result", async () => {
    const ok1 = (await sigs.createSignature({ taskName: "e2e-notify", kwargs: { channel: "mail" } })).signature!.key;
    const ok2 = (await sigs.createSignature({ taskName: "e2e-audit", returnFieldName: "parent", kwargs: { parent: { by: "kwargs" }, level: 2 } })).signature!.key;
    const onErr = (await sigs.createSignature({ taskName: "e2e-on-error" })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "e2e-sum", kwargs: { b: 4 }, successCallbacks: [ok1, ok2], errorCallbacks: [onErr] })).signature!.key;

    const { runId } = await sigs.runSignature({ key, message: { a: 2, b: 100 } });
    await untilStatus(key, Status.DONE);
    assert.deepEqual(callsOf(key), [{ a: 2, b: 4 }], "the user function ran once with kwargs over the message");
    assert.deepEqual(reportsOf(key).map((r) => [r.op, r.runId, r.decision ?? r.error]), [
      ["start", runId, StartDecision.RUN],
      ["complete", runId, undefined],
    ]);
    const done = await sig(key);
    assert.equal(done.run!.runId, runId);

    const cb1 = await engine.until(() => triggersOf(ok1)[0]);
    const cb2 = await engine.until(() => triggersOf(ok2)[0]);
    assert.equal(cb1.name, "e2e-notify");
    assert.deepEqual(cb1.input, { mageflow_results: { total: 6 }, channel: "mail" });
    assert.deepEqual(cb2.input, { parent: { total: 6, by: "kwargs" }, level: 2 }, "{return_field_name: result} merged with kwargs, kwargs win");
    assert.equal(cb1.metadata?.task_id, ok1);

    // The callbacks are registered tasks, so the worker runs them through the service too.
    await untilStatus(ok1, Status.DONE);
    await untilStatus(ok2, Status.DONE);
    assert.deepEqual(callsOf(ok1), [cb1.input]);
    assert.deepEqual(callsOf(ok2), [cb2.input]);
    await sleep(300);
    assert.equal(triggersOf(ok1).length, 1, "success callbacks fire once");
    assert.equal(triggersOf(ok2).length, 1, "success callbacks fire once");
    assert.equal(triggersOf(onErr).length, 0);
    assert.equal((await sig(onErr)).removed, true, "the error branch is retired");
  });

  it("a task failing with retries=2 fires its error callback exactly once, after the last attempt, with the input and mageflow_error", async () => {
    const onErr = (await sigs.createSignature({ taskName: "e2e-on-error", kwargs: { severity: "high" } })).signature!.key;
    const onOk = (await sigs.createSignature({ taskName: "e2e-notify" })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "e2e-flaky", kwargs: { tries: "all" }, successCallbacks: [onOk], errorCallbacks: [onErr] })).signature!.key;

    const { runId } = await sigs.runSignature({ key, message: { order: 7 } });
    await untilStatus(key, Status.FAILED);
    const cb = await engine.until(() => triggersOf(onErr)[0]);

    const attempts = callsOf(key);
    assert.equal(attempts.length, 3, "the engine ran 1 + 2 retries");
    assert.deepEqual(attempts, [{ order: 7, tries: "all" }, { order: 7, tries: "all" }, { order: 7, tries: "all" }]);
    const before = triggersOfName("e2e-on-error").length - 1; // error-callback triggers of earlier tests
    assert.deepEqual(errorCallbackTriggersAtAttempt.get(key), [before, before, before], "no error callback before the last attempt ran");
    assert.deepEqual(
      reportsOf(key).filter((r) => r.op === "fail").map((r) => [r.runId, r.attempt, r.final]),
      [
        [runId, 1, false],
        [runId, 2, false],
        [runId, 3, true],
      ],
    );
    assert.deepEqual(cb.input, { order: 7, tries: "all", severity: "high", mageflow_error: { message: "boom 3", type: "TypeError", attempt: 3 } });
    const failed = await sig(key);
    assert.deepEqual({ message: failed.run!.error!.message, attempt: failed.run!.error!.attempt }, { message: "boom 3", attempt: 3 });

    await untilStatus(onErr, Status.DONE);
    assert.deepEqual(callsOf(onErr), [cb.input], "the error callback ran on the worker with that input");
    await sleep(300);
    assert.equal(triggersOf(onErr).length, 1, "the error callback fires exactly once");
    assert.equal(triggersOf(onOk).length, 0);
    assert.equal((await sig(onOk)).removed, true, "the success branch is retired");
    assert.equal(engine.runs.get(runId)?.status, "FAILED", "the engine saw the failure after the last attempt");
  });

  it("interrupt during ACTIVE cancels the run at the engine; a late CompleteTask of the old run changes nothing", async () => {
    const onOk = (await sigs.createSignature({ taskName: "e2e-notify" })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "e2e-blocking", successCallbacks: [onOk] })).signature!.key;
    const gate = { started: deferred<void>(), release: deferred<Json>() };
    gates.set(key, gate);

    const { runId } = await sigs.runSignature({ key, message: { job: 1 } });
    await withTimeout(gate.started.promise, 8000, "the worker to start the blocking task");
    assert.equal(await statusOf(key), Status.ACTIVE);

    const interrupted = await sigs.interruptSignature({ key });
    assert.equal(interrupted.signature!.taskStatus!.status, Status.INTERRUPTED);
    await engine.until(() => engine.cancels.includes(runId));
    await engine.until(() => engine.runs.get(runId)?.status === "CANCELLED");

    // The user function finishes after the cancel: the helper must not report it (ctx.cancelled) ...
    gate.release.resolve({ late: true });
    await sleep(400);
    assert.deepEqual(reportsOf(key).map((r) => r.op), ["start"], "a cancelled run is not reported by the helper");

    // ... and a worker that does report late is fenced.
    const late = await workers.completeTask({ key, runId, result: { kind: { case: "stringValue", value: "late" } } }).catch((e: unknown) => e);
    assert.ok(late instanceof ConnectError, "late CompleteTask is rejected");
    assert.equal(late.code, Code.FailedPrecondition);
    assert.equal(reason(late), "TASK_NOT_ACTIVE");
    const after = await sig(key);
    assert.equal(after.taskStatus!.status, Status.INTERRUPTED);
    assert.equal(after.run!.result, undefined);
    await sleep(300);
    assert.equal(triggersOf(onOk).length, 0, "no callbacks");
    assert.equal(triggersOf(key).length, 1);
  });

  it("suspend before start: StartTask says SKIP, the function does not run; Resume re-sends the same input, it runs once, callbacks fire once", async () => {
    const onOk = (await sigs.createSignature({ taskName: "e2e-notify", kwargs: { via: "resume" } })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "e2e-slow", kwargs: { k: 1, deep: { x: 1 } }, successCallbacks: [onOk] })).signature!.key;

    engine.holdAssignments(true);
    let first: StandinTrigger;
    try {
      const ran = await sigs.runSignature({ key, message: { m: 2, deep: { y: 2 } } });
      assert.equal(ran.dispatchState, DispatchState.TRIGGERED);
      first = triggersOf(key)[0]!;
      assert.equal(first.runId, ran.runId);
      const suspended = await sigs.suspendSignature({ key });
      assert.equal(suspended.signature!.taskStatus!.status, Status.SUSPENDED);
    } finally {
      engine.holdAssignments(false);
    }
    // The engine now hands the old run to the worker.
    await engine.until(() => ["COMPLETED", "FAILED"].includes(engine.runs.get(first.runId)?.status ?? ""));
    assert.deepEqual(reportsOf(key).map((r) => [r.op, r.runId, r.decision, r.skipReason]), [["start", first.runId, StartDecision.SKIP, "SIGNATURE_SUSPENDED"]]);
    assert.equal(callsOf(key).length, 0, "user code did not run");
    assert.equal(await statusOf(key), Status.SUSPENDED);

    const resumed = await sigs.resumeSignature({ key });
    assert.equal(resumed.signature!.taskStatus!.status, Status.PENDING);
    const second = await engine.until(() => triggersOf(key)[1]);
    assert.notEqual(second.runId, first.runId);
    assert.deepEqual(second.input, first.input, "Resume re-sends exactly the composed input");
    assert.deepEqual(second.input, { m: 2, k: 1, deep: { x: 1, y: 2 } });
    assert.equal(second.metadata?.task_id, key);

    await untilStatus(key, Status.DONE);
    const done = await sig(key);
    assert.equal(done.run!.runId, second.runId);
    assert.equal(done.run!.attempt, 2);
    assert.deepEqual(callsOf(key), [first.input], "the function ran once, with the same input");
    const cb = await engine.until(() => triggersOf(onOk)[0]);
    assert.deepEqual(cb.input, { mageflow_results: { echoed: first.input }, via: "resume" });
    await untilStatus(onOk, Status.DONE);
    await sleep(300);
    assert.equal(triggersOf(onOk).length, 1, "callbacks fire once");
    assert.equal(triggersOf(key).length, 2);
    // The fenced first run can no longer start.
    const stale = await workers.startTask({ key, runId: first.runId, attempt: 1 });
    assert.equal(stale.decision, StartDecision.SKIP);
  });
});

describe("issue 5 crash safety: `mageflow serve` on Redis with Hatchet env, kill -9, restart", { skip: redisSkipReason() }, () => {
  let engine: HatchetStandin;
  let redis: RedisServer;
  let server: ServerProcess | undefined;
  let worker: Worker;
  let current: WorkerReporter | undefined;
  const reports: Report[] = [];
  const calls = new Map<string, Json[]>();
  const prefix = "hatchet-e2e";

  const triggersOf = (key: string) => engine.triggers.filter((t) => t.metadata?.task_id === key);
  const reportsOf = (key: string) => reports.filter((r) => r.key === key);
  const sigs = () => clients(server!.httpPort).sigs;
  const sig = async (key: string) => (await sigs().getSignature({ key })).signature!;
  const untilStatus = (key: string, status: Status, ms = 10_000) =>
    waitFor(async () => ((await sig(key)).taskStatus!.status === status ? true : undefined), ms, `${key} to become ${Status[status]}`);

  const start = async () => {
    server = await spawnServer(["--redis-url", redis.url, "--redis-prefix", prefix, "--dispatch-wait", "300ms", "--dispatch-claim-idle", "500ms"], {
      HATCHET_CLIENT_TOKEN: engine.token,
      HATCHET_CLIENT_HOST_PORT: engine.hostPort,
      HATCHET_CLIENT_API_URL: engine.apiUrl,
      HATCHET_CLIENT_TLS_STRATEGY: "none",
      HATCHET_CLIENT_NAMESPACE: "",
    });
    current = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);
  };
  const crash = async () => {
    await server!.crash();
    server = undefined;
  };

  before(async () => {
    engine = await startHatchetStandin();
    redis = await startRedisServer();
    const reporter = loggingReporter(() => {
      if (!current) throw new ConnectError("no server running", Code.Unavailable);
      return current;
    }, reports);
    const hatchet = sdkClient(engine);
    const task = (name: string) =>
      hatchet.task({
        name,
        fn: withSignature(reporter, async (input: Json, ctx) => {
          const id = ctx.additionalMetadata().task_id ?? ctx.workflowRunId();
          calls.set(id, [...(calls.get(id) ?? []), input]);
          return { got: input };
        }),
      });
    worker = await hatchet.worker("e2e-crash-worker", { workflows: [task("crash-task"), task("crash-callback")] });
    void worker.start();
    await worker.waitUntilReady(5000);
  });

  after(async () => {
    await worker?.stop();
    await server?.crash();
    await engine?.close();
    await redis?.stop();
  });

  it("a run committed before kill -9, while the engine call hung, is triggered by the restarted server and runs once", async () => {
    await start();
    const onOk = (await sigs().createSignature({ taskName: "crash-callback" })).signature!.key;
    const key = (await sigs().createSignature({ taskName: "crash-task", kwargs: { k: "w" }, successCallbacks: [onOk] })).signature!.key;

    engine.delayTriggers(60_000);
    const callsBefore = engine.triggerCalls;
    const ran = await sigs().runSignature({ key, message: { m: 1, k: "m" } });
    assert.equal(ran.dispatchState, DispatchState.QUEUED, "the engine does not answer: committed, not triggered");
    await engine.until(() => engine.triggerCalls > callsBefore, 5000); // the dispatcher is inside TriggerWorkflow
    await crash();
    assert.equal(triggersOf(key).length, 0, "the engine never accepted the run");

    engine.resetFaults();
    await start();
    const t = await engine.until(() => triggersOf(key)[0], 10_000);
    assert.equal(t.name, "crash-task");
    assert.deepEqual(t.input, { m: 1, k: "w" });
    assert.deepEqual(t.metadata, { task_id: key });
    await untilStatus(key, Status.DONE);
    assert.equal((await sig(key)).run!.runId, t.runId);
    assert.deepEqual(calls.get(key), [{ m: 1, k: "w" }], "user code ran once");
    await untilStatus(onOk, Status.DONE);
    await sleep(300);
    assert.equal(triggersOf(key).length, 1);
    assert.equal(triggersOf(onOk).length, 1);
    await server!.stop();
    server = undefined;
  });

  it("a duplicate engine run from the crash window (engine accepted, reply lost) is fenced at StartTask: user code runs once", async () => {
    await start();
    const onOk = (await sigs().createSignature({ taskName: "crash-callback", kwargs: { dup: true } })).signature!.key;
    const key = (await sigs().createSignature({ taskName: "crash-task", successCallbacks: [onOk] })).signature!.key;

    engine.holdAssignments(true);
    try {
      engine.delayTriggerReplies(60_000);
      await sigs().runSignature({ key, message: { n: 1 } });
      const lost = await engine.until(() => triggersOf(key)[0], 5000); // run 1 exists at the engine ...
      await crash(); // ... and the server dies before it learns the run id
      engine.resetFaults();
      await start();
      const dup = await engine.until(() => triggersOf(key)[1], 10_000); // the restarted server triggers run 2
      assert.notEqual(dup.runId, lost.runId);
      assert.deepEqual(dup.input, lost.input);
      await waitFor(async () => ((await sig(key)).run?.runId === dup.runId ? true : undefined), 5000, "run 2 to be recorded");

      engine.holdAssignments(false); // the worker now gets both engine runs of one signature
      await engine.until(() => [lost, dup].every((t) => engine.runs.get(t.runId)?.status === "COMPLETED"), 10_000);
      await untilStatus(key, Status.DONE);
      assert.deepEqual(calls.get(key), [{ n: 1 }], "user code ran once");
      const startOf = (runId: string) => reportsOf(key).filter((r) => r.op === "start" && r.runId === runId).map((r) => [r.decision, r.skipReason]);
      assert.deepEqual(startOf(dup.runId), [[StartDecision.RUN, ""]], "the recorded run starts");
      assert.deepEqual(startOf(lost.runId), [[StartDecision.SKIP, "STALE_RUN"]], "the lost duplicate is fenced");
      assert.deepEqual(reportsOf(key).filter((r) => r.op === "complete").map((r) => r.runId), [dup.runId]);
      await untilStatus(onOk, Status.DONE);
      await sleep(300);
      assert.equal(triggersOf(onOk).length, 1, "callbacks fire once");
    } finally {
      engine.holdAssignments(false);
      engine.resetFaults();
    }
    await server!.stop();
    server = undefined;
  });

  it("two engine runs racing before the run id is recorded: the first StartTask wins, the other is skipped, user code runs once", async () => {
    await start();
    const key = (await sigs().createSignature({ taskName: "crash-task" })).signature!.key;

    engine.holdAssignments(true);
    try {
      engine.delayTriggerReplies(60_000);
      await sigs().runSignature({ key, message: { race: 1 } });
      const lost = await engine.until(() => triggersOf(key)[0], 5000);
      await crash();
      engine.resetFaults();
      // The restarted server's trigger is accepted but answered late: both runs reach the worker while
      // the signature's run has no run id yet.
      engine.delayTriggerReplies(1500);
      await start();
      const dup = await engine.until(() => triggersOf(key)[1], 10_000);
      engine.holdAssignments(false);
      await untilStatus(key, Status.DONE);
      await waitFor(async () => ((await sig(key)).run?.runId ? true : undefined), 5000, "a run id to be recorded");
      await sleep(2000); // the late reply of run 2 is recorded (or fenced) by now

      assert.deepEqual(calls.get(key), [{ race: 1 }], "user code ran once");
      const starts = reportsOf(key).filter((r) => r.op === "start");
      const winners = starts.filter((r) => r.decision === StartDecision.RUN);
      assert.equal(winners.length, 1, JSON.stringify(starts));
      const winner = winners[0]!.runId;
      assert.ok([lost.runId, dup.runId].includes(winner));
      const loser = winner === lost.runId ? dup.runId : lost.runId;
      for (const s of starts.filter((r) => r.runId === loser)) assert.equal(s.decision, StartDecision.SKIP);
      const final = await sig(key);
      assert.equal(final.run!.runId, winner, "the run that started is the signature's run");
      assert.equal(final.taskStatus!.status, Status.DONE);
      if (winner === lost.runId) {
        await engine.until(() => engine.cancels.includes(dup.runId), 5000); // markDispatched cancels the duplicate
      }
    } finally {
      engine.holdAssignments(false);
      engine.resetFaults();
    }
    await server!.stop();
    server = undefined;
  });
});

async function waitFor<T>(check: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`);
    await sleep(50);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
