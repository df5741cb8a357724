import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { GetSignatureResponseSchema, ListSignaturesResponseSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { toSignature } from "../../src/api/convert.js";
import { SignatureCache, signatureResponseEncoder } from "../../src/api/signature-cache.js";
import type { SignatureRecord } from "../../src/store/record.js";

const record = (o: Partial<SignatureRecord> = {}): SignatureRecord => ({
  key: "sig_1",
  taskName: "process-order",
  kwargs: { order: 7, tags: [], nested: { a: "ü" } },
  creationTime: 1_700_000_000_000,
  updateTime: 1_700_000_000_500,
  successCallbacks: ["sig_2"],
  errorCallbacks: [],
  status: Status.PENDING,
  lastStatus: Status.UNSPECIFIED,
  returnFieldName: "mageflow_results",
  containerKey: "",
  revision: 5,
  expireTime: 0,
  metadata: { team: "a" },
  removed: false,
  ...o,
});

describe("signature cache", () => {
  test("the same key at the same revision gives the same message; a new revision or a lease change gives a new one", () => {
    const cache = new SignatureCache();
    const a = cache.of(record());
    assert.equal(cache.of(record()), a);
    const b = cache.of(record({ revision: 6, status: Status.ACTIVE }));
    assert.notEqual(b, a);
    assert.equal(b.taskStatus?.status, Status.ACTIVE);
    const leased = cache.of(record({ revision: 6, status: Status.ACTIVE, lock: { lockId: "secret", owner: "w1", expireTime: Date.now() + 1000 } }));
    assert.notEqual(leased, b, "a live lease shows");
    assert.equal(leased.lock?.owner, "w1");
    assert.equal(leased.lock?.lockId, "", "the lease id is only for its holder");
    assert.notEqual(cache.of(record({ revision: 6, status: Status.ACTIVE })), leased, "an expired lease no longer shows");
  });

  test("it holds at most its size, dropping the oldest", () => {
    const cache = new SignatureCache(2);
    const first = cache.of(record({ key: "k1" }));
    cache.of(record({ key: "k2" }));
    cache.of(record({ key: "k3" }));
    assert.notEqual(cache.of(record({ key: "k1" })), first);
  });

  test("responses encoded from cached signature bytes are byte-identical to protobuf-es's encoding", () => {
    const list = signatureResponseEncoder(ListSignaturesResponseSchema);
    const get = signatureResponseEncoder(GetSignatureResponseSchema);
    const cache = new SignatureCache();
    fc.assert(
      fc.property(fc.array(fc.record({ rev: fc.integer({ min: 1, max: 5 }), key: fc.constantFrom("k1", "k2", "k3"), kw: fc.jsonValue() }), { maxLength: 8 }), fc.string(), (rows, token) => {
        const signatures = rows.map((r) => cache.of(record({ key: r.key, revision: r.rev, kwargs: { v: r.kw as never } })));
        const msg = { signatures, nextPageToken: token };
        const expected = toBinary(ListSignaturesResponseSchema, create(ListSignaturesResponseSchema, msg));
        assert.deepEqual(Buffer.from(list(msg)), Buffer.from(expected));
        const one = { signature: signatures[0] };
        assert.deepEqual(Buffer.from(get(one)), Buffer.from(toBinary(GetSignatureResponseSchema, create(GetSignatureResponseSchema, one))));
        assert.equal(fromBinary(ListSignaturesResponseSchema, list(msg)).signatures.length, rows.length);
      }),
      { numRuns: 200, seed: 3 },
    );
    assert.deepEqual(Buffer.from(get({ signature: toSignature(record()) })), Buffer.from(toBinary(GetSignatureResponseSchema, create(GetSignatureResponseSchema, { signature: toSignature(record()) }))));
  });
});
