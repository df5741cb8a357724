/**
 * The stand-in engine re-assigns the run of a worker that disappeared, as the real engine does
 * (test/hatchet-real/lifecycle.test.ts): as the next attempt of the same run, even with `retries: 0`; the
 * worker helper runs it and the signature ends DONE with the service's own attempt unchanged.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { HatchetDispatcher } from "../../src/dispatch/hatchet.js";
import type { RunningServer } from "../../src/server/server.js";
import { startHatchetStandin, type HatchetStandin } from "../support/hatchet-standin.js";
import { startTestServer } from "../support/server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("stand-in engine: re-assignment after worker loss", { timeout: 120_000 }, () => {
  let engine: HatchetStandin;
  let server: RunningServer;
  const procs: ChildProcess[] = [];

  const workerProcess = async () => {
    const p = spawn(process.execPath, ["--import", "tsx", "test/hatchet-real/worker-process.ts"], {
      env: {
        ...process.env,
        HATCHET_CLIENT_TOKEN: engine.token,
        HATCHET_CLIENT_HOST_PORT: engine.hostPort,
        HATCHET_CLIENT_API_URL: engine.apiUrl,
        MAGEFLOW_WORKER_SERVICE_URL: `http://127.0.0.1:${server.httpPort}`,
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    procs.push(p);
    const out = { text: "" };
    p.stdout!.on("data", (d) => (out.text += String(d)));
    const deadline = Date.now() + 30_000;
    while (!out.text.includes("READY")) {
      if (Date.now() > deadline) throw new Error("the worker process did not start");
      await sleep(50);
    }
    return { p, out };
  };

  before(async () => {
    engine = await startHatchetStandin({ reassignLostAfterMs: 200 });
    const dispatcher = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" } });
    server = await startTestServer({}, dispatcher);
  });
  after(async () => {
    for (const p of procs) p.kill("SIGKILL");
    await server?.close(1000);
    await engine?.close();
  });

  it("the same run comes back as retryCount 1 on another worker and ends DONE", async () => {
    const first = await workerProcess();
    const sigs = createClient(SignatureService, createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` }));
    const key = (await sigs.createSignature({ taskName: "real-lost" })).signature!.key;
    const { runId } = await sigs.runSignature({ key, message: {} });
    await engine.until(() => first.out.text.includes(`LOST-RUNNING ${runId}`), 20_000);
    first.p.kill("SIGKILL");
    const second = await workerProcess();
    await engine.until(() => second.out.text.includes("LOST-RERUN 1"), 20_000);
    let status = Status.ACTIVE;
    for (let i = 0; i < 100 && status !== Status.DONE; i++) {
      await sleep(100);
      status = (await sigs.getSignature({ key })).signature!.taskStatus!.status;
    }
    const done = (await sigs.getSignature({ key })).signature!;
    assert.equal(done.taskStatus!.status, Status.DONE);
    assert.equal(done.run!.runId, runId);
    assert.equal(done.run!.attempt, 1);
    assert.equal(engine.runs.get(runId)!.retryCount, 1);
    assert.equal(engine.triggers.filter((t) => t.metadata?.task_id === key).length, 1, "one trigger: the engine re-assigned, the service did not re-dispatch");
  });
});
