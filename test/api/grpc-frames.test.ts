/**
 * Watch messages are framed once and written as they are to every gRPC stream. That relies on where
 * the pinned grpc-js keeps its per-call serializer: an upgrade that moves it must turn this red, not
 * silently bring back one copy of every message per stream. Frames after a stream's first are written to
 * its HTTP/2 stream directly, found the same way.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { frameOf, frameStreamOf, framesPassThrough } from "../../src/api/grpc-frames.js";
import { transportErrors } from "../../src/server/grpc-transport-errors.js";

test("the installed grpc-js passes frames made here through unchanged", () => {
  assert.equal(framesPassThrough, true);
});

test("a frame is the gRPC message prefix (uncompressed, big-endian length) and the message, made once per message", () => {
  const message = new Uint8Array([8, 150, 1, 18, 3, 97, 98, 99]);
  const frame = frameOf(message);
  assert.deepEqual([...frame.subarray(0, 5)], [0, 0, 0, 0, message.length]);
  assert.deepEqual([...frame.subarray(5)], [...message]);
  assert.equal(frameOf(message), frame, "the same buffer for every stream");
  assert.notEqual(frameOf(new Uint8Array(message)), frame, "another message gets its own frame");
});

test("after its first message, a server stream's frames go straight to its HTTP/2 stream and arrive whole, in order, before its status", async () => {
  const server = new grpc.Server({ interceptors: [transportErrors(1024)] });
  const path = "/test.Frames/Stream";
  const identity = (b: Buffer) => b;
  let direct = false;
  server.addService(
    { Stream: { path, requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    {
      Stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        const frames = frameStreamOf(call);
        direct = !!frames;
        call.write(frameOf(Buffer.from("first")));
        frames?.write(frameOf(Buffer.from("second")), () => {});
        frames?.write(frameOf(Buffer.from("third")), () => {});
        call.end();
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    const received: string[] = [];
    const stream = client.makeServerStreamRequest(path, identity, identity, Buffer.alloc(0));
    const status = await new Promise<grpc.StatusObject>((resolve, reject) => {
      stream.on("data", (b: Buffer) => received.push(b.toString()));
      stream.on("status", resolve);
      stream.on("error", reject);
    });
    assert.equal(direct, true, "the installed grpc-js keeps a call's HTTP/2 stream where frameStreamOf looks");
    assert.equal(status.code, grpc.status.OK);
    assert.deepEqual(received, ["first", "second", "third"]);
  } finally {
    client.close();
    server.forceShutdown();
  }
});
