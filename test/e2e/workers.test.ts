/**
 * `mageflow serve --workers 2` on the Redis store: two processes share both ports, a worker that
 * dies is replaced, SIGHUP restarts them one at a time without failing a call, and the embedded
 * store refuses workers.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { describe, test } from "node:test";
import { redisSkipReason, startRedisServer } from "../support/redis-server.js";
import { startWorkers, workerPids } from "../support/workers-server.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One Connect JSON call on a connection of its own (so each call may land on any worker). */
function call(port: number, method: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      { host: "127.0.0.1", port, method: "POST", path: `/mageflow.v1.SignatureService/${method}`, agent: false, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(data) } },
      (res) => {
        let out = "";
        res.on("data", (d) => (out += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(out || "{}") }));
      },
    );
    req.once("error", reject);
    req.end(data);
  });
}

describe("--workers", { timeout: 120_000 }, () => {
  test("is refused for the embedded store, exit code 2", async () => {
    const p = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--workers", "2", "--port", "0", "--http-port", "0"], { env: { ...process.env, REDIS_URL: "" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    const code = await new Promise((r) => p.once("exit", r));
    assert.equal(code, 2);
    assert.match(stderr, /invalid setting WORKERS="2": expected 1 without REDIS_URL \(the embedded store is one process's memory/);
  });

  test("two workers share both ports; one that dies is replaced; SIGHUP restarts them one at a time without a failed call", { skip: redisSkipReason() }, async (t) => {
    const redis = await startRedisServer();
    t.after(() => redis.stop());
    const srv = await startWorkers(redis.url);
    t.after(() => srv.stop());
    const { p, httpPort } = srv;
    let workers = workerPids(p.pid!);
    assert.equal(workers.length, 2, `two worker processes (${workers})`);

    const created = await call(httpPort, "CreateSignature", { taskName: "w" });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const key = (created.json.signature as { key: string }).key;

    // A writer that never stops; every call must succeed, whatever happens to the workers.
    let writing = true;
    const failures: string[] = [];
    let calls = 0;
    const writer = (async () => {
      while (writing) {
        const r = await call(httpPort, "UpdateSignature", { key, kwargs: { n: calls } }).catch((e: Error) => ({ status: 0, json: { message: e.message } }));
        calls++;
        if (r.status !== 200) failures.push(`${r.status} ${JSON.stringify(r.json)}`);
      }
    })();

    process.kill(workers[0], "SIGKILL");
    for (let i = 0; i < 100 && workerPids(p.pid!).filter((x) => x !== workers[0]).length < 2; i++) await sleep(100);
    const replaced = workerPids(p.pid!);
    assert.equal(replaced.length, 2, "the dead worker was replaced");
    assert.ok(!replaced.includes(workers[0]));
    failures.length = 0; // calls in flight on the killed worker may fail; from here on none may

    workers = replaced;
    const before = calls;
    p.kill("SIGHUP");
    for (let i = 0; i < 300 && !srv.stderr().includes("restarted 2 workers"); i++) await sleep(100);
    assert.ok(srv.stderr().includes("restarted 2 workers"), srv.stderr().slice(-2000));
    writing = false;
    await writer;
    const now = workerPids(p.pid!);
    console.log(`workers ${workers} -> ${now}; ${calls - before} calls during the restart`);
    assert.equal(now.length, 2);
    assert.deepEqual(now.filter((x) => workers.includes(x)), [], "both workers are new processes");
    assert.ok(calls - before > 10, `calls went on during the restart (${calls - before})`);
    assert.deepEqual(failures, [], "no call failed during the rolling restart");
  });
});
