/**
 * Watch messages are framed once and written as they are to every gRPC stream. That relies on where
 * the pinned grpc-js keeps its per-call serializer: an upgrade that moves it must turn this red, not
 * silently bring back one copy of every message per stream.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { frameOf, framesPassThrough } from "../../src/api/grpc-frames.js";

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
