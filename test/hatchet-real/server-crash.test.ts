/**
 * `mageflow serve` on Redis, triggering at a real Hatchet engine, killed with SIGKILL after the engine accepted a
 * run and before the service recorded its id: the restarted server triggers again, and the two engine runs
 * are fenced at StartTask, so the work is done once.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { StartDecision } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { connectWorkerReporter, withSignature, type WorkerReporter } from "../../src/worker/hatchet-worker.js";
import { hatchetEngineSkipReason, startHatchetEngine, waitForEngineRun, type HatchetEngine } from "../support/hatchet-engine.js";
import { startHoldingProxy, type HoldingProxy } from "../support/holding-proxy.js";
import { startRedisServer, type RedisServer } from "../support/redis-server.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";
import type { HatchetClient } from "@hatchet-dev/typescript-sdk";
import { testSdk } from "../support/hatchet-sdk.js";
import { waitFor } from "../support/wait-for.js";

type Json = Record<string, any>;
type Worker = Awaited<ReturnType<HatchetClient["worker"]>>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("server killed between trigger and record, on a real Hatchet engine", { skip: hatchetEngineSkipReason(), timeout: 240_000 }, () => {
  let engine: HatchetEngine;
  let redis: RedisServer;
  let proxy: HoldingProxy;
  let server: ServerProcess | undefined;
  let hatchet: HatchetClient;
  let warmWorker: Worker;
  let onceWorker: Worker;
  let onceStarted = false;
  let current: WorkerReporter | undefined;
  const calls = new Map<string, Json[]>();
  const starts: { key: string; runId: string; decision: StartDecision }[] = [];

  const sigs = () => createClient(SignatureService, createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server!.httpPort}` }));
  const sig = async (key: string) => (await sigs().getSignature({ key })).signature!;
  const start = async () => {
    server = await spawnServer(
      ["--redis-url", redis.url, "--dispatch-wait", "300ms", "--dispatch-claim-idle", "1s", "--reconcile-interval", "500ms", "--reconcile-max-interval", "2s"],
      { ...engine.env, HATCHET_CLIENT_HOST_PORT: `127.0.0.1:${proxy.port}`, HATCHET_CLIENT_NAMESPACE: "" },
    );
    current = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);
  };

  before(async () => {
    engine = await startHatchetEngine();
    redis = await startRedisServer();
    const [host, port] = engine.hostPort.split(":");
    proxy = await startHoldingProxy(host!, Number(port));
    const reporter: WorkerReporter = {
      startTask: async (req) => {
        if (!current) throw new ConnectError("no server running", Code.Unavailable);
        const res = await current.startTask(req);
        starts.push({ key: req.key!, runId: req.runId!, decision: res.decision });
        return res;
      },
      completeTask: (req) => current!.completeTask(req),
      failTask: (req) => current!.failTask(req),
    };
    hatchet = testSdk(engine);
    const task = (name: string) =>
      hatchet.task({
        name,
        fn: withSignature(reporter, async (input: Json, ctx) => {
          const key = ctx.additionalMetadata().task_id!;
          calls.set(key, [...(calls.get(key) ?? []), input]);
          return { got: input };
        }),
      });
    warmWorker = await hatchet.worker("crash-warm-worker", { workflows: [task("crash-warm")] });
    void warmWorker.start();
    await warmWorker.waitUntilReady(20_000);
    // Registered with the engine, not listening yet: its runs wait at the engine until the test starts it.
    onceWorker = await hatchet.worker("crash-once-worker", { workflows: [task("crash-once")] });
  });

  after(async () => {
    await server?.crash();
    await warmWorker?.stop();
    if (onceStarted) await onceWorker?.stop();
    await proxy?.close();
    await redis?.stop();
    await engine?.stop();
  });

  it("one engine run does the work, once", async () => {
    await start();
    // The server's engine connection is open before the engine's replies are held.
    const warm = (await sigs().createSignature({ taskName: "crash-warm" })).signature!.key;
    await sigs().runSignature({ key: warm, message: {} });
    await waitFor(async () => ((await sig(warm)).taskStatus!.status === Status.DONE ? true : undefined), 20_000, "the warm-up run");

    const key = (await sigs().createSignature({ taskName: "crash-once", kwargs: { k: 1 } })).signature!.key;
    proxy.hold(true);
    const ran = await sigs().runSignature({ key, message: { m: 2 } });
    assert.equal(ran.dispatchState, DispatchState.QUEUED, "the engine's answer is held back: not recorded");
    const since = new Date(Date.now() - 60_000);
    const runsOfKey = async () => (await hatchet.runs.list({ since, additionalMetadata: { task_id: key }, onlyTasks: true } as any)).rows ?? [];
    const first = await waitFor(async () => ((await runsOfKey()).length === 1 ? (await runsOfKey())[0] : undefined), 20_000, "the engine to accept the first run");
    await server!.crash();
    server = undefined;
    proxy.hold(false);

    await start();
    await waitFor(async () => ((await sig(key)).run?.runId ? true : undefined), 20_000, "the restarted server to trigger again");
    const recorded = (await sig(key)).run!.runId;
    const firstRunId = (first as { metadata: { id: string } }).metadata.id;
    assert.notEqual(recorded, firstRunId, "the restarted server triggered a second engine run");

    onceStarted = true;
    void onceWorker.start();
    await waitFor(async () => ((await sig(key)).taskStatus!.status === Status.DONE ? true : undefined), 30_000, "the signature to be DONE");
    await waitForEngineRun((id) => hatchet.runs.getDetails(id), firstRunId);
    await sleep(1500);
    assert.deepEqual(calls.get(key), [{ m: 2, k: 1 }], "the user function ran once");
    const byRun = new Map(starts.filter((s) => s.key === key).map((s) => [s.runId, s.decision]));
    assert.equal(byRun.get(recorded), StartDecision.RUN);
    assert.equal(byRun.get(firstRunId), StartDecision.SKIP, "the run whose id was never recorded is fenced at StartTask");
    assert.equal((await sig(key)).taskStatus!.status, Status.DONE);
  });
});
