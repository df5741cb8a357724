import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ServiceError } from "../../src/core/service-error.js";
import type { RunCommand, Store } from "../../src/store/store.js";
import { handlers } from "../support/handlers.js";
import { backends } from "./backends.js";

const refused = (code: Code, reason: string) => (e: unknown) => e instanceof ServiceError && e.code === code && e.reason === reason;

/** `store`, with `between` run once right after the first `validate` answer of Run (another writer winning the race). */
function racing(store: Store, between: (c: RunCommand) => Promise<unknown>): { store: Store; runs: () => number } {
  let runs = 0;
  let raced = false;
  const run = async (c: RunCommand) => {
    runs++;
    const res = await store.run(c);
    if (res.validate && !raced) {
      raced = true;
      await between(c);
    }
    return res;
  };
  const wrapped = new Proxy(store, {
    get: (t, p) => (p === "run" ? run : typeof Reflect.get(t, p) === "function" ? Reflect.get(t, p).bind(t) : Reflect.get(t, p)),
  });
  return { store: wrapped, runs: () => runs };
}

for (const backend of backends()) {
  describe(`UpdateSignature and RunSignature on the ${backend.name} store`, () => {
    let store: Store;
    let api: ReturnType<typeof handlers>;
    before(async () => {
      store = await backend.open();
      api = handlers(store);
    });
    after(() => backend.shutdown());

    it("Update merges kwargs and metadata top-level; the update mask replaces them", async () => {
      const { key } = await api.create({ taskName: "t", kwargs: { a: 1, n: { x: 1 } }, metadata: { team: "x" } });
      const merged = await api.update({ key, kwargs: { n: { y: 2 }, b: [] }, metadata: { env: "prod" } });
      assert.deepEqual(merged.kwargs, { a: 1, n: { y: 2 }, b: [] });
      assert.deepEqual(merged.metadata, { team: "x", env: "prod" });
      assert.deepEqual((await api.update({ key, kwargs: { c: 3 } })).metadata, { team: "x", env: "prod" }, "no metadata given: kept");
      const replaced = await api.update({ key, kwargs: { z: 0 }, metadata: {}, updateMask: { paths: ["kwargs", "metadata"] } });
      assert.deepEqual(replaced.kwargs, { z: 0 });
      assert.deepEqual(replaced.metadata, {});
      await assert.rejects(api.update({ key, kwargs: { q: 1 }, expectedRevision: merged.revision }), refused(Code.Aborted, "REVISION_MISMATCH"));
    });

    it("keeps every key of concurrent unpinned updates of kwargs (no lost update)", async () => {
      const { key } = await api.create({ taskName: "t", kwargs: { base: true } });
      await Promise.all(Array.from({ length: 20 }, (_, i) => api.update({ key, kwargs: { [`k${i}`]: i } })));
      const { kwargs } = await api.update({ key });
      assert.deepEqual(kwargs, { base: true, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) });
    });

    it("Run composes deepMerge(message, kwargs)", async () => {
      const { key } = await api.create({ taskName: "t", kwargs: { amount: 5, opts: { retry: true } } });
      const ran = await api.run({ key, message: { amount: 1, opts: { currency: "eur" }, empty: [] } });
      assert.deepEqual(ran.run!.lastInput, { amount: 5, opts: { currency: "eur", retry: true }, empty: [] });
    });

    it("Run on a signature with an input schema: INVALID_ARGUMENT and nothing written for a bad input; a good input runs", async () => {
      const inputSchema = { type: "object", required: ["order_id"], properties: { order_id: { type: "integer" } } };
      const { key, revision } = await api.create({ taskName: "typed", kwargs: { note: "k" }, inputSchema });
      await assert.rejects(api.run({ key, message: { order_id: "x" } }), refused(Code.InvalidArgument, "INVALID_ARGUMENT"));
      const untouched = (await store.get(key))!;
      assert.equal(untouched.run, undefined);
      assert.equal(BigInt(untouched.revision), revision);
      const ok = await api.run({ key, message: { order_id: 3 } });
      assert.deepEqual(ok.run!.lastInput, { order_id: 3, note: "k" });
    });

    it("Run with an input schema starts over when another writer wins the race, unless the caller pinned the revision", async () => {
      const { key } = await api.create({ taskName: "typed", kwargs: { a: 1 }, inputSchema: { type: "object" } });
      const late = racing(store, (c) => store.update({ key: c.key, kwargs: { late: true }, guard: {} }));
      const ran = await handlers(late.store).run({ key, message: { m: 1 } });
      assert.deepEqual(ran.run!.lastInput, { m: 1, a: 1, late: true });
      assert.equal(late.runs(), 4, "validate, lost race, validate, run");

      const pinned = await api.create({ taskName: "typed", inputSchema: { type: "object" } });
      const other = racing(store, (c) => store.update({ key: c.key, kwargs: { late: true }, guard: {} }));
      await assert.rejects(handlers(other.store).run({ key: pinned.key, expectedRevision: pinned.revision }), refused(Code.Aborted, "REVISION_MISMATCH"));
    });
  });
}
