import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { frameOf, framesPassThrough } from "../../src/api/grpc-frames.js";

describe("watch frames made once for every stream", () => {
  it("grpc-js (the pinned version) passes them through: an upgrade that moves its call class fails here, not silently", () => {
    assert.equal(framesPassThrough, true);
  });

  it("a frame is the gRPC prefix (not compressed, big-endian length) then the message, the same buffer for the same message", () => {
    const message = Buffer.from("hello watchers");
    const f = frameOf(message);
    assert.equal(f[0], 0);
    assert.equal(f.readUInt32BE(1), message.length);
    assert.deepEqual(f.subarray(5), message);
    assert.equal(frameOf(message), f);
    assert.notEqual(frameOf(Buffer.from("hello watchers")), f, "another message object gets a frame of its own");
  });
});
