import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Redis } from "ioredis";
import { deepMerge, type JsonObject } from "../../src/core/json.js";
import { F, type SignatureRecord } from "../../src/store/record.js";
import { Keys } from "../../src/store/redis/keys.js";
import type { Store } from "../../src/store/store.js";
import { createCmd } from "../support/commands.js";
import { backends } from "./backends.js";

// The Redis scripts merge JSON as raw text (src/store/redis/commands/includes/json.lua); both stores
// must store exactly what JS would: `{...a, ...b}` for Update, deepMerge(message, kwargs) for Run.
// "__proto__" is left out: the API's protobuf decoding drops such a key before it reaches a store.
const tricky = ["a", "b", "c", "0", "1", "10", "4294967294", "4294967295", "01", "-1", "", 'q"uote', "back\\slash", "}", "]", "{[", ":,", "é", "😀", "\u0000", "\n", "\u2028", "\ud800"];
const key = fc
  .oneof({ arbitrary: fc.constantFrom("a", "b", "c"), weight: 4 }, fc.constantFrom(...tricky), fc.string({ unit: "binary", maxLength: 5 }))
  .filter((k) => k !== "__proto__");
const text = fc.oneof(fc.constantFrom(...tricky, '"}', '\\"', "]}", "\\u0041"), fc.string({ unit: "binary", maxLength: 8 }));
const number = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(12345678901234567890, 0.1, 1e300, -1e-300, 2 ** 53 + 2, 5e-324));
const { object } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: "small" }, fc.constant(null), fc.boolean(), number, text, fc.constant([]), fc.constant({}), tie("array"), { arbitrary: tie("object"), weight: 3 }),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 5 }),
}));
const json = object as fc.Arbitrary<JsonObject>;
const metadata = fc.dictionary(key, text, { maxKeys: 4 });

const stores = backends();

describe(`Update and Run merge JSON like JS (${stores.map((b) => b.name).join(", ")})`, () => {
  const opened: { store: Store; raw?: (key: string, field: string) => Promise<string | null> }[] = [];
  const clients: Redis[] = [];
  before(async () => {
    for (const b of stores) {
      const prefix = `m${randomUUID().slice(0, 8)}`;
      const store = await b.open({ prefix });
      if (!b.redisUrl) {
        opened.push({ store });
        continue;
      }
      const redis = new Redis(await b.redisUrl());
      const keys = new Keys(prefix);
      clients.push(redis);
      opened.push({ store, raw: (k, f) => redis.hget(keys.sig(k), f) });
    }
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(stores.map((b) => b.shutdown()));
  });

  type Expect = [field: string, value: JsonObject, pick: (r: SignatureRecord) => unknown];
  const kwargsOf: Expect[2] = (r) => r.kwargs;
  const inputOf: Expect[2] = (r) => r.run?.lastInput;

  /** Runs `step` on every store; checks the values (with their key order) and, on Redis, the stored text. */
  const expectEverywhere = async (step: (s: Store) => Promise<SignatureRecord>, ...expected: Expect[]) => {
    for (const { store, raw } of opened) {
      const record = await step(store);
      for (const [field, value, pick] of expected) {
        assert.equal(JSON.stringify(pick(record)), JSON.stringify(value), `${store.kind} ${field}`);
        if (raw) assert.equal(await raw(record.key, field), JSON.stringify(value), `stored ${field}`);
      }
    }
  };
  const update = (kwargs: JsonObject, given: JsonObject, metadata: Record<string, string> = {}, givenMetadata?: Record<string, string>) => async (s: Store) => {
    const { record } = await s.create(createCmd({ kwargs, metadata }));
    return (await s.update({ key: record.key, kwargs: given, metadata: givenMetadata, guard: {} })).record;
  };
  const run = (kwargs: JsonObject, message: JsonObject) => async (s: Store) => {
    const { record } = await s.create(createCmd({ kwargs }));
    return (await s.run({ key: record.key, message, metadata: {}, requestId: "", guard: {} })).record;
  };

  it("Update merges kwargs and metadata top-level, shallow: {...stored, ...given}", async () => {
    await fc.assert(
      fc.asyncProperty(json, json, metadata, metadata, async (a, b, ma, mb) => {
        await expectEverywhere(update(a, b, ma, mb), [F.kwargs, { ...a, ...b }, kwargsOf], [F.metadata, { ...ma, ...mb }, (r) => r.metadata]);
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it("Run composes deepMerge(message, kwargs)", async () => {
    await fc.assert(
      fc.asyncProperty(json, json, async (message, kwargs) => {
        await expectEverywhere(run(kwargs, message), [F.lastInput, deepMerge(message, kwargs), inputOf]);
      }),
      { numRuns: 150, seed: 12 },
    );
  });

  it("merges the values cjson would corrupt, and overlapping objects at every depth", async () => {
    const stored = { e: [], o: {}, big: 12345678901234567890, f: 0.1, huge: 1e300, s: 'x"}]\\', n: { keep: [[]], deeper: { a: 1 } }, "2": 2, b: 1 };
    const given = { n: { deeper: { b: [] }, add: {} }, "1": "one", e: {}, z: null };
    await expectEverywhere(update(stored, given), [F.kwargs, { ...stored, ...given }, kwargsOf]);
    await expectEverywhere(run(stored, given), [F.lastInput, deepMerge(given, stored), inputOf]);
  });
});
