import assert from "node:assert/strict";
import { appendFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { create, toBinary, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { fixture, startSecureServer, type SecureServer } from "./harness.js";
import { closeRawSessions, envelope, RAW_PROTOCOLS, sendRaw, type RawAnswer, type RawProtocol } from "./wire.js";

/**
 * Hostile input to every RPC on both ports: malformed and extreme messages (huge, deep,
 * unicode, out-of-range numbers and enums, wrong JSON types) and random bytes as the body,
 * framed and unframed. The server must answer every one with a deliberate status (never
 * INTERNAL or UNKNOWN, never a dropped stream), stay up, and leave the store unchanged by
 * every request it rejects. Seeded and bounded (`FUZZ_RUNS` to run more).
 */
const SEED = 20250610;
const RUNS = Number(process.env.FUZZ_RUNS ?? 400);
const METHODS: DescMethod[] = [...SignatureService.methods, ...WorkerService.methods];
const pathOf = (m: DescMethod) => `/${m.parent.typeName}/${m.name}`;

/** Counterexamples print short: huge strings and byte arrays are abbreviated. */
function brief<T extends object>(value: T): T {
  const text = JSON.stringify(value, (_, v) =>
    typeof v === "bigint" ? `${v}n` : v && typeof v === "object" && (v as { kind?: string }).kind === "rpc" ? (v as DescMethod).name : v instanceof Uint8Array ? `<${v.length} bytes: ${Buffer.from(v.subarray(0, 24)).toString("hex")}…>` : typeof v === "string" && v.length > 80 ? `${v.slice(0, 40)}…(${v.length} chars)` : v,
  );
  return Object.assign(value, { [fc.toStringMethod]: () => (text.length > 1500 ? `${text.slice(0, 1500)}…` : text) });
}

/** Answers that mean the server failed rather than judged the request. */
const BROKEN = new Set(["Internal", "Unknown", "NoStatus", "TransportError", "DataLoss", "Timeout"]);

describe("hostile requests (fast-check)", { timeout: 900_000 }, () => {
  let s: SecureServer;
  let keys: string[] = [];
  let auth: { label: string; headers: Record<string, string> }[] = [];
  before(async () => {
    s = await startSecureServer({ dispatchWait: "20ms" });
    const alpha = await s.store("alpha");
    for (const kind of ["pending", "suspended", "locked", "queued", "active"] as const) keys.push((await fixture(alpha, kind)).key);
    keys.push((await fixture(await s.store("beta"))).key);
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    auth = [
      { label: "alpha admin", headers: bearer(s.tokens.token("alpha", "admin")) },
      { label: "alpha admin", headers: bearer(s.tokens.token("alpha", "admin")) },
      { label: "alpha admin", headers: bearer(s.tokens.token("alpha", "admin")) },
      { label: "alpha reader", headers: bearer(s.tokens.token("alpha", "reader")) },
      { label: "alpha worker", headers: bearer(s.tokens.token("alpha", "worker")) },
      { label: "no token", headers: {} },
    ];
  });
  after(async () => {
    closeRawSessions();
    await s.close();
  });

  /** Sends, then checks the answer and, for a rejection, that nothing was written. */
  const probe = async (what: string, protocol: RawProtocol, method: DescMethod, body: Uint8Array, o: Parameters<typeof sendRaw>[4]) => {
    const before = await s.snapshot();
    if (process.env.FUZZ_LOG) appendFileSync(process.env.FUZZ_LOG, `${new Date().toISOString()} ${what} → ${method.name} over ${protocol} (${body.length} bytes) ${Buffer.from(body.subarray(0, 300)).toString("hex")}\n`);
    const answer: RawAnswer = await sendRaw({ grpcPort: s.server.grpcPort, httpPort: s.server.httpPort }, protocol, pathOf(method), body, o);
    const ctx = `${what} → ${method.name} over ${protocol}: ${answer.code} ${answer.detail}`;
    assert.ok(!BROKEN.has(answer.code) && !/^HTTP 5/.test(answer.code), ctx);
    // Without a token nothing is looked at: the answer is UNAUTHENTICATED, or a refusal of the
    // transport itself (an unknown compression; a message over the size limit on the gRPC port).
    if (!o?.headers?.authorization) assert.ok(["Unauthenticated", "Unimplemented"].includes(answer.code) || (answer.code === "ResourceExhausted" && protocol === "grpc-port"), `without a token: ${ctx}`);
    if (answer.code !== "OK" && answer.code !== "Open") assert.equal(await s.snapshot(), before, `rejected but written: ${ctx}`);
    return answer;
  };

  // ---- hostile values, field by field, from the request descriptors ----

  const hostileString = (huge = true) =>
    fc.oneof(
      { weight: 4, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
      { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
      {
        weight: 4,
        arbitrary: fc.constantFrom(
          "",
          " ",
          "\u0000",
          "\ud800",
          "\u202e\u0007",
          "TaskSignature:",
          "TaskSignature:00000000-0000-4000-8000-000000000000",
          "TaskSignature:../../{mageflow}:rev",
          "{mageflow}:rev",
          "*",
          "__proto__",
          "constructor",
          "%00%ff",
          "🙂".repeat(300),
          "a".repeat(257),
          "kwargs",
          "metadata",
          "input_schema",
          "return_field_name",
          "task_id",
          "mageflow_namespace",
          ...keys,
        ),
      },
      { weight: huge ? 1 : 0, arbitrary: fc.constantFrom(300_000, 5_000_000).map((n) => "x".repeat(n)) },
    );

  const jsonValue = (): fc.Arbitrary<unknown> =>
    fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        fc.constant(null),
        fc.boolean(),
        fc.double(),
        fc.integer(),
        hostileString(),
        fc.array(tie("v"), { maxLength: 4 }),
        fc.dictionary(hostileString(), tie("v"), { maxKeys: 4 }),
      ),
    })).v;

  const nested = (depth: number): Record<string, unknown> => {
    let v: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < depth; i++) v = { a: v };
    return v;
  };
  const jsonObject = () =>
    fc.oneof(
      fc.dictionary(hostileString(), jsonValue(), { maxKeys: 6 }),
      fc.integer({ min: 30, max: 400 }).map(nested),
      fc.constant({ type: "object", properties: { a: { type: "string", pattern: "^(a+)+$" } } }),
      fc.constant({ $ref: "http://169.254.169.254/latest/meta-data" }),
      fc.constant({ type: 42, required: "x", minLength: -1 }),
    );

  const int32 = () => fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(0, 1, -1, 2 ** 31 - 1, -(2 ** 31)));
  const int64 = () => fc.oneof(fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n), fc.constantFrom(0n, 1n, -1n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)));
  const seconds = () => fc.record({ seconds: int64(), nanos: int32() });

  const scalar = (f: DescField & { fieldKind: "scalar" }): fc.Arbitrary<unknown> => {
    switch (f.scalar) {
      case 9: // string
        return hostileString();
      case 8: // bool
        return fc.boolean();
      case 3: // int64
        return int64();
      default:
        return int32();
    }
  };

  const messageField = (desc: DescMessage, depth: number): fc.Arbitrary<unknown> => {
    switch (desc.typeName) {
      case "google.protobuf.Struct":
        return jsonObject();
      case "google.protobuf.Value":
        return fc.oneof(
          jsonValue().map((v) => create(ValueSchema, toValue(v))),
          fc.double().map((d) => create(ValueSchema, { kind: { case: "numberValue", value: d } })),
        );
      case "google.protobuf.Timestamp":
      case "google.protobuf.Duration":
        return seconds();
      case "google.protobuf.FieldMask":
        return fc.record({ paths: fc.array(fc.oneof(fc.constantFrom("kwargs", "metadata", "input_schema", "return_field_name"), hostileString()), { maxLength: 4 }) });
      default:
        return message(desc, depth + 1);
    }
  };

  const field = (f: DescField, depth: number): fc.Arbitrary<unknown> => {
    switch (f.fieldKind) {
      case "scalar":
        return scalar(f);
      case "enum":
        return fc.oneof(fc.constantFrom(...f.enum.values.map((v) => v.number)), int32());
      case "message":
        return messageField(f.message, depth);
      case "list": {
        const item =
          f.listKind === "scalar" ? scalar({ ...f, fieldKind: "scalar" } as never) : f.listKind === "enum" ? fc.oneof(fc.constantFrom(...f.enum.values.map((v) => v.number)), int32()) : messageField(f.message, depth);
        // Long lists (around the 1000-item limits) of short items: their size is the point, not the items'.
        const short = f.listKind === "scalar" && f.scalar === 9 ? hostileString(false) : item;
        return fc.oneof({ weight: 5, arbitrary: fc.array(item, { maxLength: 5 }) }, { weight: 1, arbitrary: fc.integer({ min: 990, max: 1100 }).chain((n) => fc.array(short, { minLength: n, maxLength: n })) });
      }
      case "map":
        return fc.oneof(
          { weight: 5, arbitrary: fc.dictionary(hostileString(), hostileString(), { maxKeys: 5 }) },
          { weight: 1, arbitrary: fc.integer({ min: 60, max: 80 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]))) },
        );
    }
  };

  function message(desc: DescMessage, depth = 0): fc.Arbitrary<Record<string, unknown>> {
    if (depth > 2) return fc.constant({});
    const fields = desc.fields.map((f) => fc.option(field(f, depth), { nil: undefined, freq: 3 }).map((v) => [f.localName, v] as const));
    return fc.tuple(...fields).map((entries) => Object.fromEntries(entries.filter(([, v]) => v !== undefined)));
  }

  const encode = (desc: DescMessage, init: Record<string, unknown>): Uint8Array | undefined => {
    try {
      return toBinary(desc, create(desc, init as never));
    } catch {
      return undefined; // not representable in protobuf at all (the client library refuses): nothing to send
    }
  };

  it("malformed and extreme messages to every RPC, on every protocol", async (t) => {
    const structured = fc
      .constantFrom(...METHODS)
      .chain((m) =>
        fc
          .tuple(message(m.input), fc.constantFrom<RawProtocol>("grpc-port", "grpc-on-http-port", "grpc-web", "connect-proto"), fc.nat(auth.length - 1))
          .map(([init, protocol, who]) => brief({ method: m, init, protocol, who })),
      );
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(structured, async ({ method, init, protocol, who }) => {
        const body = encode(method.input, init);
        if (!body) return;
        const a = await probe(`message (${auth[who].label})`, protocol, method, body, { headers: auth[who].headers, streaming: method.methodKind === "server_streaming" });
        seen.set(a.code, (seen.get(a.code) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(seen))}`);
    // The run exercised the handlers, not only the gates.
    assert.ok((seen.get("InvalidArgument") ?? 0) > 5, JSON.stringify([...seen]));
  });

  it("random bytes, lying envelopes and wrong JSON as the body of every RPC", async (t) => {
    const seen = new Map<string, number>();
    const body = fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ what: "random bytes", bytes: b, raw: false })) },
      { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => ({ what: "random unframed bytes", bytes: b, raw: true })) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 255 }), fc.oneof(fc.nat(80), fc.constant(0xffffffff)))
          .map(([b, flags, len]) => ({ what: `envelope flags ${flags} length ${len}`, bytes: envelope(b, flags, len), raw: true })),
      },
      { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((n) => ({ what: `Struct nested ${n} deep`, bytes: deepStructRequest(n), raw: false })) },
    );
    const jsonBody = fc.oneof(
      fc.string({ unit: "binary", maxLength: 80 }),
      fc.dictionary(fc.constantFrom("key", "keys", "taskName", "kwargs", "metadata", "ttl", "filter", "result", "error", "pageSize", "expectedRevision", "unknownField"), jsonValue(), { maxKeys: 4 }).map((o) => JSON.stringify(o)),
      fc.integer({ min: 1000, max: 100_000 }).map((n) => `{"taskName":"t","kwargs":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`),
    );
    const cases = fc.oneof(
      fc.tuple(fc.constantFrom(...METHODS), body, fc.constantFrom<RawProtocol>(...RAW_PROTOCOLS.filter((p) => p !== "connect-json")), fc.nat(auth.length - 1)),
      fc.tuple(
        fc.constantFrom(...METHODS.filter((m) => m.methodKind === "unary")),
        jsonBody.map((text) => ({ what: "JSON", bytes: new Uint8Array(Buffer.from(text)), raw: false })),
        fc.constant<RawProtocol>("connect-json"),
        fc.nat(auth.length - 1),
      ),
    ).map(([method, b, protocol, who]) => brief({ method, b, protocol, who }));
    await fc.assert(
      fc.asyncProperty(cases, async ({ method, b, protocol, who }) => {
        if (protocol === "connect-stream" && method.methodKind !== "server_streaming") protocol = "connect-proto";
        const a = await probe(`${b.what} (${auth[who].label})`, protocol, method, b.bytes, { headers: auth[who].headers, raw: b.raw, streaming: method.methodKind === "server_streaming" });
        seen.set(a.code, (seen.get(a.code) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
    );
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(seen))}`);
  });

  it("compressed, many-framed and extreme-valued bodies", async (t) => {
    const seen = new Map<string, number>();
    const frames = fc.oneof(
      fc.constant({ what: "a gzip frame that expands past the limit", bytes: envelope(gzipSync(Buffer.alloc(6 * 1024 * 1024)), 1) }),
      fc.integer({ min: 2, max: 3000 }).map((n) => ({ what: `${n} gzip frames`, bytes: Buffer.concat(Array.from({ length: n }, () => envelope(gzipSync(Buffer.alloc(1024)), 1))) })),
      fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => ({ what: "a frame that is not gzip", bytes: envelope(b, 1) })),
    );
    const cases = fc.tuple(fc.constantFrom(...METHODS), frames, fc.constantFrom<RawProtocol>("grpc-port", "grpc-on-http-port", "grpc-web", "connect-stream"), fc.nat(auth.length - 1));
    await fc.assert(
      fc.asyncProperty(cases, async ([method, b, protocol, who]) => {
        if (protocol === "connect-stream" && method.methodKind !== "server_streaming") protocol = "grpc-web";
        const headers = { ...auth[who].headers, "grpc-encoding": "gzip", "connect-content-encoding": "gzip" };
        const a = await probe(`${b.what} (${auth[who].label})`, protocol, method, b.bytes, { headers, raw: true, streaming: method.methodKind === "server_streaming" });
        seen.set(a.code, (seen.get(a.code) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: Math.ceil(RUNS / 4), endOnFailure: true, includeErrorInReport: true },
    );
    // Values at the edges: the largest timestamp JSON carries, NaN and ±Infinity, a million statuses.
    const list = METHODS.find((m) => m.name === "ListSignatures")!;
    const createSig = METHODS.find((m) => m.name === "CreateSignature")!;
    const complete = METHODS.find((m) => m.name === "CompleteTask")!;
    const edges: [DescMethod, Record<string, unknown>][] = [
      [list, { statuses: new Array(1_000_000).fill(99) }],
      [createSig, { taskName: "t", creationTime: { seconds: 253_402_300_799n, nanos: 999_999_999 } }],
      [createSig, { taskName: "t", kwargs: { a: Number.NaN } }],
      [complete, { key: keys[4], runId: "r", result: create(ValueSchema, { kind: { case: "numberValue", value: Number.POSITIVE_INFINITY } }) }],
    ];
    for (const [method, init] of edges) {
      for (const protocol of ["grpc-port", "connect-proto"] as RawProtocol[]) {
        const a = await probe(`edge value (alpha admin)`, protocol, method, encode(method.input, init)!, { headers: auth[0].headers });
        seen.set(a.code, (seen.get(a.code) ?? 0) + 1);
      }
    }
    const json = await sendRaw({ grpcPort: s.server.grpcPort, httpPort: s.server.httpPort }, "connect-json", pathOf(list), Buffer.from("{}"), { headers: auth[0].headers });
    assert.equal(json.code, "OK", `an unfiltered JSON list after the edge values: ${json.detail}`);
    t.diagnostic(`answers: ${JSON.stringify(Object.fromEntries(seen))}`);
  });

  it("is still serving afterwards", async () => {
    const get = METHODS.find((m) => m.name === "GetSignature")!;
    const { key } = await fixture(await s.store("alpha"));
    const body = toBinary(get.input, create(get.input, { key } as never));
    for (const protocol of ["grpc-port", "grpc-on-http-port", "grpc-web", "connect-proto"] as RawProtocol[]) {
      const a = await sendRaw({ grpcPort: s.server.grpcPort, httpPort: s.server.httpPort }, protocol, pathOf(get), body, { headers: auth[0].headers });
      assert.equal(a.code, "OK", `${protocol}: ${a.detail}`);
    }
  });
});

function toValue(v: unknown): never {
  if (v === null) return { kind: { case: "nullValue", value: 0 } } as never;
  if (typeof v === "boolean") return { kind: { case: "boolValue", value: v } } as never;
  if (typeof v === "number") return { kind: { case: "numberValue", value: v } } as never;
  if (typeof v === "string") return { kind: { case: "stringValue", value: v } } as never;
  if (Array.isArray(v)) return { kind: { case: "listValue", value: { values: v.map(toValue) } } } as never;
  return { kind: { case: "structValue", value: { fields: Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, toValue(x)])) } } } as never;
}

/** CreateSignatureRequest{task_name:"t", kwargs: Struct nested `levels` deep}, encoded by hand in one pass (no recursion). */
function deepStructRequest(levels: number): Uint8Array {
  const vlen = (n: number) => (n < 128 ? 1 : n < 16384 ? 2 : n < 2097152 ? 3 : 4);
  // Sizes bottom-up: Value{null_value} innermost, then per level Struct{fields{"a": Value{struct_value: ...}}}.
  const value: number[] = [2];
  const entry: number[] = [0];
  const struct: number[] = [0];
  for (let i = 1; i <= levels; i++) {
    entry[i] = 3 + 1 + vlen(value[i - 1]) + value[i - 1];
    struct[i] = 1 + vlen(entry[i]) + entry[i];
    value[i] = 1 + vlen(struct[i]) + struct[i];
  }
  const out: number[] = [0x0a, 0x01, 0x74]; // task_name "t"
  const varint = (n: number) => {
    while (n > 127) {
      out.push((n & 127) | 128);
      n >>>= 7;
    }
    out.push(n);
  };
  out.push(0x12); // kwargs: the outermost Struct
  varint(struct[levels]);
  for (let i = levels; i >= 1; i--) {
    out.push(0x0a); // Struct.fields entry
    varint(entry[i]);
    out.push(0x0a, 0x01, 0x61, 0x12); // key "a", value:
    varint(value[i - 1]);
    if (i > 1) {
      out.push(0x2a); // Value.struct_value
      varint(struct[i - 1]);
    }
  }
  out.push(0x08, 0x00); // Value{null_value}
  return Uint8Array.from(out);
}
