// One connected trace, exported over OTLP: a caller's span → its client call → the service's RunSignature
// → the engine trigger → the worker's run and its StartTask/CompleteTask reports → the success callback's
// trigger → the callback's run and reports. The service runs as `mageflow serve` configured only by the
// standard OTEL_* variables, the engine is the stand-in, the worker the real Hatchet SDK with withSignature.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { context, propagation, trace } from "@opentelemetry/api";
import { NodeSDK } from "@opentelemetry/sdk-node";
import type { HatchetClient } from "@hatchet-dev/typescript-sdk";
import { testSdk } from "../support/hatchet-sdk.js";
import { createMageflowClient, Status, type MageflowClient } from "../../clients/typescript/src/index.js";
import { connectWorkerReporter, withSignature } from "../../src/worker/hatchet-worker.js";
import { startHatchetStandin, type HatchetStandin } from "../support/hatchet-standin.js";
import { KIND, startOtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";

type Worker = Awaited<ReturnType<HatchetClient["worker"]>>;

async function waitFor<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("traces: caller → service → engine → worker → callback, over OTLP", () => {
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let engine: HatchetStandin;
  let server: ServerProcess;
  let worker: Worker;
  let client: MageflowClient;
  let sdk: NodeSDK;

  before(async () => {
    receiver = await startOtlpReceiver();
    engine = await startHatchetStandin();
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "100" };
    server = await spawnServer([], {
      ...otel,
      OTEL_SERVICE_NAME: "mageflow-signature-service",
      HATCHET_CLIENT_TOKEN: engine.token,
      HATCHET_CLIENT_HOST_PORT: engine.hostPort,
      HATCHET_CLIENT_API_URL: engine.apiUrl,
      HATCHET_CLIENT_TLS_STRATEGY: "none",
      LOG_FORMAT: "json",
    });
    // This process is the caller and the worker: an SDK of its own, configured the same standard way.
    Object.assign(process.env, otel, { OTEL_SERVICE_NAME: "caller-and-worker" });
    sdk = new NodeSDK({ instrumentations: [], metricReaders: [], logRecordProcessors: [] });
    sdk.start();

    const reporter = connectWorkerReporter(`http://127.0.0.1:${server.httpPort}`);
    const hatchet = testSdk(engine);
    const charge = hatchet.task({ name: "trace-charge", fn: withSignature(reporter, async (input: Record<string, any>) => ({ charged: input.amount })) });
    const notify = hatchet.task({ name: "trace-notify", fn: withSignature(reporter, async () => ({ sent: true })) });
    worker = await hatchet.worker("trace-worker", { workflows: [charge, notify] });
    void worker.start();
    await worker.waitUntilReady(5000);
    client = createMageflowClient({ baseUrl: `http://127.0.0.1:${server.httpPort}`, tracing: { context, propagation } });
  });

  after(async () => {
    await worker?.stop();
    await sdk?.shutdown();
    await server?.stop();
    await engine?.close();
    await receiver?.close();
  });

  it("connects every step of a run and its success callback in one trace", async () => {
    const notifyKey = (await client.asign("trace-notify")).key;
    const chargeKey = (await client.asign("trace-charge", { kwargs: { amount: 5 }, successCallbacks: [notifyKey] })).key;

    const tracer = trace.getTracer("test-caller");
    const traceId = await tracer.startActiveSpan("checkout", async (root) => {
      await client.runNoWait(chargeKey);
      root.end();
      return root.spanContext().traceId;
    });
    await waitFor("the callback to finish", async () => ((await client.loadSignature(notifyKey)).taskStatus?.status === Status.DONE ? true : undefined));
    assert.equal((await client.loadSignature(chargeKey)).taskStatus?.status, Status.DONE);

    const of = (pred: (s: ReceivedSpan) => boolean, what: string) => waitFor(what, () => receiver.spans.find((s) => s.traceId === traceId && pred(s)));
    const byId = (id: string) => receiver.spans.find((s) => s.spanId === id);
    const childOf = (child: ReceivedSpan, parent: ReceivedSpan, what: string) =>
      assert.equal(child.parentSpanId, parent.spanId, `${what}: ${child.name} (${child.service}) has parent ${byId(child.parentSpanId)?.name ?? child.parentSpanId}, expected ${parent.name}`);
    const server = (name: string, key: string) => of((s) => s.service === "mageflow-signature-service" && s.kind === KIND.SERVER && s.name.endsWith(`/${name}`) && s.attributes["mageflow.key"] === key, `${name} of ${key}`);

    const root = await of((s) => s.name === "checkout", "the caller's span");
    const run = await server("RunSignature", chargeKey);
    childOf(run, root, "the service continues the caller's traceparent");
    const storeRun = await of((s) => s.name === "store run" && s.parentSpanId === run.spanId, "the store call of RunSignature");
    assert.equal(storeRun.attributes["db.operation.name"], "run");

    const trigger = await of((s) => s.name === "engine trigger trace-charge", "the engine trigger");
    childOf(trigger, run, "the trigger continues the run's trace from the run metadata");
    assert.equal(trigger.kind, KIND.PRODUCER);
    const workerRun = await of((s) => s.name === "run trace-charge" && s.service === "caller-and-worker", "the worker's run span");
    childOf(workerRun, trigger, "the worker continues the engine run's traceparent");
    const start = await server("StartTask", chargeKey);
    const complete = await server("CompleteTask", chargeKey);
    childOf(start, workerRun, "StartTask carries the worker's trace");
    childOf(complete, workerRun, "CompleteTask carries the worker's trace");
    await of((s) => s.name === "store completeTask" && s.parentSpanId === complete.spanId, "the store call of CompleteTask");

    const callbackTrigger = await of((s) => s.name === "engine trigger trace-notify", "the callback's trigger");
    childOf(callbackTrigger, complete, "the success callback's dispatch continues the CompleteTask that fired it");
    const callbackRun = await of((s) => s.name === "run trace-notify", "the callback's run");
    childOf(callbackRun, callbackTrigger, "the callback's worker run");
    childOf(await server("CompleteTask", notifyKey), callbackRun, "the callback's CompleteTask");

    // Every span of the trace leads back to the caller's root.
    const ancestry = (s: ReceivedSpan): string[] => (s.parentSpanId ? [s.name, ...ancestry(byId(s.parentSpanId)!)] : [s.name]);
    for (const s of receiver.spans.filter((x) => x.traceId === traceId)) assert.equal(ancestry(s).at(-1), "checkout", `${s.name} is connected: ${ancestry(s).join(" ← ")}`);
  });
});
