import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignatureService, WatchSignaturesRequestSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { RunningServer } from "../../src/server/server.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { startTestServer } from "../support/server.js";
import { envelope } from "../security/wire.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

const MiB = 1024 * 1024;
const BUDGET = 4 * MiB;
const STREAM_BUFFER = 256 * 1024;
const STALLED = 12;
/** Updates between two stalled watchers: each one stops at a different place in the stream. */
const STAGGER = 24;
const KWARGS_BYTES = 100 * 1024;

/** The process's memory after a full collection: what something still holds. */
function heldBytes() {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/**
 * Watchers that never read cost the server what WATCH_MEMORY_BUDGET and WATCH_STREAM_BUFFER_BYTES
 * allow, not what the writers wrote since they stopped, while a reading watcher gets every revision.
 */
describe("watchers that never read (Redis store)", { skip: redisSkipReason(), timeout: 120_000 }, () => {
  let redis: RedisServer;
  let server: RunningServer;
  before(async () => {
    redis = await startRedisServer();
    server = await startTestServer({
      redisUrl: redis.url,
      watchMemoryBudget: String(BUDGET),
      watchStreamBufferBytes: String(STREAM_BUFFER),
      historyMaxBytes: String(256 * MiB),
    });
  });
  after(async () => {
    await server?.close(1000);
    await redis?.stop();
  });

  for (const port of ["gRPC", "HTTP (Connect)"] as const) {
    it(`on the ${port} port: hold at most the per-stream bound each, and a reading watcher receives every revision in order`, async () => {
      const client = createClient(SignatureService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` }));
      const { signature } = await client.createSignature({ taskName: "slow-readers", kwargs: {} });
      const key = signature!.key;
      const first = Number(signature!.revision);

      const received: number[] = [];
      const reader = new AbortController();
      const reading = (async () => {
        for await (const r of client.watchSignatures({ startRevision: BigInt(first + 1) }, { signal: reader.signal })) {
          for (const e of r.events) received.push(Number(e.signature!.revision));
        }
      })().catch((e) => {
        if (!reader.signal.aborted) throw e;
      });

      const before = heldBytes();
      const sessions: http2.ClientHttp2Session[] = [];
      const blob = "x".repeat(KWARGS_BYTES);
      let last = first;
      for (let i = 0; i < STALLED * STAGGER; i++) {
        if (i % STAGGER === 0) sessions.push(port === "gRPC" ? stalledWatcher(server.grpcPort, "application/grpc") : stalledWatcher(server.httpPort, "application/connect+proto"));
        const r = await client.updateSignature({ key, kwargs: { blob, i }, updateMask: { paths: ["kwargs"] } });
        last = Number(r.signature!.revision);
      }
      for (let t = 0; t < 300 && received[received.length - 1] !== last; t++) await new Promise((r) => setTimeout(r, 100));
      const grown = heldBytes() - before;

      reader.abort();
      await reading;
      for (const s of sessions) s.destroy();

      assert.deepEqual(received, Array.from({ length: last - first }, (_, i) => first + 1 + i), "the reading watcher got every revision once, in order");
      // What the stalled streams may hold: the budget, and per stream its bound plus the one message that crossed it.
      const bound = BUDGET + STALLED * (STREAM_BUFFER + 2 * KWARGS_BYTES) + 16 * MiB;
      assert.ok(grown < bound, `held ${Math.round(grown / MiB)} MiB more with ${STALLED} stalled watchers (bound ${Math.round(bound / MiB)} MiB)`);
    });
  }
});

/**
 * A WatchSignatures stream on its own connection whose client never reads: HTTP/2 flow control stops the
 * server's writes. gRPC and the Connect protocol's streaming requests share the envelope (flags, length, message).
 */
function stalledWatcher(port: number, contentType: "application/grpc" | "application/connect+proto"): http2.ClientHttp2Session {
  const session = http2.connect(`http://127.0.0.1:${port}`);
  session.on("error", () => {});
  const frame = envelope(toBinary(WatchSignaturesRequestSchema, create(WatchSignaturesRequestSchema, {})));
  const stream = session.request({ ":method": "POST", ":path": "/mageflow.v1.SignatureService/WatchSignatures", "content-type": contentType, ...(contentType === "application/grpc" && { te: "trailers" }) });
  stream.on("error", () => {});
  stream.end(frame);
  stream.pause();
  return session;
}
