import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { create, toJson, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { NonRetryableError, type Context, type HatchetClient } from "@hatchet-dev/typescript-sdk";
import { testSdk } from "../support/hatchet-sdk.js";
import { HatchetDispatcher } from "../../src/dispatch/hatchet.js";
import { connectWorkerReporter, withSignature, type WorkerReporter } from "../../src/worker/hatchet-worker.js";
import {
  CompleteTaskResponseSchema,
  FailTaskResponseSchema,
  StartDecision,
  StartTaskResponseSchema,
  WorkerService,
  type CompleteTaskRequestSchema,
  type FailTaskRequestSchema,
  type StartTaskRequestSchema,
} from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { startHatchetStandin, type HatchetStandin } from "../support/hatchet-standin.js";

type StartReq = MessageInitShape<typeof StartTaskRequestSchema>;
type CompleteReq = MessageInitShape<typeof CompleteTaskRequestSchema>;
type FailReq = MessageInitShape<typeof FailTaskRequestSchema>;

/** Records every report; signatures whose key starts with "skip" are answered SKIP. */
class RecordingReporter implements WorkerReporter {
  starts: StartReq[] = [];
  completes: CompleteReq[] = [];
  fails: FailReq[] = [];

  async startTask(req: StartReq) {
    this.starts.push(req);
    const decision = req.key?.startsWith("skip") ? StartDecision.SKIP : StartDecision.RUN;
    return create(StartTaskResponseSchema, { decision, skipReason: decision === StartDecision.SKIP ? "SIGNATURE_SUSPENDED" : "" });
  }
  async completeTask(req: CompleteReq) {
    this.completes.push(req);
    return create(CompleteTaskResponseSchema, {});
  }
  async failTask(req: FailReq) {
    this.fails.push(req);
    return create(FailTaskResponseSchema, {});
  }
  about(key: string) {
    const mine = <T extends { key?: string }>(list: T[]) => list.filter((r) => r.key === key);
    return { starts: mine(this.starts), completes: mine(this.completes), fails: mine(this.fails) };
  }
}

const resultJson = (req: CompleteReq) => toJson(ValueSchema, create(ValueSchema, req.result));

describe("withSignature with a real SDK worker on a stand-in engine", () => {
  let engine: HatchetStandin;
  let dispatcher: HatchetDispatcher;
  let worker: Awaited<ReturnType<HatchetClient["worker"]>>;
  const reporter = new RecordingReporter();
  const calls = new Map<string, number>();
  const count = (ctx: Context<any>) => {
    const id = ctx.additionalMetadata().task_id ?? ctx.workflowRunId();
    calls.set(id, (calls.get(id) ?? 0) + 1);
  };

  const run = async (taskName: string, key: string | undefined, input: Record<string, number> = {}) => {
    const { runId } = await dispatcher.trigger({ key: key ?? "", taskName, input, metadata: key ? { task_id: key } : {}, attempt: 1 });
    return runId;
  };
  const settled = (runId: string) =>
    engine.until(() => ["COMPLETED", "FAILED", "CANCELLED"].includes(engine.runs.get(runId)?.status ?? ""));

  before(async () => {
    engine = await startHatchetStandin();
    const hatchet = testSdk(engine, { cancellation_grace_period: 200 });
    dispatcher = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" } });

    const double = hatchet.task({
      name: "double",
      fn: withSignature(reporter, async (input: { n: number }, ctx) => {
        count(ctx);
        return { doubled: input.n * 2 };
      }),
    });
    const failingOpts = { name: "always-fails", retries: 2 };
    const alwaysFails = hatchet.task({
      ...failingOpts,
      fn: withSignature(
        reporter,
        async (_input, ctx) => {
          count(ctx);
          throw new TypeError("boom");
        },
        failingOpts,
      ),
    });
    const hopelessOpts = { name: "hopeless", retries: 3 };
    const hopeless = hatchet.task({
      ...hopelessOpts,
      fn: withSignature(
        reporter,
        async (_input, ctx) => {
          count(ctx);
          throw new NonRetryableError("bad input");
        },
        hopelessOpts,
      ),
    });
    const waitsForCancel = hatchet.task({
      name: "waits-for-cancel",
      fn: withSignature(reporter, async (_input, ctx) => {
        count(ctx);
        await new Promise((_, reject) => ctx.abortController.signal.addEventListener("abort", () => reject(new Error("aborted"))));
      }),
    });

    worker = await hatchet.worker("standin-worker", { workflows: [double, alwaysFails, hopeless, waitsForCancel] });
    void worker.start();
    await worker.waitUntilReady(5000);
  });

  after(async () => {
    await worker.stop();
    await dispatcher.close();
    await engine.close();
  });

  it("runs the user function once and reports its result against the triggered run", async () => {
    const key = "TaskSignature:double-1";
    const runId = await run("double", key, { n: 21 });
    await settled(runId);
    const r = reporter.about(key);

    assert.equal(calls.get(key), 1);
    assert.deepEqual(r.starts.map((s) => [s.runId, s.attempt]), [[runId, 1]]);
    assert.equal(r.completes.length, 1);
    assert.equal(r.completes[0]!.runId, runId);
    assert.deepEqual(resultJson(r.completes[0]!), { doubled: 42 });
    assert.equal(r.fails.length, 0);
    assert.equal(engine.runs.get(runId)?.status, "COMPLETED");
  });

  it("does not run the user function on SKIP", async () => {
    const key = "skip:TaskSignature:double-2";
    const runId = await run("double", key, { n: 1 });
    await settled(runId);
    const r = reporter.about(key);

    assert.equal(r.starts.length, 1);
    assert.equal(calls.get(key), undefined);
    assert.equal(r.completes.length, 0);
    assert.equal(r.fails.length, 0);
  });

  it("reports each failed attempt, final only when the retries are used up", async () => {
    const key = "TaskSignature:fails-1";
    const runId = await run("always-fails", key);
    await settled(runId);
    const r = reporter.about(key);

    assert.equal(calls.get(key), 3);
    assert.deepEqual(r.starts.map((s) => s.attempt), [1, 2, 3]);
    assert.deepEqual(r.fails.map((f) => [f.runId, f.final, f.error?.attempt]), [
      [runId, false, 1],
      [runId, false, 2],
      [runId, true, 3],
    ]);
    assert.deepEqual({ message: r.fails[2]!.error?.message, type: r.fails[2]!.error?.type }, { message: "boom", type: "TypeError" });
    assert.equal(engine.events.filter((e) => e.runId === runId && e.type === "FAILED").length, 3, "the error still reaches Hatchet");
  });

  it("reports a NonRetryableError as final at once", async () => {
    const key = "TaskSignature:hopeless-1";
    const runId = await run("hopeless", key);
    await settled(runId);
    const r = reporter.about(key);

    assert.equal(calls.get(key), 1);
    assert.deepEqual(r.fails.map((f) => [f.final, f.error?.type]), [[true, "NonRetryableError"]]);
    assert.ok(engine.events.some((e) => e.runId === runId && e.type === "FAILED" && e.shouldNotRetry));
  });

  it("runs a run without task_id metadata unreported", async () => {
    const before = reporter.starts.length;
    const runId = await run("double", undefined, { n: 2 });
    await settled(runId);

    assert.equal(calls.get(runId), 1);
    assert.equal(reporter.starts.length, before);
    assert.deepEqual(engine.events.find((e) => e.runId === runId && e.type === "COMPLETED")?.payload, { doubled: 4 });
  });

  it("does not report a cancelled run", async () => {
    const key = "TaskSignature:cancel-1";
    const runId = await run("waits-for-cancel", key);
    await engine.until(() => calls.get(key) === 1);
    await dispatcher.cancel(runId);
    await engine.until(() => engine.runs.get(runId)?.status === "CANCELLED");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const r = reporter.about(key);

    assert.equal(r.starts.length, 1);
    assert.equal(r.completes.length + r.fails.length, 0);
    assert.ok(!engine.events.some((e) => e.runId === runId && e.type === "FAILED"));
  });
});

describe("connectWorkerReporter", () => {
  it("reaches a WorkerService over the Connect protocol", async () => {
    const seen: string[] = [];
    const server = http.createServer(
      connectNodeAdapter({
        routes: (router) =>
          router.service(WorkerService, {
            startTask: (req) => {
              seen.push(`${req.key}/${req.runId}/${req.attempt}`);
              return { decision: StartDecision.SKIP, skipReason: "STALE_RUN" };
            },
            completeTask: () => ({}),
            failTask: () => ({}),
          }),
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const reporter = connectWorkerReporter(`http://127.0.0.1:${port}`);
      const res = await reporter.startTask({ key: "TaskSignature:x", runId: "run-1", attempt: 2 });
      assert.equal(res.decision, StartDecision.SKIP);
      assert.equal(res.skipReason, "STALE_RUN");
      assert.deepEqual(seen, ["TaskSignature:x/run-1/2"]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
