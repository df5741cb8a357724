import assert from "node:assert/strict";
import net from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { Status } from "nice-grpc";
import { DispatchError, type TriggerRequest } from "../../src/dispatch/dispatcher.js";
import { HatchetDispatcher, hatchetConfigFromEnv, toDispatchError } from "../../src/dispatch/hatchet.js";
import { startHatchetStandin, type HatchetStandin } from "../support/hatchet-standin.js";

const request = (overrides: Partial<TriggerRequest> = {}): TriggerRequest => ({
  key: "TaskSignature:1b4e28ba-2fa1-11d2-883f-0016d3cca427",
  taskName: "Resize-Image",
  input: { image: { id: 7, tags: ["a", "b"] }, quality: 0.5, keep: null, ok: true },
  metadata: { task_id: "TaskSignature:1b4e28ba-2fa1-11d2-883f-0016d3cca427", tenant: "acme" },
  attempt: 1,
  ...overrides,
});

function isDispatchError(permanent: boolean, type?: string) {
  return (e: unknown) => {
    assert.ok(e instanceof DispatchError, `expected DispatchError, got ${String(e)}`);
    assert.equal(e.permanent, permanent, e.message);
    if (type) assert.equal(e.type, type);
    return true;
  };
}

async function timed<T>(work: Promise<T>): Promise<{ ms: number; result: PromiseSettledResult<T> }> {
  const started = Date.now();
  const [result] = await Promise.allSettled([work]);
  return { ms: Date.now() - started, result: result! };
}

describe("hatchetConfigFromEnv", () => {
  it("is undefined without a token", () => {
    assert.equal(hatchetConfigFromEnv({ HATCHET_CLIENT_HOST_PORT: "h:1" }), undefined);
    assert.equal(hatchetConfigFromEnv({ HATCHET_CLIENT_TOKEN: "  " }), undefined);
  });

  it("reads the standard variables", () => {
    const cfg = hatchetConfigFromEnv({
      HATCHET_CLIENT_TOKEN: "t.o.k",
      HATCHET_CLIENT_HOST_PORT: "engine:7070",
      HATCHET_CLIENT_API_URL: "http://engine:8080",
      HATCHET_CLIENT_TLS_STRATEGY: "none",
      HATCHET_CLIENT_NAMESPACE: "team",
    });
    assert.equal(cfg?.token, "t.o.k");
    assert.equal(cfg?.hostPort, "engine:7070");
    assert.equal(cfg?.apiUrl, "http://engine:8080");
    assert.equal(cfg?.tls?.strategy, "none");
    assert.equal(cfg?.namespace, "team");
  });

  it("rejects an unknown TLS strategy", () => {
    assert.throws(() => hatchetConfigFromEnv({ HATCHET_CLIENT_TOKEN: "t", HATCHET_CLIENT_TLS_STRATEGY: "plain" }));
  });
});

describe("toDispatchError", () => {
  it("reads the status from the head of the SDK's message only", () => {
    const e = toDispatchError(new Error("/WorkflowService/TriggerWorkflow UNAVAILABLE: proxy said NOT_FOUND: x"));
    assert.equal(e.permanent, false);
    assert.equal(e.type, "UNAVAILABLE");
    assert.equal(toDispatchError(new Error("NOT_FOUND: workflow")).permanent, false);
    assert.equal(toDispatchError(new Error("/v1.AdminService/CancelTasks INVALID_ARGUMENT: bad id")).permanent, true);
  });
});

describe("HatchetDispatcher against a stand-in engine", () => {
  let engine: HatchetStandin;
  let dispatcher: HatchetDispatcher;

  before(async () => {
    engine = await startHatchetStandin();
    const cfg = hatchetConfigFromEnv({
      HATCHET_CLIENT_TOKEN: engine.token,
      HATCHET_CLIENT_HOST_PORT: engine.hostPort,
      HATCHET_CLIENT_API_URL: engine.apiUrl,
      HATCHET_CLIENT_TLS_STRATEGY: "none",
      HATCHET_CLIENT_NAMESPACE: "Team",
    });
    dispatcher = new HatchetDispatcher({ ...cfg!, timeoutMs: 1000 });
  });
  after(async () => {
    await dispatcher.close();
    await engine.close();
  });
  beforeEach(() => engine.resetFaults());

  it("sends one TriggerWorkflow with the namespaced name, the exact input and metadata", async () => {
    const calls = engine.triggerCalls;
    const req = request();
    const { runId } = await dispatcher.trigger(req);

    assert.equal(engine.triggerCalls, calls + 1);
    const sent = engine.triggers.at(-1)!;
    assert.equal(sent.name, "team_resize-image");
    assert.deepEqual(sent.input, req.input);
    assert.deepEqual(sent.metadata, req.metadata);
    assert.equal(sent.metadata?.task_id, req.key);
    assert.equal(runId, sent.runId);
  });

  it("reports a task name no worker registered as permanent TASK_NOT_REGISTERED (engine's strict trigger settings)", async () => {
    const strict = await startHatchetStandin({ strictTriggers: true });
    const d = new HatchetDispatcher({ token: strict.token, hostPort: strict.hostPort, apiUrl: strict.apiUrl, tls: { strategy: "none" } });
    try {
      await assert.rejects(d.trigger(request()), isDispatchError(true, "TASK_NOT_REGISTERED"));
      assert.equal(strict.triggerCalls, 1);
      assert.equal(strict.triggers.length, 0);
    } finally {
      await d.close();
      await strict.close();
    }
  });

  it("reports rejected input as permanent", async () => {
    engine.failTriggersWith(Status.INVALID_ARGUMENT, "input does not match schema");
    await assert.rejects(dispatcher.trigger(request()), isDispatchError(true, "INVALID_ARGUMENT"));
  });

  it("reports UNAVAILABLE as transient after a single attempt, promptly", async () => {
    engine.failTriggersWith(Status.UNAVAILABLE, "engine restarting");
    const calls = engine.triggerCalls;
    const { ms, result } = await timed(dispatcher.trigger(request()));
    assert.equal(result.status, "rejected");
    isDispatchError(false, "UNAVAILABLE")((result as PromiseRejectedResult).reason);
    assert.equal(engine.triggerCalls, calls + 1, "the SDK must not retry on its own");
    assert.ok(ms < 3000, `took ${ms} ms`);
  });

  it("gives up on a slow engine after its timeout, as transient", async () => {
    engine.delayTriggers(5000);
    const { ms, result } = await timed(dispatcher.trigger(request()));
    assert.equal(result.status, "rejected");
    isDispatchError(false, "DEADLINE_EXCEEDED")((result as PromiseRejectedResult).reason);
    assert.ok(ms >= 950 && ms < 4000, `took ${ms} ms`);
  });

  it("reports an engine that is not listening as transient, promptly", async () => {
    const port = await closedPort();
    const d = new HatchetDispatcher({
      token: engine.token,
      hostPort: `127.0.0.1:${port}`,
      apiUrl: `http://127.0.0.1:${port}`,
      tls: { strategy: "none" },
    });
    try {
      const { ms, result } = await timed(d.trigger(request()));
      assert.equal(result.status, "rejected");
      isDispatchError(false)((result as PromiseRejectedResult).reason);
      assert.ok(ms < 3000, `took ${ms} ms`);
    } finally {
      await d.close();
    }
  });

  it("cancels a run through the engine's REST route", async () => {
    const { runId } = await dispatcher.trigger(request());
    await dispatcher.cancel(runId);
    assert.equal(engine.cancels.at(-1), runId);
  });

  it("maps cancel refusals by HTTP status", async () => {
    engine.failCancelsWith(404);
    await assert.rejects(dispatcher.cancel("no-such-run"), isDispatchError(true, "HTTP_404"));
    engine.failCancelsWith(503);
    await assert.rejects(dispatcher.cancel("no-such-run"), isDispatchError(false, "HTTP_503"));
  });

  it("refuses calls after close", async () => {
    const d = new HatchetDispatcher({ token: engine.token, hostPort: engine.hostPort, apiUrl: engine.apiUrl, tls: { strategy: "none" } });
    await d.close();
    await assert.rejects(d.trigger(request()), isDispatchError(false));
  });
});

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
