/**
 * `mageflow serve --workers 2` on Redis, seen from clients of both ports: connections are spread over
 * both worker processes (each connection's server end is found in a worker's open sockets), and a
 * SIGHUP rolling restart under continuous calls on both ports, from long-lived HTTP/2 clients and from
 * a connection per call, fails none of them (the raw callers, like every gRPC client, send a stream the
 * server refused unprocessed again; the TypeScript client does so by itself).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import http2 from "node:http2";
import { describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createMageflowClient, type MageflowClient } from "../../clients/typescript/src/index.js";
import { GetSignatureRequestSchema, GetSignatureResponseSchema, SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { redisSkipReason, startRedisServer } from "../support/redis-server.js";
import { startWorkers, workerPids } from "../support/workers-server.js";
import { envelope } from "../security/wire.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** The process among `pids` holding the server end of the loopback TCP connection whose client end has local port `clientPort`. */
function ownerOf(clientPort: number, serverPort: number, pids: number[]): number | undefined {
  const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, "0");
  let inode: string | undefined;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      // local_address rem_address ... inode: the server end is local :serverPort, remote :clientPort.
      if (f[1].endsWith(`:${hex(serverPort)}`) && f[2].endsWith(`:${hex(clientPort)}`)) inode = f[9];
    }
  }
  if (!inode) return undefined;
  return pids.find((p) => socketInodes(p).has(inode!));
}

/** One unary call on a fresh HTTP/2 connection; resolves with the connection's local port and the response body (the session stays open). */
async function callOnNewConnection(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Uint8Array,
): Promise<{ session: http2.ClientHttp2Session; localPort: number; status: string; data: Buffer }> {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  const req = session.request({ ":method": "POST", ":path": path, ...headers });
  req.end(body);
  const chunks: Buffer[] = [];
  let status = "";
  req.on("response", (h) => (status = String(h["grpc-status"] ?? h[":status"])));
  req.on("trailers", (t) => (status = String(t["grpc-status"] ?? status)));
  req.on("data", (d: Buffer) => chunks.push(d));
  await new Promise<void>((resolve, reject) => {
    req.once("end", () => resolve());
    req.once("error", reject);
  });
  return { session, localPort: session.socket.localPort!, status, data: Buffer.concat(chunks) };
}

describe("--workers 2 from both ports", { timeout: 240_000, skip: redisSkipReason() }, () => {
  test("connections on the gRPC port and on the HTTP port are served by both worker processes", async (t) => {
    const redis = await startRedisServer();
    t.after(() => redis.stop());
    const srv = await startWorkers(redis.url);
    t.after(() => srv.stop());
    const workers = workerPids(srv.p.pid!);
    assert.equal(workers.length, 2);

    const client = createClient(SignatureService, createConnectTransport({ httpVersion: "2", baseUrl: `http://127.0.0.1:${srv.httpPort}` }));
    const { signature } = await client.createSignature({ taskName: "spread" });
    const key = signature!.key;
    const req = toBinary(GetSignatureRequestSchema, create(GetSignatureRequestSchema, { key }));

    const ports: { name: string; port: number; path: string; headers: Record<string, string>; body: Uint8Array; ok: string; decode: (d: Buffer) => { signature?: { key: string } } }[] = [
      { name: "gRPC", port: srv.grpcPort, path: "/mageflow.v1.SignatureService/GetSignature", headers: { "content-type": "application/grpc", te: "trailers" }, body: envelope(req), ok: "0", decode: (d: Buffer) => fromBinary(GetSignatureResponseSchema, d.subarray(5)) },
      { name: "HTTP (Connect)", port: srv.httpPort, path: "/mageflow.v1.SignatureService/GetSignature", headers: { "content-type": "application/proto", "connect-protocol-version": "1" }, body: req, ok: "200", decode: (d: Buffer) => fromBinary(GetSignatureResponseSchema, d) },
    ];
    for (const p of ports) {
      const served = new Map<number, number>();
      const sessions: http2.ClientHttp2Session[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await callOnNewConnection(p.port, p.path, p.headers, p.body);
        sessions.push(r.session);
        assert.equal(r.status, p.ok, `${p.name}: call ${i} answered ${r.status}`);
        assert.equal(p.decode(r.data).signature?.key, key, `${p.name}: call ${i} returned the signature`);
        const owner = ownerOf(r.localPort, p.port, workers);
        assert.ok(owner, `${p.name}: the server end of connection ${i} is held by a worker`);
        served.set(owner, (served.get(owner) ?? 0) + 1);
      }
      for (const s of sessions) s.close();
      assert.deepEqual([...served.keys()].sort(), [...workers].sort(), `${p.name}: both workers served calls (${JSON.stringify([...served])})`);
    }
  });

  test("a SIGHUP rolling restart under continuous calls on both ports fails none", async (t) => {
    const redis = await startRedisServer();
    t.after(() => redis.stop());
    const srv = await startWorkers(redis.url);
    t.after(() => srv.stop());
    const before = workerPids(srv.p.pid!);

    const grpcBase = `http://127.0.0.1:${srv.grpcPort}`;
    const httpBase = `http://127.0.0.1:${srv.httpPort}`;
    const setup = createClient(SignatureService, createConnectTransport({ httpVersion: "2", baseUrl: httpBase }));
    const { signature } = await setup.createSignature({ taskName: "restart" });
    const key = signature!.key;

    // Long-lived clients (one HTTP/2 connection each, reconnecting when the server sends GOAWAY), and
    // clients that open a connection per call, on each port; each calls without pause.
    const callers: { name: string; call: (n: number) => Promise<unknown> }[] = [];
    // The long-lived ones are the TypeScript client, which sends a call again when its stream was refused
    // unprocessed as the stopping worker's GOAWAY crossed it (as grpc-js, grpc-go and grpcio do).
    const clients: MageflowClient[] = [];
    for (let i = 0; i < 2; i++) {
      const g = createMageflowClient({ grpcAddress: grpcBase });
      const c = createMageflowClient({ baseUrl: httpBase, httpVersion: "2" });
      clients.push(g, c);
      callers.push({ name: `gRPC long-lived ${i}`, call: (n) => (n % 2 ? g.loadSignature(key) : g.update(key, { kwargs: { g: n } })) });
      callers.push({ name: `Connect long-lived ${i}`, call: (n) => (n % 2 ? c.loadSignature(key) : c.update(key, { kwargs: { c: n } })) });
    }
    t.after(() => clients.forEach((c) => c.close()));
    callers.push({
      name: "gRPC connection per call",
      call: async () => {
        const r = await callOnNewConnection(srv.grpcPort, "/mageflow.v1.SignatureService/GetSignature", { "content-type": "application/grpc", te: "trailers" }, envelope(toBinary(GetSignatureRequestSchema, create(GetSignatureRequestSchema, { key }))));
        r.session.close();
        if (r.status !== "0") throw new Error(`grpc-status ${r.status}`);
      },
    });
    callers.push({
      name: "Connect connection per call",
      call: async () => {
        const r = await callOnNewConnection(srv.httpPort, "/mageflow.v1.SignatureService/GetSignature", { "content-type": "application/proto", "connect-protocol-version": "1" }, toBinary(GetSignatureRequestSchema, create(GetSignatureRequestSchema, { key })));
        r.session.close();
        if (r.status !== "200") throw new Error(`HTTP ${r.status}`);
      },
    });

    let calling = true;
    let restarting = false;
    const counts = new Map<string, { total: number; duringRestart: number }>();
    const failures: string[] = [];
    let rawRefused = 0;
    const loops = callers.map(async ({ name, call }) => {
      const c = { total: 0, duringRestart: 0 };
      counts.set(name, c);
      for (let n = 0; calling; n++) {
        try {
          await call(n);
        } catch (e) {
          // The raw HTTP/2 callers (a connection per call) do what every gRPC client does with a stream
          // the server refused unprocessed (a connection handed to a worker as it stopped): send it again.
          const refused = name.includes("per call") && /REFUSED_STREAM/.test((e as Error).message);
          if (refused) rawRefused++;
          try {
            if (!refused) throw e;
            await call(n);
          } catch (e2) {
            failures.push(`${name}: ${(e2 as Error).message}`);
          }
        }
        c.total++;
        if (restarting) c.duringRestart++;
      }
    });

    await sleep(500);
    restarting = true;
    srv.p.kill("SIGHUP");
    for (let i = 0; i < 300 && !srv.stderr().includes("restarted 2 workers"); i++) await sleep(100);
    restarting = false;
    assert.ok(srv.stderr().includes("restarted 2 workers"), srv.stderr().slice(-2000));
    await sleep(500);
    calling = false;
    await Promise.all(loops);

    const after = workerPids(srv.p.pid!);
    console.log(`workers ${before} -> ${after}; calls ${JSON.stringify([...counts])}; refused streams the raw callers sent again: ${rawRefused}`);
    assert.equal(after.length, 2);
    assert.deepEqual(after.filter((p) => before.includes(p)), [], "both workers are new processes");
    for (const [name, c] of counts) assert.ok(c.duringRestart >= 5, `${name} kept calling during the restart (${c.duringRestart} calls)`);
    assert.deepEqual(failures, [], "no call failed during the rolling restart");
  });
});
