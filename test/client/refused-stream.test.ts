/**
 * The TypeScript client sends a unary call again when the server refused its HTTP/2 stream
 * (RST_STREAM REFUSED_STREAM, which a stopping server uses for streams it never processed), for
 * every method and with retries off, over gRPC and over Connect on HTTP/2; other stream resets fail
 * the call as before.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createMageflowClient, MageflowError } from "../../clients/typescript/src/index.js";
import { SignatureSchema } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";

/** An HTTP/2 server (gRPC and Connect) that resets the first streams of a key as planned: `refused-N`, `reset-N` (INTERNAL_ERROR). */
function resettingServer() {
  const seen = new Map<string, number>();
  const processed = new Map<string, number>();
  const handler = connectNodeAdapter({
    routes: (router) =>
      router.service(SignatureService, {
        getSignature: (req) => {
          processed.set(req.key, (processed.get(req.key) ?? 0) + 1);
          return { signature: create(SignatureSchema, { key: req.key }) };
        },
        updateSignature: (req) => {
          processed.set(req.key, (processed.get(req.key) ?? 0) + 1);
          return { signature: create(SignatureSchema, { key: req.key }) };
        },
      }),
  });
  let plan = "";
  const server = http2.createServer((req, res) => {
    const n = (seen.get(plan) ?? 0) + 1;
    seen.set(plan, n);
    const m = /^(refused|reset)-(\d+)/.exec(plan);
    if (m && n <= Number(m[2])) {
      req.stream.close(m[1] === "refused" ? http2.constants.NGHTTP2_REFUSED_STREAM : http2.constants.NGHTTP2_INTERNAL_ERROR);
      return;
    }
    handler(req, res);
  });
  return { server, seen, processed, setPlan: (p: string) => (plan = p) };
}

for (const transport of ["grpc", "connect"] as const) {
  describe(`a refused stream (${transport} over HTTP/2)`, () => {
    let srv: ReturnType<typeof resettingServer>;
    let url = "";
    before(async () => {
      srv = resettingServer();
      await new Promise<void>((resolve) => srv.server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(srv.server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => srv.server.close(() => resolve())));
    const client = () => createMageflowClient(transport === "grpc" ? { grpcAddress: url } : { baseUrl: url, httpVersion: "2" });

    test("is sent again, for a read and for a mutation, with retries off", async () => {
      const c = client();
      for (const [key, call] of [
        [`refused-2-get-${transport}`, (k: string) => c.loadSignature(k)],
        [`refused-1-update-${transport}`, (k: string) => c.update(k, { kwargs: { n: 1 } })],
      ] as const) {
        srv.setPlan(key);
        const sig = await call(key);
        assert.equal(sig.key, key);
        assert.equal(srv.seen.get(key), Number(/refused-(\d+)/.exec(key)![1]) + 1, "the refused attempts and the one that got through");
        assert.equal(srv.processed.get(key), 1, "the server processed the call once");
      }
      c.close();
    });

    test("is given up after three attempts", async () => {
      const c = client();
      const key = `refused-5-${transport}`;
      srv.setPlan(key);
      await assert.rejects(c.loadSignature(key), (e: Error) => e instanceof MageflowError && /REFUSED_STREAM/.test(e.message));
      assert.equal(srv.seen.get(key), 3);
      c.close();
    });

    test("other stream resets are not retried", async () => {
      const c = client();
      const key = `reset-1-${transport}`;
      srv.setPlan(key);
      await assert.rejects(c.update(key, { kwargs: { n: 1 } }));
      assert.equal(srv.seen.get(key), 1);
      assert.equal(srv.processed.get(key), undefined);
      c.close();
    });
  });
}
