/**
 * The signature lifecycle against a real Hatchet engine (hatchet-lite, scripts/hatchet-engine.sh): the service
 * triggers through HatchetDispatcher, real SDK workers wrapped with `withSignature` run the tasks and report
 * to the service, and the service learns from the engine how runs no worker reported on ended.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { NonRetryableError, type Context, type HatchetClient } from "@hatchet-dev/typescript-sdk";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { HatchetDispatcher } from "../../src/dispatch/hatchet.js";
import type { RunningServer } from "../../src/server/server.js";
import { connectWorkerReporter, withSignature } from "../../src/worker/hatchet-worker.js";
import { hatchetEngineSkipReason, startHatchetEngine, waitForEngineRun, type HatchetEngine } from "../support/hatchet-engine.js";
import { startTestServer } from "../support/server.js";
import { testSdk } from "../support/hatchet-sdk.js";
import { waitFor } from "../support/wait-for.js";

type Json = Record<string, any>;
type Worker = Awaited<ReturnType<HatchetClient["worker"]>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function sdkClient(engine: HatchetEngine) {
  return testSdk(engine, {
    cancellation_grace_period: 200,
    cancellation_warning_threshold: 0,
  });
}

interface Deferred<T = void> {
  promise: Promise<T>;
  resolve: (v: T) => void;
}
function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("the signature lifecycle on a real Hatchet engine", { skip: hatchetEngineSkipReason(), timeout: 300_000 }, () => {
  let engine: HatchetEngine;
  let server: RunningServer;
  let hatchet: HatchetClient;
  let worker: Worker;
  let lateWorker: Worker | undefined;
  let lateWorkerStarted = false;
  let doomed: ChildProcess | undefined;
  let rescuer: ChildProcess | undefined;
  const workerProcess = async () => {
    const p = spawn(process.execPath, ["--import", "tsx", "test/hatchet-real/worker-process.ts"], {
      env: { ...process.env, ...engine.env, MAGEFLOW_WORKER_SERVICE_URL: `http://127.0.0.1:${server.httpPort}`, DOOMED_EXECUTION_TIMEOUT: "4s" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const out = { text: "" };
    p.stdout!.on("data", (d) => (out.text += String(d)));
    await waitFor(async () => (out.text.includes("READY") ? true : undefined), 30_000, "the worker process to be ready");
    return { p, out };
  };
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  /** key → inputs the user function was called with, in order. */
  const calls = new Map<string, Json[]>();
  const running = new Map<string, Deferred>();
  const cancelled = new Map<string, Deferred>();

  const callsOf = (key: string) => calls.get(key) ?? [];
  const sig = async (key: string) => (await sigs.getSignature({ key })).signature!;
  const statusOf = async (key: string) => (await sig(key)).taskStatus!.status;
  const untilStatus = (key: string, status: Status, ms = 20_000) =>
    waitFor(async () => ((await statusOf(key)) === status ? true : undefined), ms, `${key} to become ${Status[status]}`);
  const create = async (taskName: string, o: { kwargs?: Json; successCallbacks?: string[]; errorCallbacks?: string[] } = {}) =>
    (await sigs.createSignature({ taskName, kwargs: o.kwargs ?? {}, successCallbacks: o.successCallbacks ?? [], errorCallbacks: o.errorCallbacks ?? [] })).signature!.key;
  const record = (input: Json, ctx: Context<any>) => {
    const key = ctx.additionalMetadata().task_id!;
    calls.set(key, [...callsOf(key), input]);
    return key;
  };
  const gate = (map: Map<string, Deferred>, key: string) => {
    if (!map.has(key)) map.set(key, deferred());
    return map.get(key)!;
  };

  before(async () => {
    engine = await startHatchetEngine();
    const dispatcher = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" }, timeoutMs: 5000 });
    server = await startTestServer({ dispatchWait: "5s", reconcileInterval: "300ms", reconcileMaxInterval: "1s", reconcileNotFoundAfter: "3s" }, dispatcher);
    sigs = createClient(SignatureService, createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` }));
    const reporter = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);

    hatchet = sdkClient(engine);
    const echo = hatchet.task({
      name: "real-echo",
      fn: withSignature(reporter, async (input: Json, ctx) => {
        record(input, ctx);
        return { echoed: input };
      }),
    });
    const flakyOpts = { name: "real-flaky", retries: 2 };
    const flaky = hatchet.task({
      ...flakyOpts,
      fn: withSignature(
        reporter,
        async (input: Json, ctx) => {
          record(input, ctx);
          throw new TypeError(`boom ${ctx.retryCount() + 1}`);
        },
        flakyOpts,
      ),
    });
    const blocking = hatchet.task({
      name: "real-blocking",
      fn: withSignature(reporter, async (input: Json, ctx) => {
        const key = record(input, ctx);
        gate(running, key).resolve();
        await new Promise<void>((resolve) => ctx.abortController.signal.addEventListener("abort", () => resolve(), { once: true }));
        gate(cancelled, key).resolve();
        throw new NonRetryableError("cancelled");
      }),
    });
    worker = await hatchet.worker("real-worker", { workflows: [echo, flaky, blocking] });
    void worker.start();
    await worker.waitUntilReady(20_000);

    // Registered with the engine now (PutWorkflow), but nobody takes its runs until the test starts it.
    const later = hatchet.task({
      name: "real-later",
      fn: withSignature(reporter, async (input: Json, ctx) => {
        record(input, ctx);
        return { later: true };
      }),
    });
    lateWorker = await hatchet.worker("real-late-worker", { workflows: [later] });
  });

  after(async () => {
    doomed?.kill("SIGKILL");
    rescuer?.kill("SIGKILL");
    await worker?.stop();
    if (lateWorkerStarted) await lateWorker?.stop();
    await server?.close(1000);
    await engine?.stop();
  });

  it("success: a chain of three success callbacks each runs once on the worker with the previous result", async () => {
    const c = await create("real-echo", { kwargs: { step: "c" } });
    const b = await create("real-echo", { kwargs: { step: "b" }, successCallbacks: [c] });
    const a = await create("real-echo", { kwargs: { step: "a" }, successCallbacks: [b] });
    await sigs.runSignature({ key: a, message: { n: 1 } });
    await untilStatus(c, Status.DONE);
    for (const k of [a, b]) assert.equal(await statusOf(k), Status.DONE);
    assert.deepEqual(callsOf(a), [{ n: 1, step: "a" }]);
    assert.deepEqual(callsOf(b), [{ mageflow_results: { echoed: { n: 1, step: "a" } }, step: "b" }]);
    assert.deepEqual(callsOf(c), [{ mageflow_results: { echoed: callsOf(b)[0] }, step: "c" }]);
    const done = await sig(c);
    assert.deepEqual(toJson(ValueSchema, done.run!.result!), { echoed: callsOf(c)[0] });
    await sleep(1500); // a few reconcile rounds: nothing runs twice
    for (const k of [a, b, c]) assert.equal(callsOf(k).length, 1);
  });

  it("failure: retries=2 runs three attempts, the error callback runs once with mageflow_error", async () => {
    const onErr = await create("real-echo", { kwargs: { on: "error" } });
    const key = await create("real-flaky", { kwargs: { k: 1 }, errorCallbacks: [onErr] });
    await sigs.runSignature({ key, message: { m: 2 } });
    await untilStatus(key, Status.FAILED);
    await untilStatus(onErr, Status.DONE);
    assert.equal(callsOf(key).length, 3, "1 + 2 retries at the engine");
    assert.deepEqual(callsOf(onErr), [{ m: 2, k: 1, on: "error", mageflow_error: { message: "boom 3", type: "TypeError", attempt: 3 } }]);
    await sleep(1500);
    assert.equal(callsOf(onErr).length, 1, "the error callback fires once");
  });

  for (const op of ["interrupt", "cancel"] as const) {
    it(`${op} of a running task: the engine run ends CANCELLED and the worker sees the cancellation`, async () => {
      const key = await create("real-blocking", { kwargs: { op } });
      const { runId } = await sigs.runSignature({ key, message: {} });
      await gate(running, key).promise;
      assert.equal(await statusOf(key), Status.ACTIVE);
      if (op === "interrupt") await sigs.interruptSignature({ key });
      else await sigs.cancelSignature({ key });
      await Promise.race([gate(cancelled, key).promise, sleep(10_000).then(() => assert.fail("the worker never saw the cancellation"))]);
      const details = await waitForEngineRun((id) => hatchet.runs.getDetails(id), runId);
      assert.equal(details.status, "CANCELLED");
      await sleep(1500);
      assert.equal(await statusOf(key), op === "interrupt" ? Status.INTERRUPTED : Status.CANCELED, "the engine's cancel does not overwrite the service's own status");
    });
  }

  it("suspend before start, then resume: the first run is skipped, the resumed run does the work once", async () => {
    const onOk = await create("real-echo", { kwargs: { after: "later" } });
    const key = await create("real-later", { kwargs: { k: 1 }, successCallbacks: [onOk] });
    const first = await sigs.runSignature({ key, message: { m: 1 } });
    assert.ok(first.runId, "triggered: the engine queues it (no worker for it is listening)");
    await sigs.suspendSignature({ key });
    lateWorkerStarted = true;
    void lateWorker!.start();
    await waitForEngineRun((id) => hatchet.runs.getDetails(id), first.runId);
    assert.equal(await statusOf(key), Status.SUSPENDED);
    assert.equal(callsOf(key).length, 0, "StartTask answered SKIP: the user function did not run");

    const resumed = await sigs.resumeSignature({ key });
    assert.equal(resumed.signature!.taskStatus!.status, Status.PENDING);
    await untilStatus(key, Status.DONE);
    const done = await sig(key);
    assert.notEqual(done.run!.runId, first.runId);
    assert.equal(done.run!.attempt, 2, "Signature.run.attempt counts the service's dispatches");
    assert.deepEqual(callsOf(key), [{ m: 1, k: 1 }]);
    await untilStatus(onOk, Status.DONE);
    assert.equal(callsOf(onOk).length, 1);
  });

  it("a task name no worker registered ends FAILED TASK_NOT_REGISTERED and its error callback runs", async () => {
    const onErr = await create("real-echo", { kwargs: { on: "unregistered" } });
    const key = await create("real-nobody-registered-this", { errorCallbacks: [onErr] });
    await sigs.runSignature({ key, message: { x: 1 } }).catch(() => {});
    await untilStatus(key, Status.FAILED);
    const failed = await sig(key);
    assert.equal(failed.run!.error!.type, "TASK_NOT_REGISTERED");
    assert.match(failed.run!.error!.message, /real-nobody-registered-this/);
    await untilStatus(onErr, Status.DONE);
    assert.equal(callsOf(onErr).length, 1);
    assert.equal(callsOf(onErr)[0]!.mageflow_error.type, "TASK_NOT_REGISTERED");
  });

  it("a run cancelled through the engine's REST API ends CANCELED", async () => {
    const onErr = await create("real-echo", { kwargs: { on: "engine-cancel" } });
    const key = await create("real-blocking", { kwargs: { via: "rest" }, errorCallbacks: [onErr] });
    const { runId } = await sigs.runSignature({ key, message: {} });
    await gate(running, key).promise;
    await hatchet.runs.cancel({ ids: [runId] });
    await gate(cancelled, key).promise;
    await untilStatus(key, Status.CANCELED);
    await sleep(1500);
    assert.equal(callsOf(onErr).length, 0, "a cancel runs no callbacks, as CancelSignature");
    assert.equal((await sig(onErr)).removed, true);
  });

  it("a worker killed with SIGKILL during its last retry: FAILED with the engine's error, error callback once", async () => {
    const onErr = await create("real-echo", { kwargs: { on: "worker-killed" } });
    const w = await workerProcess();
    doomed = w.p;

    const key = await create("real-doomed", { errorCallbacks: [onErr] });
    await sigs.runSignature({ key, message: {} });
    await waitFor(async () => (w.out.text.includes("RUNNING 1") ? true : undefined), 30_000, "the last retry to run");
    doomed.kill("SIGKILL");
    assert.equal(await statusOf(key), Status.ACTIVE, "the first attempt was reported not final");

    await untilStatus(key, Status.FAILED, 40_000);
    const failed = await sig(key);
    assert.equal(failed.run!.error!.type, "ENGINE_TIMEOUT");
    assert.match(failed.run!.error!.message, /exceeded timeout of 4s/);
    await untilStatus(onErr, Status.DONE);
    await sleep(1500);
    assert.equal(callsOf(onErr).length, 1, "the error callback fires once");
    assert.equal(callsOf(onErr)[0]!.mageflow_error.type, "ENGINE_TIMEOUT");
  });

  it("a worker lost mid-run: the engine re-assigns the run as the next attempt (retries: 0), the helper runs it, DONE", async () => {
    const first = await workerProcess();
    const key = await create("real-lost");
    const { runId } = await sigs.runSignature({ key, message: {} });
    await waitFor(async () => (first.out.text.includes(`LOST-RUNNING ${runId}`) ? true : undefined), 30_000, "the first attempt to run");
    first.p.kill("SIGKILL");
    const second = await workerProcess();
    rescuer = second.p;
    await untilStatus(key, Status.DONE, 90_000);
    assert.match(second.out.text, /LOST-RERUN 1\n/, "the re-assigned attempt has retryCount 1");
    const done = await sig(key);
    assert.equal(done.run!.runId, runId, "the same engine run");
    assert.equal(done.run!.attempt, 1, "Signature.run.attempt counts the service's dispatches: still one");
    assert.deepEqual(toJson(ValueSchema, done.run!.result!), { retryCount: 1 });
    second.p.kill("SIGKILL");
  });
});
