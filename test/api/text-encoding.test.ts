import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { SignatureSchema } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { useNodeTextEncoding } from "../../src/api/text-encoding.js";

const encode = (taskName: string, kwargs: Record<string, string>) => toBinary(SignatureSchema, create(SignatureSchema, { key: "sig_1", taskName, kwargs }));

test("responses encode every string exactly as TextEncoder would (multi-byte, astral, lone surrogates)", () => {
  const samples = fc.sample(fc.tuple(fc.string({ unit: "binary" }), fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }))), { numRuns: 300, seed: 9 });
  samples.push(["ünïcødé 😀 \u{10FFFF}", { "\uD800": "\uDFFF lone", "": "" }]);
  const before = samples.map(([t, k]) => encode(t, k));
  useNodeTextEncoding();
  samples.forEach(([t, k], i) => {
    const after = encode(t, k);
    assert.deepEqual(Buffer.from(after), Buffer.from(before[i]));
    assert.equal(fromBinary(SignatureSchema, after).taskName, new TextDecoder().decode(new TextEncoder().encode(t)));
  });
});
