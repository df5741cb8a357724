// What load balancers, orchestrators and grpcurl users rely on: /healthz and /readyz on the HTTP port,
// and reflection on the gRPC port listing grpc.health.v1.Health and the error-detail types.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { redisSkipReason, startRedisServer } from "../support/redis-server.js";
import { grpcurl, grpcurlPath } from "../support/grpcurl.js";
import { startTestServer } from "../support/server.js";
import type { RunningServer } from "../../src/server/server.js";

const until = async (fn: () => Promise<boolean>, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 100));
  }
};

describe("HTTP probes", { skip: redisSkipReason() }, () => {
  it("/healthz answers while the process lives; /readyz only while the store answers", async () => {
    const redis = await startRedisServer();
    const server = await startTestServer({ redisUrl: redis.url });
    const probe = async (path: string, method = "GET") => (await fetch(`http://127.0.0.1:${server.httpPort}${path}`, { method })).status;
    try {
      assert.equal(await probe("/healthz"), 200);
      assert.equal(await probe("/readyz"), 200);
      assert.equal(await probe("/readyz", "HEAD"), 200);
      assert.equal(await probe("/readyz", "POST"), 405);
      await redis.kill();
      await until(async () => (await probe("/readyz")) === 503);
      assert.equal(await probe("/healthz"), 200, "liveness does not depend on the store");
      await redis.start();
      await until(async () => (await probe("/readyz")) === 200);
    } finally {
      await server.close(1000);
      await redis.stop();
    }
  });
});

describe("grpcurl against the gRPC port", () => {
  let server: RunningServer;
  let bin = "";
  let target = "";
  before(async () => {
    bin = grpcurlPath();
    server = await startTestServer();
    target = `127.0.0.1:${server.grpcPort}`;
  });
  after(() => server.close(1000));

  it("lists the health service beside MageFlow's", async () => {
    const r = await grpcurl(bin, ["-plaintext", target, "list"]);
    assert.equal(r.code, 0, r.stderr);
    const services = r.stdout.trim().split("\n");
    for (const s of ["grpc.health.v1.Health", "mageflow.v1.SignatureService", "mageflow.v1.WorkerService"]) assert.ok(services.includes(s), `${s} in ${services.join(", ")}`);
  });

  it("health check", async () => {
    const r = await grpcurl(bin, ["-plaintext", target, "grpc.health.v1.Health/Check"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { status: "SERVING" });
  });

  it("describe a service and an error-detail type", async () => {
    const service = await grpcurl(bin, ["-plaintext", target, "describe", "mageflow.v1.SignatureService"]);
    assert.match(service.stdout, /rpc GetSignature/);
    const detail = await grpcurl(bin, ["-plaintext", target, "describe", "google.rpc.ErrorInfo"]);
    assert.equal(detail.code, 0, detail.stderr);
    assert.match(detail.stdout, /message ErrorInfo/);
  });

  it("an error's details decode (no base64)", async () => {
    const r = await grpcurl(bin, ["-plaintext", "-d", '{"key": "not-a-key"}', target, "mageflow.v1.SignatureService/GetSignature"]);
    assert.notEqual(r.code, 0);
    const out = r.stdout + r.stderr;
    assert.match(out, /"@type": "type.googleapis.com\/google.rpc.ErrorInfo"/);
    assert.match(out, /"reason": "INVALID_ARGUMENT"/);
    assert.match(out, /"@type": "type.googleapis.com\/google.rpc.BadRequest"/);
  });
});
