// The defaults every client shares (docs/clients/defaults.md), as the TypeScript client applies them.
import assert from "node:assert/strict";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import fc from "fast-check";
import { backoffMs } from "../../clients/typescript/src/backoff.js";
import { createMageflowClient, MageflowError, RECONNECT_DEFAULTS, RETRY_DEFAULTS, type MageflowClient } from "../../clients/typescript/src/index.js";
import { RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { SignatureSchema } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { freePort } from "../support/redis-server.js";

/**
 * A Connect server whose GetSignature/CreateSignature fail as the key or task name says:
 * `unavailable-N` (UNAVAILABLE the first N calls), `exhausted-retryinfo-N` / `exhausted-N` (RESOURCE_EXHAUSTED
 * with / without RetryInfo the first N calls), `slow-retryinfo` (always RESOURCE_EXHAUSTED, RetryInfo 10 s).
 */
function flakyService() {
  const calls = new Map<string, number>();
  const answer = (name: string, header: Headers) => {
    const n = (calls.get(name) ?? 0) + 1;
    calls.set(name, n);
    const failures = Number(/-(\d+)$/.exec(name)?.[1] ?? 0);
    if (name === "slow-retryinfo") throw exhausted(10_000);
    if (n <= failures && name.startsWith("unavailable")) throw new ConnectError("try later", Code.Unavailable);
    if (n <= failures && name.startsWith("exhausted-retryinfo")) throw exhausted(50);
    if (n <= failures && name.startsWith("exhausted")) throw new ConnectError("quota", Code.ResourceExhausted);
    return create(SignatureSchema, { key: name, taskName: header.get("authorization") ?? "" });
  };
  const exhausted = (ms: number) => new ConnectError("quota", Code.ResourceExhausted, undefined, [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(ms) } }]);
  const server = http.createServer(
    connectNodeAdapter({
      routes: (router) =>
        router.service(SignatureService, {
          getSignature: (req, ctx) => ({ signature: answer(req.key, ctx.requestHeader) }),
          createSignature: (req, ctx) => ({ signature: answer(req.taskName, ctx.requestHeader) }),
        }),
    }),
  );
  return { server, calls };
}

/** An interceptor hook that counts the attempts of each call. */
function attemptCounter() {
  const attempts: string[] = [];
  const interceptor: Interceptor = (next) => (req) => {
    attempts.push(req.method.name);
    return next(req);
  };
  return { attempts, interceptor };
}

describe("client defaults", () => {
  let baseUrl = "";
  let service: ReturnType<typeof flakyService>;
  before(async () => {
    service = flakyService();
    await new Promise<void>((resolve) => service.server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => service.server.close(() => resolve())));

  const client = (options: Parameters<typeof createMageflowClient>[0] = {}) => {
    const counter = attemptCounter();
    const c: MageflowClient = createMageflowClient({ baseUrl, interceptors: [counter.interceptor], ...options });
    return { c, attempts: counter.attempts };
  };

  test("unary retries are off by default", async () => {
    const { c, attempts } = client();
    await assert.rejects(c.loadSignature("unavailable-off-1"), (e: MageflowError) => e.code === Code.Unavailable);
    assert.equal(attempts.length, 1);
    c.close();
  });

  test("with retry on, an idempotent read is retried on UNAVAILABLE until it succeeds; the interceptor hook sees every attempt", async () => {
    const { c, attempts } = client({ retry: true });
    const s = await c.loadSignature("unavailable-2");
    assert.equal(s.key, "unavailable-2");
    assert.deepEqual(attempts, ["GetSignature", "GetSignature", "GetSignature"]);
    c.close();
  });

  test("with retry on, attempts stop at 4 and the last error is thrown", async () => {
    const { c, attempts } = client({ retry: true });
    await assert.rejects(c.loadSignature("unavailable-9"), (e: MageflowError) => e.code === Code.Unavailable);
    assert.equal(attempts.length, RETRY_DEFAULTS.maxAttempts);
    c.close();
  });

  test("a connection refused is UNAVAILABLE and retried like one", async () => {
    const port = await freePort();
    const counter = attemptCounter();
    const c = createMageflowClient({ baseUrl: `http://127.0.0.1:${port}`, retry: { maxAttempts: 3, initialDelayMs: 10 }, interceptors: [counter.interceptor] });
    await assert.rejects(c.loadSignature("k"), (e: MageflowError) => e.code === Code.Unavailable);
    assert.equal(counter.attempts.length, 3);
    c.close();
  });

  test("CreateSignature is retried only when it carries a request id", async () => {
    const { c, attempts } = client({ retry: true });
    await assert.rejects(c.asign("unavailable-create-1"), (e: MageflowError) => e.code === Code.Unavailable);
    assert.equal(attempts.length, 1, "without a request id a second attempt could create twice");
    const s = await c.asign("unavailable-create-id-1", { requestId: `r-${Date.now()}` });
    assert.equal(s.key, "unavailable-create-id-1");
    assert.equal(attempts.length, 3);
    c.close();
  });

  test("RESOURCE_EXHAUSTED is retried only with a RetryInfo detail, after at least its delay", async () => {
    const { c, attempts } = client({ retry: { initialDelayMs: 1 } });
    await assert.rejects(c.loadSignature("exhausted-1"), (e: MageflowError) => e.code === Code.ResourceExhausted);
    assert.equal(attempts.length, 1);
    const t0 = performance.now();
    assert.equal((await c.loadSignature("exhausted-retryinfo-1")).key, "exhausted-retryinfo-1");
    assert.equal(attempts.length, 3);
    assert.ok(performance.now() - t0 >= 45, "waited the server's RetryInfo delay (50 ms), not the 1 ms backoff");
    c.close();
  });

  test("the deadline covers every attempt of a call", async () => {
    const { c, attempts } = client({ retry: true, timeoutMs: 300 });
    const t0 = performance.now();
    await assert.rejects(c.loadSignature("slow-retryinfo"), (e: MageflowError) => e.code === Code.DeadlineExceeded);
    assert.ok(performance.now() - t0 < 5_000);
    assert.equal(attempts.length, 1);
    c.close();
  });

  test("MAGEFLOW_SERVER and MAGEFLOW_TOKEN are read from the environment when not given", async () => {
    const saved = { server: process.env.MAGEFLOW_SERVER, token: process.env.MAGEFLOW_TOKEN };
    process.env.MAGEFLOW_SERVER = baseUrl;
    process.env.MAGEFLOW_TOKEN = "from-env";
    try {
      const fromEnv = createMageflowClient();
      assert.equal(fromEnv.target.url, baseUrl);
      assert.equal((await fromEnv.loadSignature("k")).taskName, "Bearer from-env");
      fromEnv.close();
      const explicit = createMageflowClient({ baseUrl, token: "given" });
      assert.equal((await explicit.loadSignature("k")).taskName, "Bearer given");
      explicit.close();
    } finally {
      restore("MAGEFLOW_SERVER", saved.server);
      restore("MAGEFLOW_TOKEN", saved.token);
    }
    assert.equal(createMageflowClient({ token: "" }).target.url, process.env.MAGEFLOW_SERVER ?? "http://127.0.0.1:8080");
  });
});

test("a watch reconnects without limit by default (here 30 times to a port nobody listens on), each delay capped", async () => {
  const port = await freePort();
  const client = createMageflowClient({ baseUrl: `http://127.0.0.1:${port}` });
  const delays: number[] = [];
  const watch = client.watch({
    reconnectDelayMs: 1,
    maxReconnectDelayMs: 4,
    onReconnect: (info) => {
      delays.push(info.delayMs);
      if (delays.length === 30) watch.close();
    },
  });
  for await (const _ of watch) assert.fail("no events from a closed port");
  assert.equal(delays.length, 30, "still reconnecting after 30 failures: the watch ended only because it was closed");
  assert.ok(delays.every((d) => d <= 4));
  client.close();
});

test("backoff: the n-th delay lies in [d/2, d] with d = min(cap, initial * 2^(n-1))", () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (n, r) => {
      for (const [initial, cap] of [
        [RETRY_DEFAULTS.initialDelayMs, RETRY_DEFAULTS.maxDelayMs],
        [RECONNECT_DEFAULTS.initialDelayMs, RECONNECT_DEFAULTS.maxDelayMs],
      ] as const) {
        const d = Math.min(cap, initial * 2 ** (n - 1));
        const delay = backoffMs(n, initial, cap, () => r);
        assert.ok(delay >= Math.floor(d / 2) && delay <= d, `${delay} for n=${n}`);
      }
    }),
  );
  assert.deepEqual([RECONNECT_DEFAULTS.initialDelayMs, RECONNECT_DEFAULTS.maxDelayMs], [100, 10_000]);
  assert.deepEqual(RETRY_DEFAULTS, { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 5_000 });
});

function restore(name: string, value: string | undefined) {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
