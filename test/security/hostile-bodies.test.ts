import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { CreateSignatureRequestSchema, GetSignatureRequestSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { clientsFor, outcomeOf, startSecureServer, type SecureServer } from "./harness.js";
import { envelope, sendRaw, type RawProtocol } from "./wire.js";

const GET = "/mageflow.v1.SignatureService/GetSignature";
const LIMIT = 300_000;

/** A gzip frame that is a few KB on the wire and decompresses past LIMIT. */
const bomb = gzipSync(Buffer.alloc(4 * LIMIT));
const small = toBinary(GetSignatureRequestSchema, create(GetSignatureRequestSchema, { key: "TaskSignature:00000000-0000-4000-8000-000000000001" }));

/**
 * Request bodies built to cost the server more than they cost the client: compressed frames that
 * expand past the limit, many frames on a unary call, bodies without a token, and the same refusals
 * on the gRPC port as on the HTTP port.
 */
describe("hostile request bodies", () => {
  let s: SecureServer;
  before(async () => {
    s = await startSecureServer({ maxRequestBytes: String(LIMIT) });
  });
  after(() => s.close());
  const ports = () => ({ grpcPort: s.server.grpcPort, httpPort: s.server.httpPort });
  const admin = () => ({ authorization: `Bearer ${s.tokens.token("alpha", "admin")}` });

  it("a request without a token is answered from its headers: the server does not wait for (or read) its body", { timeout: 10_000 }, async () => {
    // gRPC over HTTP/2 on the HTTP port: headers and one byte of a long body, never finished.
    const h2 = http2.connect(`http://127.0.0.1:${s.server.httpPort}`);
    h2.on("error", () => {});
    const stream = h2.request({ ":method": "POST", ":path": GET, "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip" });
    stream.on("error", () => {});
    stream.write(envelope(bomb, 1).subarray(0, 1));
    const status = await new Promise<string>((resolve) => {
      stream.on("response", (h) => h["grpc-status"] !== undefined && resolve(String(h["grpc-status"])));
      stream.on("trailers", (h) => resolve(String(h["grpc-status"])));
    });
    assert.equal(status, "16"); // UNAUTHENTICATED
    stream.close();
    h2.close();

    // Connect unary over HTTP/1.1: a body announced as 1 MB of which 10 bytes arrive.
    const answer = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: "127.0.0.1",
        port: s.server.httpPort,
        path: GET,
        method: "POST",
        agent: false,
        headers: { "content-type": "application/proto", "connect-protocol-version": "1", "content-encoding": "gzip", "content-length": String(1 << 20) },
      });
      req.on("response", (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.write(bomb.subarray(0, 10));
    });
    assert.equal(answer, 401);
  });

  for (const protocol of ["grpc-on-http-port", "grpc-web", "connect-stream"] as RawProtocol[]) {
    const path = protocol === "connect-stream" ? "/mageflow.v1.SignatureService/WatchSignatures" : GET;
    it(`${protocol}: a frame that decompresses past the limit is REQUEST_TOO_LARGE`, async () => {
      const body = envelope(bomb, 1);
      const a = await sendRaw(ports(), protocol, path, body, { headers: { ...admin(), "grpc-encoding": "gzip", "connect-content-encoding": "gzip" }, raw: true, streaming: protocol === "connect-stream" });
      assert.equal(a.code, "ResourceExhausted", JSON.stringify(a));
      assert.match(a.detail, /larger than 300000 bytes \(the server's MAX_REQUEST_BYTES\)/);
    });

    it(`${protocol}: more than one request message is INVALID_ARGUMENT, before any is decompressed`, async () => {
      const frames = Array.from({ length: 50 }, () => envelope(gzipSync(small), 1));
      const a = await sendRaw(ports(), protocol, path, Buffer.concat(frames), { headers: { ...admin(), "grpc-encoding": "gzip", "connect-content-encoding": "gzip" }, raw: true, streaming: protocol === "connect-stream" });
      assert.equal(a.code, "InvalidArgument", JSON.stringify(a));
      assert.match(a.detail, /more than one request message/);
    });
  }

  it("connect unary: a body that decompresses past the limit is REQUEST_TOO_LARGE", async () => {
    const a = await sendRaw(ports(), "connect-proto", GET, bomb, { headers: { ...admin(), "content-encoding": "gzip" } });
    assert.equal(a.code, "ResourceExhausted", JSON.stringify(a));
    assert.match(a.detail, /MAX_REQUEST_BYTES/);
  });

  it("the gRPC port answers an oversized request RESOURCE_EXHAUSTED REQUEST_TOO_LARGE (not a reset), as the HTTP port does", async () => {
    const before = await s.snapshot();
    for (const wire of ["grpc-port", "grpc-on-http-port"] as const) {
      const c = clientsFor(s.server, wire, admin().authorization);
      const out = await outcomeOf(c.signatures.createSignature(create(CreateSignatureRequestSchema, { taskName: "t", kwargs: { big: "x".repeat(10 * 1024 * 1024) } })));
      assert.deepEqual([out.code, out.reason, out.metadata], ["ResourceExhausted", "REQUEST_TOO_LARGE", { limit: String(LIMIT) }], `${wire}: ${JSON.stringify(out)}`);
    }
    assert.equal(await s.snapshot(), before);
  });

  it("the gRPC port answers a frame that decompresses past the limit RESOURCE_EXHAUSTED, and invalid gzip INVALID_ARGUMENT", async () => {
    const big = await sendRaw(ports(), "grpc-port", GET, envelope(bomb, 1), { headers: { ...admin(), "grpc-encoding": "gzip" }, raw: true });
    assert.equal(big.code, "ResourceExhausted", JSON.stringify(big));
    assert.match(big.detail, /MAX_REQUEST_BYTES/);
    for (const protocol of ["grpc-port", "grpc-on-http-port"] as RawProtocol[]) {
      const bad = await sendRaw(ports(), protocol, GET, envelope(Buffer.from("not gzip at all"), 1), { headers: { ...admin(), "grpc-encoding": "gzip" }, raw: true });
      assert.equal(bad.code, "InvalidArgument", `${protocol}: ${JSON.stringify(bad)}`);
      assert.match(bad.detail, /could not be decompressed/);
    }
  });
});
