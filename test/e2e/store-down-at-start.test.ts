import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import { after, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/health/v1/health_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";

/** Polls until `check` is true (a hang guard, not a timing assertion). */
async function until(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("the store unreachable at start", { skip: redisSkipReason() }, () => {
  let redis: RedisServer | undefined;
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it("starts NOT_SERVING, retries, and serves once Redis is back", async () => {
    redis = await startRedisServer();
    await redis.kill();
    server = await spawnServer(["--redis-url", redis.url]);
    const health = (port: number, grpc: boolean) =>
      createClient(Health, grpc ? createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }) : createConnectTransport({ baseUrl: `http://127.0.0.1:${port}`, httpVersion: "1.1" }));
    for (const [port, grpc] of [[server.grpcPort, true], [server.httpPort, false]] as const) {
      assert.equal((await health(port, grpc).check({ service: "" })).status, Serving.NOT_SERVING);
    }
    const sigs = createClient(SignatureService, createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: "1.1" }));
    await assert.rejects(sigs.createSignature({ taskName: "t" }), (e: Error & { code?: number }) => e.code === 14); // UNAVAILABLE
    await redis.start();
    await until(async () => (await health(server!.grpcPort, true).check({ service: "" })).status === Serving.SERVING, "SERVING on the gRPC port");
    await until(async () => (await health(server!.httpPort, false).check({ service: "" })).status === Serving.SERVING, "SERVING on the HTTP port");
    const { signature } = await sigs.createSignature({ taskName: "t" });
    assert.ok(signature!.key);
    assert.equal(server.proc.exitCode, null);
  });

  it("exits 2 for a bad setting: a port already in use", async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as net.AddressInfo).port;
    const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--port", String(port), "--http-port", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((r) => proc.once("exit", r));
    taken.close();
    assert.equal(code, 2, stderr);
    assert.match(stderr, /PORT/);
  });
});
