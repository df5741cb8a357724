import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/health/v1/health_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { redisSkipReason, startRedisServer } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";

const serve = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += String(d)));
    p.once("exit", (code) => resolve({ code, stderr }));
  });

const until = async (fn: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("configuration errors stop the server at start, naming the setting", () => {
  for (const [args, env, named] of [
    [["--done-ttl", "3 hours"], {}, "--done-ttl"],
    [[], { ACTIVE_TTL: "-5s" }, "ACTIVE_TTL"],
    [["--port", "70000"], {}, "--port"],
    [[], { REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [[], { WATCH_BUFFER: "0" }, "WATCH_BUFFER"],
    [[], { REDIS_URL: "redis-sentinel://127.0.0.1:26379" }, "REDIS_URL"],
    [["--redis-wait-replicas", "1"], {}, "REDIS_WAIT_REPLICAS"],
  ] as const) {
    it(`${named}`, async () => {
      const { code, stderr } = await serve([...args, "--http-port", "0"], env);
      assert.equal(code, 2);
      assert.match(stderr, new RegExp(`invalid setting ${named}`));
    });
  }
});

describe("health follows the store", { skip: redisSkipReason() }, () => {
  it("reports NOT_SERVING while Redis is down, calls fail UNAVAILABLE, and SERVING when it is back", async () => {
    const redis = await startRedisServer();
    const server = await startTestServer({ redisUrl: redis.url });
    const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` });
    const health = createClient(Health, transport);
    const sigs = createClient(SignatureService, transport);
    const status = async () => (await health.check({ service: "mageflow.v1.SignatureService" })).status;
    try {
      assert.equal(await status(), Serving.SERVING);
      await redis.kill();
      await until(async () => (await status()) === Serving.NOT_SERVING);
      const err = await sigs.createSignature({ taskName: "while-down" }).catch((e) => e as ConnectError);
      assert.equal((err as ConnectError).code, Code.Unavailable);
      assert.equal((err as ConnectError).findDetails(ErrorInfoSchema)[0].reason, "STORE_UNAVAILABLE");
      await redis.start();
      await until(async () => (await status()) === Serving.SERVING);
      assert.ok((await sigs.createSignature({ taskName: "after" })).signature);
    } finally {
      await server.close(1000);
      await redis.stop();
    }
  });
});
