import assert from "node:assert/strict";
import { it } from "node:test";
import fc from "fast-check";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { SignatureEventSchema } from "../../gen/ts/mageflow/v1/event_pb.js";
import { WatchSignaturesResponseSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { encodeWatchResponse } from "../../src/api/event-cache.js";

it("the fan-out encoder writes exactly the bytes protobuf-es writes for a watch response", () => {
  const event = fc.record({ revision: fc.bigInt({ min: 0n, max: 2n ** 62n }), key: fc.string({ maxLength: 20_000 }), taskName: fc.string() });
  fc.assert(
    fc.property(fc.array(event, { maxLength: 5 }), fc.bigInt({ min: 0n, max: 2n ** 62n }), fc.boolean(), (events, revision, bookmark) => {
      const msg = { events: events.map((e) => create(SignatureEventSchema, e)), revision, bookmark };
      const mine = encodeWatchResponse(msg);
      const reference = toBinary(WatchSignaturesResponseSchema, create(WatchSignaturesResponseSchema, msg));
      assert.equal(Buffer.compare(mine, Buffer.from(reference)), 0);
      assert.equal(fromBinary(WatchSignaturesResponseSchema, mine).events.length, events.length);
    }),
    { numRuns: 200, seed: 11 },
  );
});
