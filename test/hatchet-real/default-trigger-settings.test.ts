/**
 * An engine with its default trigger settings, once it schedules optimistically, accepts a trigger of a task
 * name no worker registered and creates nothing. The service learns it from the engine: the signature ends FAILED TASK_NOT_REGISTERED within
 * RECONCILE_NOT_FOUND_AFTER, and its error callback runs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { HatchetDispatcher } from "../../src/dispatch/hatchet.js";
import type { RunningServer } from "../../src/server/server.js";
import { connectWorkerReporter, withSignature } from "../../src/worker/hatchet-worker.js";
import { hatchetEngineSkipReason, startHatchetEngine, type HatchetEngine } from "../support/hatchet-engine.js";
import { startTestServer } from "../support/server.js";
import type { HatchetClient } from "@hatchet-dev/typescript-sdk";
import { testSdk } from "../support/hatchet-sdk.js";

type Json = Record<string, any>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a dropped trigger on an engine with default trigger settings", { skip: hatchetEngineSkipReason(), timeout: 180_000 }, () => {
  let engine: HatchetEngine;
  let server: RunningServer;
  let worker: Awaited<ReturnType<HatchetClient["worker"]>>;
  const calls: Json[] = [];

  before(async () => {
    engine = await startHatchetEngine({ strict: false });
    const dispatcher = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" } });
    server = await startTestServer({ dispatchWait: "10s", reconcileInterval: "500ms", reconcileMaxInterval: "1s", reconcileNotFoundAfter: "4s" }, dispatcher);
    const hatchet = testSdk(engine);
    const reporter = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);
    const onError = hatchet.task({
      name: "default-on-error",
      fn: withSignature(reporter, async (input: Json) => {
        calls.push(input);
        return {};
      }),
    });
    worker = await hatchet.worker("default-worker", { workflows: [onError] });
    void worker.start();
    await worker.waitUntilReady(20_000);
    // With its defaults the engine schedules a trigger optimistically (an unknown name: a run id, nothing
    // created) once its scheduler holds the tenant; until then it falls back to its ingestion path, which
    // refuses unknown names. Wait for the first.
    const probe = testSdk(engine, {
      retrier: { maxAttempts: 1 },
    });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const accepted = await probe
        .runNoWait("default-probe-nobody-registered-this", {}, {})
        .then(async (ref) => !!(await ref.runId))
        .catch(() => false);
      if (accepted) break;
      if (Date.now() > deadline) throw new Error("the engine never accepted a trigger of an unknown name optimistically");
      await sleep(500);
    }
  });
  after(async () => {
    await worker?.stop();
    await server?.close(1000);
    await engine?.stop();
  });

  it("ends FAILED TASK_NOT_REGISTERED after RECONCILE_NOT_FOUND_AFTER, and the error callback runs once", async () => {
    const sigs = createClient(SignatureService, createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` }));
    const onErr = (await sigs.createSignature({ taskName: "default-on-error" })).signature!.key;
    const key = (await sigs.createSignature({ taskName: "default-nobody-registered-this", errorCallbacks: [onErr] })).signature!.key;
    const t0 = Date.now();
    const ran = await sigs.runSignature({ key, message: { x: 1 } });
    assert.equal(ran.dispatchState, DispatchState.TRIGGERED, `the engine answered with a run id: ${JSON.stringify((await sigs.getSignature({ key })).signature?.run, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
    let status = Status.PENDING;
    while (Date.now() - t0 < 30_000 && status !== Status.FAILED) {
      await sleep(200);
      status = (await sigs.getSignature({ key })).signature!.taskStatus!.status;
    }
    const waited = Date.now() - t0;
    assert.equal(status, Status.FAILED);
    assert.ok(waited >= 4000, `not before the deadline (${waited} ms)`);
    const failed = (await sigs.getSignature({ key })).signature!;
    assert.equal(failed.run!.error!.type, "TASK_NOT_REGISTERED");
    assert.match(failed.run!.error!.message, /default-nobody-registered-this/);
    const deadline = Date.now() + 20_000;
    while (calls.length === 0 && Date.now() < deadline) await sleep(100);
    await sleep(1500);
    assert.equal(calls.length, 1, "the error callback ran once");
    assert.equal(calls[0]!.mageflow_error.type, "TASK_NOT_REGISTERED");
  });
});
