/**
 * scripts/hatchet-engine.sh through the test helper: a private engine that runs real SDK workers, answers a
 * trigger of a task name no worker registered with INVALID_ARGUMENT (the strict trigger settings), and
 * leaves nothing behind when stopped.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { createConnection } from "node:net";
import { after, before, describe, it } from "node:test";
import { hatchetEngineSkipReason, parseEnvFile, startHatchetEngine, waitForEngineRun, type HatchetEngine } from "../support/hatchet-engine.js";
import { testSdk } from "../support/hatchet-sdk.js";

function sdk(engine: HatchetEngine) {
  return testSdk(engine, {
    retrier: { maxAttempts: 1 },
  });
}

const portOpen = (hostPort: string) =>
  new Promise<boolean>((resolve) => {
    const [host, port] = hostPort.split(":");
    const s = createConnection({ host, port: Number(port) });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });

describe("scripts/hatchet-engine.sh", { skip: hatchetEngineSkipReason(), timeout: 180_000 }, () => {
  let engine: HatchetEngine;
  before(async () => {
    engine = await startHatchetEngine();
  });
  after(() => engine?.stop());

  it("writes the client settings a worker and the service need", () => {
    assert.match(engine.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(engine.hostPort, /^127\.0\.0\.1:\d+$/);
    assert.match(engine.apiUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(engine.env.HATCHET_CLIENT_TLS_STRATEGY, "none");
  });

  it("`env` prints the settings as export lines", async () => {
    if (!engine.dir) return;
    const { stdout } = await promisify(execFile)("bash", ["scripts/hatchet-engine.sh", "env", engine.dir]);
    assert.deepEqual(parseEnvFile(stdout), engine.env);
    assert.ok(stdout.split("\n").filter(Boolean).every((l) => l.startsWith("export HATCHET_CLIENT_")));
  });

  it("runs a task on a real SDK worker and reports it COMPLETED", async () => {
    const h = sdk(engine);
    const echo = h.task({ name: "engine-script-echo", fn: async (input: { n: number }) => ({ doubled: input.n * 2 }) });
    const worker = await h.worker("engine-script", { workflows: [echo] });
    void worker.start();
    try {
      const ref = await h.runNoWait("engine-script-echo", { n: 21 }, {});
      const runId = await ref.runId;
      const details = await waitForEngineRun((id) => h.runs.getDetails(id), runId);
      assert.equal(details.status, "COMPLETED");
      assert.deepEqual(Object.values(details.taskRuns).map((t) => t.output), [{ doubled: 42 }]);
    } finally {
      await worker.stop();
    }
  });

  it("answers a trigger of a name no worker registered with INVALID_ARGUMENT, never NOT_FOUND", async () => {
    const h = sdk(engine);
    await assert.rejects(h.runNoWait("engine-script-nobody-registered-this", {}, {}), /INVALID_ARGUMENT: .*workflow names not found: engine-script-nobody-registered-this/);
  });

  it("stops everything it started", async () => {
    if (!engine.dir) return; // a reused engine belongs to whoever started it
    await engine.stop();
    assert.equal(existsSync(engine.dir), false);
    assert.equal(await portOpen(engine.hostPort), false);
  });
});
