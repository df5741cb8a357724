import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/health/v1/health_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { freePort, redisSkipReason } from "../support/redis-server.js";
import { spawnServer } from "../support/spawn-server.js";
import { makeTokens, outcomeOf, startSecureServer, type SecureServer } from "./harness.js";
import { makePki, type Pki } from "./pki.js";

interface ClientTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

const bearerInterceptor =
  (authorization?: string): Interceptor =>
  (next) =>
  (req) => {
    if (authorization) req.header.set("authorization", authorization);
    return next(req);
  };

/** Every way in over TLS: gRPC on both ports (HTTP/2, ALPN h2), Connect and gRPC-Web over HTTP/1.1. */
function transports(s: SecureServer, o: ClientTls, authorization?: string): [string, Transport][] {
  const nodeOptions = { ca: o.ca, cert: o.cert, key: o.key, servername: "localhost" };
  const interceptors = [bearerInterceptor(authorization)];
  return [
    ["gRPC port", createGrpcTransport({ baseUrl: `https://localhost:${s.server.grpcPort}`, nodeOptions, interceptors })],
    ["gRPC on the HTTP port", createGrpcTransport({ baseUrl: `https://localhost:${s.server.httpPort}`, nodeOptions, interceptors })],
    ["Connect over HTTP/1.1", createConnectTransport({ baseUrl: `https://localhost:${s.server.httpPort}`, httpVersion: "1.1", nodeOptions, interceptors })],
    ["gRPC-Web over HTTP/1.1", createGrpcWebTransport({ baseUrl: `https://localhost:${s.server.httpPort}`, httpVersion: "1.1", nodeOptions, interceptors })],
  ];
}

/** A bare TLS handshake plus one read: resolves with the error that ended it, or "open" if the server kept the connection. */
function handshake(port: number, o: ClientTls & { alpn: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: "127.0.0.1", port, servername: "localhost", ca: o.ca, cert: o.cert, key: o.key, ALPNProtocols: [o.alpn] });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve("open");
    }, 1500);
    socket.on("error", (e) => {
      clearTimeout(timer);
      resolve(e.message);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve("closed");
    });
    socket.on("secureConnect", () => socket.write(o.alpn === "h2" ? "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" : "GET / HTTP/1.1\r\nhost: x\r\n\r\n"));
  });
}

describe("TLS and mTLS, with certificates made by the test", () => {
  let pki: Pki;
  let s: SecureServer;
  let ca: Buffer;
  let client: ClientTls;
  before(async () => {
    pki = await makePki();
    ca = pki.read(pki.ca);
    client = { ca, cert: pki.read(pki.clientCert), key: pki.read(pki.clientKey) };
    s = await startSecureServer({ tlsCert: pki.serverCert, tlsKey: pki.serverKey, tlsCa: pki.ca });
  });
  after(() => s?.close());

  it("a client with a certificate of the CA and a token is served on every protocol; without the token it is UNAUTHENTICATED", async () => {
    for (const [name, t] of transports(s, client, `Bearer ${s.tokens.token("alpha", "reader")}`)) {
      const out = await outcomeOf(createClient(SignatureService, t).listSignatures({}));
      assert.equal(out.code, "OK", `${name}: ${JSON.stringify(out)}`);
      const health = await createClient(Health, t).check({});
      assert.equal(health.status, HealthCheckResponse_ServingStatus.SERVING, name);
    }
    for (const [name, t] of transports(s, client)) {
      assert.equal((await outcomeOf(createClient(SignatureService, t).listSignatures({}))).reason, "UNAUTHENTICATED", name);
    }
    // The native grpc-js client as well.
    const g = new grpc.Client(`localhost:${s.server.grpcPort}`, grpc.credentials.createSsl(ca, client.key, client.cert));
    await new Promise<void>((resolve, reject) => g.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())));
    g.close();
  });

  it("refuses a client without a certificate, with one from another CA, and a plaintext client; nothing is written", async () => {
    const before = await s.snapshot();
    const cases: [string, ClientTls][] = [
      ["no client certificate", { ca }],
      ["a certificate of another CA", { ca, cert: pki.read(pki.otherClientCert), key: pki.read(pki.otherClientKey) }],
    ];
    for (const [what, o] of cases) {
      for (const [name, t] of transports(s, o, `Bearer ${s.tokens.token("alpha", "admin")}`)) {
        const out = await outcomeOf(createClient(SignatureService, t).createSignature({ taskName: "must-not-exist" }, { timeoutMs: 5000 }));
        assert.notEqual(out.code, "OK", `${what} via ${name}`);
      }
      for (const port of [s.server.grpcPort, s.server.httpPort]) {
        for (const alpn of ["h2", "http/1.1"]) {
          const end = await handshake(port, { ...o, alpn });
          assert.notEqual(end, "open", `${what}: port ${port} ${alpn} kept the connection`);
          if (end !== "closed") assert.match(end, /certificate|alert|unknown ca|socket hang up|ECONNRESET/i, `${what}: ${end}`);
        }
      }
    }
    for (const port of [s.server.grpcPort, s.server.httpPort]) {
      const plain = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, interceptors: [bearerInterceptor(`Bearer ${s.tokens.token("alpha", "admin")}`)] });
      assert.notEqual((await outcomeOf(createClient(SignatureService, plain).createSignature({ taskName: "must-not-exist" }, { timeoutMs: 3000 }))).code, "OK");
    }
    assert.equal(await s.snapshot(), before);
  });

  it("a client that does not trust the server's CA does not connect", async () => {
    for (const [name, t] of transports(s, { cert: client.cert, key: client.key, ca: pki.read(pki.otherCa) }, `Bearer ${s.tokens.token("alpha", "admin")}`)) {
      const out = await outcomeOf(createClient(SignatureService, t).listSignatures({}, { timeoutMs: 5000 }));
      assert.notEqual(out.code, "OK", name);
    }
  });

  it("TLS without TLS_CA: server authentication only, any client connects (the token still decides)", async () => {
    const plainTls = await startSecureServer({ tlsCert: pki.serverCert, tlsKey: pki.serverKey }, makeTokens());
    try {
      for (const [name, t] of transports(plainTls, { ca }, `Bearer ${plainTls.tokens.token("beta", "client")}`)) {
        const out = await outcomeOf(createClient(SignatureService, t).createSignature({ taskName: "tls" }));
        assert.equal(out.code, "OK", `${name}: ${JSON.stringify(out)}`);
      }
    } finally {
      await plainTls.close();
    }
  });

  describe("Redis over TLS with a password (rediss://)", { skip: redisSkipReason() }, () => {
    let redis: ChildProcess;
    let port: number;
    before(async () => {
      port = await freePort();
      redis = spawn(
        "redis-server",
        ["--port", "0", "--tls-port", String(port), "--bind", "127.0.0.1", "--tls-cert-file", pki.serverCert, "--tls-key-file", pki.serverKey, "--tls-ca-cert-file", pki.ca, "--tls-auth-clients", "no", "--requirepass", "s3cret pass", "--save", "", "--appendonly", "no", "--dir", mkdtempSync(join(tmpdir(), "mageflow-redis-tls-"))],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      await waitForTls(port);
    });
    after(() => {
      redis?.kill("SIGKILL");
    });

    it("the server stores through rediss://:password@host with the CA in NODE_EXTRA_CA_CERTS", async () => {
      const tokens = makeTokens();
      const server = await spawnServer(["--redis-url", `rediss://:${encodeURIComponent("s3cret pass")}@localhost:${port}`, "--auth-tokens-file", tokens.file], { NODE_EXTRA_CA_CERTS: pki.ca, HATCHET_CLIENT_TOKEN: "" });
      try {
        const t = createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: "1.1", interceptors: [bearerInterceptor(`Bearer ${tokens.token("alpha", "client")}`)] });
        const c = createClient(SignatureService, t);
        const { signature } = await c.createSignature({ taskName: "over-tls" });
        assert.equal((await c.getSignature({ key: signature!.key })).signature!.taskName, "over-tls");
      } finally {
        await server.stop();
      }
    });

    it("a wrong password or an untrusted Redis certificate stops the server at start", async () => {
      await assert.rejects(spawnServer(["--redis-url", `rediss://:wrong@localhost:${port}`], { NODE_EXTRA_CA_CERTS: pki.ca }), /exited/);
      await assert.rejects(spawnServer(["--redis-url", `rediss://:${encodeURIComponent("s3cret pass")}@localhost:${port}`], { NODE_EXTRA_CA_CERTS: "" }), /exited/);
    });
  });
});

async function waitForTls(port: number) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server did not listen for TLS on ${port}`);
}
