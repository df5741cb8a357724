/**
 * The Python (`mageflow_signatures.hatchet.with_signature`) and Go (`clients/go/hatchetworker`) worker
 * helpers on the real Hatchet engine, through their example workers (examples/python/worker.py,
 * clients/go/hatchetworker/examples/worker): a success with its success callback, a task failing on every
 * one of its 3 attempts whose error callback receives `mageflow_error`, a SKIP of a signature suspended
 * while its run waited at the engine, and an interrupt cancelling a running task without a report.
 *
 * Each worker has one slot, so a run triggered while `<lang>-block` runs waits at the engine: that is how
 * the SKIP case gets a suspended signature whose run reaches the worker.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "@bufbuild/protobuf/wkt";
import { createMageflowClient, Status, type MageflowClient, type Signature } from "../../clients/typescript/src/index.js";
import { hatchetEngineSkipReason, startHatchetEngine, type HatchetEngine } from "../support/hatchet-engine.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const PYTHON = join(ROOT, ".tools/hatchet/bin/python");
const WAIT_MS = 60_000;

interface Worker {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function startWorker(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, ready: RegExp): Promise<Worker> {
  const proc = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout!.on("data", (d) => (out += String(d)));
  proc.stderr!.on("data", (d) => (out += String(d)));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const worker: Worker = {
    proc,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready:\n${out}`)), 120_000);
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(timer);
        proc.stdout!.off("data", check);
        proc.stderr!.off("data", check);
        setTimeout(() => resolveReady(worker), 1000); // let the registration settle at the engine
      }
    };
    proc.stdout!.on("data", check);
    proc.stderr!.on("data", check);
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code}:\n${out}`));
    });
  });
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const json = (v: Value | undefined) => (v === undefined ? undefined : toJson(ValueSchema, v));

const TERMINAL = new Set([Status.DONE, Status.FAILED, Status.CANCELED]);

async function engineRunStatus(engine: HatchetEngine, runId: string): Promise<string> {
  const res = await fetch(`${engine.apiUrl}/api/v1/stable/workflow-runs/${runId}`, {
    headers: { authorization: `Bearer ${engine.token}` },
  });
  if (!res.ok) throw new Error(`GET workflow run ${runId}: ${res.status}`);
  return ((await res.json()) as { run: { status: string } }).run.status;
}

const LANGUAGES = [
  {
    lang: "python",
    prefix: "py",
    skip: existsSync(PYTHON) ? undefined : ".tools/hatchet is missing (bash scripts/tools.sh)",
    async start(env: NodeJS.ProcessEnv): Promise<Worker> {
      const pythonPath = join(ROOT, "clients/python/src");
      return startWorker(PYTHON, ["examples/python/worker.py"], { ...env, PYTHONPATH: pythonPath, PYTHONUNBUFFERED: "1" }, ROOT, /waiting for tasks/);
    },
  },
  {
    lang: "go",
    prefix: "go",
    skip: undefined,
    async start(env: NodeJS.ProcessEnv, dir: string): Promise<Worker> {
      const module = join(ROOT, "clients/go/hatchetworker");
      const bin = join(dir, "go-worker");
      const build = spawnSync("go", ["build", "-o", bin, "./examples/worker"], { cwd: module, env: { ...process.env, GOFLAGS: "-mod=mod" }, encoding: "utf8" });
      assert.equal(build.status, 0, `go build: ${build.stderr}`);
      return startWorker(bin, [], env, module, /starting action listener/);
    },
  },
];

describe("worker helpers on the real Hatchet engine", { skip: hatchetEngineSkipReason(), timeout: 900_000 }, () => {
  let engine: HatchetEngine;
  let server: ServerProcess;
  let client: MageflowClient;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mageflow-workers-"));
    engine = await startHatchetEngine();
    server = await spawnServer([], { ...engine.env, REDIS_URL: "" });
    client = createMageflowClient({ baseUrl: `http://127.0.0.1:${server.httpPort}` });
  });
  after(async () => {
    client?.close();
    await server?.stop();
    await engine?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const settle = (key: string, statuses: Set<Status> = TERMINAL) =>
    waitFor(`${key} in ${[...statuses].map((s) => Status[s]).join("/")}`, async () => {
      const sig = await client.loadSignature(key);
      return statuses.has(sig.taskStatus!.status) ? sig : undefined;
    });

  for (const l of LANGUAGES) {
    describe(`${l.lang} worker`, { skip: l.skip }, () => {
      let worker: Worker;
      before(async () => {
        worker = await l.start({ ...engine.env, MAGEFLOW_SERVER: `127.0.0.1:${server.grpcPort}` }, dir);
      });
      after(() => worker?.stop());

      it("reports a success: DONE with the result, and the success callback gets it", async () => {
        const record = await client.asign(`${l.prefix}-record`, { kwargs: { tag: "ok" } });
        const add = await client.asign(`${l.prefix}-add`, { successCallbacks: [record.key] });
        await client.runNoWait(add.key, { a: 2, b: 3 });
        const done = await settle(add.key);
        assert.equal(done.taskStatus!.status, Status.DONE, worker.output());
        assert.deepEqual(json(done.run!.result), { sum: 5 });
        const cb = await settle(record.key);
        assert.equal(cb.taskStatus!.status, Status.DONE);
        assert.deepEqual(json(cb.run!.result), { tag: "ok", mageflow_results: { sum: 5 } });
      });

      it("reports every failed attempt, the last one final: FAILED, and the error callback gets mageflow_error", async () => {
        const record = await client.asign(`${l.prefix}-record`, { kwargs: { tag: "err" } });
        const flaky = await client.asign(`${l.prefix}-flaky`, { errorCallbacks: [record.key] });
        await client.runNoWait(flaky.key, { x: 1 });
        const failed = await settle(flaky.key);
        assert.equal(failed.taskStatus!.status, Status.FAILED, worker.output());
        assert.equal(failed.run!.error!.attempt, 3);
        assert.equal(failed.run!.error!.message, "attempt 3 failed");
        const cb = await settle(record.key);
        assert.equal(cb.taskStatus!.status, Status.DONE);
        const got = json(cb.run!.result) as { x: number; tag: string; mageflow_error: { message: string; attempt: number } };
        assert.equal(got.tag, "err");
        assert.equal(got.x, 1);
        assert.equal(got.mageflow_error.message, "attempt 3 failed");
        assert.equal(got.mageflow_error.attempt, 3);
      });

      it("a non-retryable error is final at the first attempt", async () => {
        const flaky = await client.asign(`${l.prefix}-flaky`);
        await client.runNoWait(flaky.key, { fatal: true });
        const failed = await settle(flaky.key);
        assert.equal(failed.taskStatus!.status, Status.FAILED, worker.output());
        assert.equal(failed.run!.error!.attempt, 1);
        assert.equal(failed.run!.error!.message, "cannot work with this input");
      });

      it("an interrupt cancels the running task (not reported); a run suspended while it waited is skipped", async () => {
        const block = await client.asign(`${l.prefix}-block`);
        await client.runNoWait(block.key, {});
        await settle(block.key, new Set([Status.ACTIVE]));
        await waitFor("the block task to run", async () => (worker.output().includes(`blocking ${block.key}`) ? true : undefined));

        // The worker's only slot is taken: this run waits at the engine, and is suspended meanwhile.
        const skipped = await client.asign(`${l.prefix}-add`);
        const run = await client.runNoWait(skipped.key, { a: 1, b: 1 });
        const triggered = await waitFor("the run id", async () => (await client.loadSignature(skipped.key)).run?.runId || undefined);
        assert.ok(run);
        await client.suspend(skipped.key);

        await client.interrupt(block.key);
        await waitFor("the cancellation at the worker", async () => (worker.output().includes(`cancelled ${block.key}`) ? true : undefined));
        await waitFor("the skipped run to finish at the engine", async () => ((await engineRunStatus(engine, triggered)) === "COMPLETED" ? true : undefined));

        const interrupted: Signature = await client.loadSignature(block.key);
        assert.equal(interrupted.taskStatus!.status, Status.INTERRUPTED);
        assert.equal(interrupted.run!.error, undefined, "a cancelled run is not reported as failed");
        assert.equal(await engineRunStatus(engine, interrupted.run!.runId), "CANCELLED");

        const held: Signature = await client.loadSignature(skipped.key);
        assert.equal(held.taskStatus!.status, Status.SUSPENDED);
        assert.equal(held.run!.result, undefined);
        assert.ok(!worker.output().includes(`ran ${l.prefix}-add ${skipped.key}`), "the user function did not run");
      });
    });
  }
});
