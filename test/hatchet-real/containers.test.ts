/**
 * Chains and swarms against a real Hatchet engine (hatchet-lite, scripts/hatchet-engine.sh): the service creates
 * the containers (ContainerService) and dispatches their children through HatchetDispatcher; a real SDK worker,
 * its tasks wrapped with `withSignature`, runs them and reports to the service.
 *
 * The worker has more slots (20) than any swarm's `max_concurrency`, so only the service bounds how many of a
 * swarm's children run at once: the worker counts the executions of the swarm's children in progress (from the
 * moment the engine hands a run to the worker until the worker has reported its end), and the test polls the
 * engine's REST API for the runs of the child task it lists as RUNNING.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toJson, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { NonRetryableError, type Context, type HatchetClient } from "@hatchet-dev/typescript-sdk";
import { V1TaskStatus } from "@hatchet-dev/typescript-sdk/clients/rest/generated/data-contracts.js";
import { ContainerService, type ContainerTaskSchema } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { HatchetDispatcher } from "../../src/dispatch/hatchet.js";
import type { RunningServer } from "../../src/server/server.js";
import { connectWorkerReporter, withSignature } from "../../src/worker/hatchet-worker.js";
import { hatchetEngineSkipReason, startHatchetEngine, type HatchetEngine } from "../support/hatchet-engine.js";
import { startTestServer } from "../support/server.js";
import { testSdk } from "../support/hatchet-sdk.js";
import { waitFor } from "../support/wait-for.js";

type Json = Record<string, any>;
type Worker = Awaited<ReturnType<HatchetClient["worker"]>>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SWARM_CHILD = "real-swarm-child";

/** Executions in progress at the worker, the most seen at once, and when each signature's execution ended. */
class Gauge {
  now = 0;
  max = 0;
  readonly endedAt = new Map<string, number>();
  enter() {
    this.max = Math.max(this.max, ++this.now);
  }
  leave(key: string) {
    this.now--;
    this.endedAt.set(key, Date.now());
  }
}

describe("chains and swarms on a real Hatchet engine", { skip: hatchetEngineSkipReason(), timeout: 300_000 }, () => {
  let engine: HatchetEngine;
  let server: RunningServer;
  let hatchet: HatchetClient;
  let worker: Worker;
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  let containers: ReturnType<typeof createClient<typeof ContainerService>>;
  /** key → inputs the user function was called with, in order. */
  const calls = new Map<string, Json[]>();
  let swarmChildren = new Gauge();

  const callsOf = (key: string) => calls.get(key) ?? [];
  const sig = async (key: string) => (await sigs.getSignature({ key })).signature!;
  const statusOf = async (key: string) => (await sig(key)).taskStatus!.status;
  const resultOf = async (key: string) => toJson(ValueSchema, (await sig(key)).run!.result!);
  const untilStatus = (key: string, status: Status, ms = 30_000) =>
    waitFor(async () => ((await statusOf(key)) === status ? true : undefined), ms, `${key} to become ${Status[status]}`);
  const create = async (taskName: string, kwargs: Json = {}) => (await sigs.createSignature({ taskName, kwargs })).signature!.key;
  const inline = (taskName: string, kwargs: Json = {}): MessageInitShape<typeof ContainerTaskSchema> => ({ source: { case: "signature", value: { taskName, kwargs } } });
  const existing = (key: string): MessageInitShape<typeof ContainerTaskSchema> => ({ source: { case: "key", value: key } });
  const record = (input: Json, ctx: Context<any>) => {
    const key = ctx.additionalMetadata().task_id!;
    calls.set(key, [...callsOf(key), input]);
  };
  const resultsOf = (v: unknown) => (v as Json[]).map((r) => r.i as number).sort((a, b) => a - b);
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);

  /**
   * Polls the engine's REST API for the swarm child runs it lists as RUNNING. `listed` is the most listed at once;
   * `working` the most of those whose execution had not ended at the worker when the poll was sent (the engine
   * learns a run ended a moment after the worker reported it to the service, which frees the slot).
   */
  const watchEngine = () => {
    let stopped = false;
    let listed = 0;
    let working = 0;
    let polls = 0;
    const since = new Date(Date.now() - 60_000);
    const done = (async () => {
      while (!stopped) {
        const sent = Date.now();
        const list = await hatchet.runs.list({ since, statuses: [V1TaskStatus.RUNNING], workflowNames: [SWARM_CHILD], onlyTasks: true, limit: 100 });
        const notEnded = list.rows.filter((r) => !((swarmChildren.endedAt.get((r.additionalMetadata as Json | undefined)?.task_id) ?? Infinity) < sent));
        listed = Math.max(listed, list.rows.length);
        working = Math.max(working, notEnded.length);
        polls++;
        await sleep(20);
      }
      return { listed, working, polls };
    })();
    return { stop: () => ((stopped = true), done) };
  };

  before(async () => {
    engine = await startHatchetEngine();
    const dispatcher = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" }, timeoutMs: 5000 });
    server = await startTestServer({ dispatchWait: "5s", reconcileInterval: "300ms", reconcileMaxInterval: "1s", reconcileNotFoundAfter: "3s" }, dispatcher);
    const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` });
    sigs = createClient(SignatureService, transport);
    containers = createClient(ContainerService, transport);
    const reporter = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);
    hatchet = testSdk(engine, {
      cancellation_grace_period: 200,
      cancellation_warning_threshold: 0,
    });
    const echo = hatchet.task({
      name: "real-c-echo",
      fn: withSignature(reporter, async (input: Json, ctx) => {
        record(input, ctx);
        return { echoed: input };
      }),
    });
    // n + 1, where n is the run message's `n` or the previous step's result's.
    const add = hatchet.task({
      name: "real-c-add",
      fn: withSignature(reporter, async (input: Json, ctx) => {
        record(input, ctx);
        return { n: (input.mageflow_results?.n ?? input.n) + 1 };
      }),
    });
    const flakyOpts = { name: "real-c-add-flaky", retries: 1 };
    const flakyAdd = hatchet.task({
      ...flakyOpts,
      fn: withSignature(
        reporter,
        async (input: Json, ctx) => {
          record(input, ctx);
          if (ctx.retryCount() === 0) throw new TypeError("the first attempt fails");
          return { n: input.mageflow_results.n + 1 };
        },
        flakyOpts,
      ),
    });
    const child = withSignature(reporter, async (input: Json, ctx) => {
      record(input, ctx);
      await sleep(100); // long enough that the swarm's 5 slots are all taken at once, even on a busy machine
      if (input.fail) throw new NonRetryableError(`child ${input.i} fails`);
      return { i: input.i };
    });
    const swarmChild = hatchet.task({
      name: SWARM_CHILD,
      fn: async (input: Json, ctx: Context<Json>) => {
        const gauge = swarmChildren;
        gauge.enter();
        try {
          return await child(input, ctx);
        } finally {
          gauge.leave(ctx.additionalMetadata().task_id!);
        }
      },
    });
    worker = await hatchet.worker("real-containers-worker", { workflows: [echo, add, flakyAdd, swarmChild], slots: 20 });
    void worker.start();
    await worker.waitUntilReady(20_000);
  });

  after(async () => {
    await worker?.stop();
    await server?.close(1000);
    await engine?.stop();
  });

  it("a chain of three whose middle step fails once: the retry continues the chain, DONE with the last result, callback once", async () => {
    const onOk = await create("real-c-echo", { on: "chain-done" });
    const a = await create("real-c-add", { step: "a" });
    const { chain } = await containers.createChain({
      tasks: [existing(a), inline("real-c-add-flaky", { step: "b" }), inline("real-c-add", { step: "c" })],
      name: "three",
      kwargs: { tenant: "t" },
      successCallbacks: [onOk],
    });
    const key = chain!.signature!.key;
    const [, b, c] = chain!.childKeys;
    await sigs.runSignature({ key, message: { n: 1 } });
    await untilStatus(key, Status.DONE);

    assert.deepEqual(callsOf(a), [{ n: 1, step: "a", tenant: "t" }]);
    const bInput = { mageflow_results: { n: 2 }, step: "b", tenant: "t" };
    assert.deepEqual(callsOf(b!), [bInput, bInput], "two attempts at the engine, the same input");
    assert.deepEqual(callsOf(c!), [{ mageflow_results: { n: 3 }, step: "c", tenant: "t" }]);
    assert.deepEqual(await resultOf(key), { n: 4 });
    for (const k of [a, b!, c!]) assert.equal(await statusOf(k), Status.DONE);
    await untilStatus(onOk, Status.DONE);
    assert.deepEqual(callsOf(onOk), [{ mageflow_results: { n: 4 }, on: "chain-done" }]);
    await sleep(1500); // a few reconcile rounds: nothing runs again
    assert.equal(callsOf(onOk).length, 1, "the success callback fires once");
    assert.equal(callsOf(c!).length, 1);
  });

  it("a swarm of 50 with max_concurrency 5: never more than 5 children at once, DONE with 50 results, callback once", async (t) => {
    swarmChildren = new Gauge();
    const onOk = await create("real-c-echo", { on: "swarm-done" });
    const { swarm } = await containers.createSwarm({
      tasks: range(50).map((i) => inline(SWARM_CHILD, { i })),
      name: "fifty",
      config: { maxConcurrency: 5 },
      successCallbacks: [onOk],
      close: true,
    });
    const key = swarm!.signature!.key;
    const engineView = watchEngine();
    await sigs.runSignature({ key, message: {} });
    await untilStatus(key, Status.DONE, 60_000);
    const seen = await engineView.stop();

    assert.deepEqual(resultsOf(await resultOf(key)), range(50));
    for (const k of swarm!.childKeys) assert.equal(callsOf(k).length, 1, `${k} ran once`);
    assert.ok(swarmChildren.max <= 5, `the worker ran ${swarmChildren.max} of the swarm's children at once`);
    assert.equal(swarmChildren.max, 5, "the swarm used its 5 slots");
    assert.ok(seen.polls >= 5, `polled the engine ${seen.polls} times`);
    assert.ok(seen.working <= 5, `the engine listed ${seen.working} of the swarm's runs RUNNING at once that had not ended at the worker`);
    t.diagnostic(`swarm children at once: worker ${swarmChildren.max}; engine RUNNING ${seen.listed}, not ended at the worker ${seen.working} (${seen.polls} polls)`);
    const { container } = await containers.getContainer({ key });
    assert.equal(container!.inFlight, 0);
    assert.equal(container!.summary!.done, 50);
    await untilStatus(onOk, Status.DONE);
    await sleep(1000);
    assert.equal(callsOf(onOk).length, 1, "the success callback fires once");
    assert.deepEqual(resultsOf(callsOf(onOk)[0]!.mageflow_results), range(50));
  });

  it("a swarm of 50 with 3 failing children and stop_after_n_failures 2: FAILED at the second failure, the rest canceled, error callback once", async () => {
    swarmChildren = new Gauge();
    const failing = new Set([20, 21, 35]);
    const onErr = await create("real-c-echo", { on: "swarm-failed" });
    const onOk = await create("real-c-echo", { on: "never" });
    const { swarm } = await containers.createSwarm({
      tasks: range(50).map((i) => inline(SWARM_CHILD, failing.has(i) ? { i, fail: true } : { i })),
      name: "failing",
      config: { maxConcurrency: 5, stopAfterNFailures: 2 },
      successCallbacks: [onOk],
      errorCallbacks: [onErr],
      close: true,
    });
    const key = swarm!.signature!.key;
    const children = swarm!.childKeys;
    await sigs.runSignature({ key, message: {} });
    await untilStatus(key, Status.FAILED, 60_000);
    await untilStatus(onErr, Status.DONE);
    await sleep(1500); // in-flight children are cancelled at the engine; late reports change nothing

    const records = await Promise.all(children.map((k) => sig(k)));
    const byStatus = (s: Status) => records.filter((r) => r.taskStatus!.status === s).map((r) => children.indexOf(r.key));
    const failed = byStatus(Status.FAILED);
    assert.equal(failed.length, 2, `exactly two children failed: ${failed}`);
    for (const i of failed) assert.ok(failing.has(i), `child ${i} was one of the failing ones`);
    assert.deepEqual([...byStatus(Status.DONE), ...failed, ...byStatus(Status.CANCELED)].sort((x, y) => x - y), range(50), "every child ended DONE, FAILED or CANCELED");
    const third = [...failing].find((i) => !failed.includes(i))!;
    assert.equal(records[third]!.taskStatus!.status, Status.CANCELED, "the third failing child was canceled");
    for (const r of records) {
      if (!r.run) assert.equal(callsOf(r.key).length, 0, `${r.key} was never dispatched and never ran`);
      assert.ok(callsOf(r.key).length <= 1, `${r.key} ran at most once`);
    }
    assert.ok(byStatus(Status.CANCELED).length >= 50 - 36, "the children after the failures never started");
    assert.ok(swarmChildren.max <= 5, `the worker ran ${swarmChildren.max} of the swarm's children at once`);

    const { container } = await containers.getContainer({ key });
    assert.equal(container!.failedCount, 2);
    assert.equal(container!.inFlight, 0);
    assert.equal(callsOf(onErr).length, 1, "the error callback fires once");
    assert.equal(callsOf(onErr)[0]!.mageflow_error.type, "SwarmFailed");
    assert.equal(callsOf(onOk).length, 0);
    assert.equal((await sig(onOk)).removed, true, "the success tree is retired");
  });

  it("a swarm inside a chain: the next step runs after the swarm ends DONE and receives its results", async () => {
    const { swarm } = await containers.createSwarm({
      tasks: range(3).map((i) => inline(SWARM_CHILD, { i })),
      name: "inner",
      config: { maxConcurrency: 2, sendMessageToChildren: true },
      close: true,
    });
    const swarmKey = swarm!.signature!.key;
    const { chain } = await containers.createChain({
      tasks: [inline("real-c-add", { step: "first" }), existing(swarmKey), inline("real-c-echo", { step: "last" })],
      name: "with-swarm",
    });
    const key = chain!.signature!.key;
    const [first, , last] = chain!.childKeys;
    await sigs.runSignature({ key, message: { n: 1 } });
    await untilStatus(key, Status.DONE);

    assert.equal(await statusOf(swarmKey), Status.DONE);
    assert.deepEqual(callsOf(first!), [{ n: 1, step: "first" }]);
    for (const [i, k] of swarm!.childKeys.entries()) {
      assert.deepEqual(callsOf(k), [{ mageflow_results: { n: 2 }, i }], "each swarm child got the swarm's run message");
    }
    const lastCalls = callsOf(last!);
    assert.equal(lastCalls.length, 1, "the step after the swarm ran once");
    assert.equal(lastCalls[0]!.step, "last");
    assert.deepEqual(resultsOf(lastCalls[0]!.mageflow_results), [0, 1, 2], "the swarm's results");
    assert.deepEqual(await resultOf(key), { echoed: lastCalls[0] as JsonObject });
  });
});
