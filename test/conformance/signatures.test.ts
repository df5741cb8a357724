import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import { newSignatureKey } from "../../src/core/keys.js";
import { Status } from "../../src/core/status.js";
import type { Store } from "../../src/store/store.js";
import { createCmd } from "../support/commands.js";
import { backends } from "./backends.js";

const reason = (r: string) => (e: unknown) => (e as { reason?: string }).reason === r;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const backend of backends()) {
  describe(`signatures on the ${backend.name} store`, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
    });
    after(() => backend.shutdown());

    it("creates a signature that Get returns with its fields, revision and expiry", async () => {
      const before = await store.currentRevision();
      const { record } = await store.create(createCmd({ kwargs: { a: { b: [1, 2, {}] }, empty: [] }, metadata: { team: "x" } }));
      const got = await store.get(record.key);
      assert.ok(got);
      assert.deepEqual(got.kwargs, { a: { b: [1, 2, {}] }, empty: [] });
      assert.equal(got.status, Status.PENDING);
      assert.equal(got.lastStatus, Status.UNSPECIFIED);
      assert.equal(got.revision, before + 1);
      assert.deepEqual(got.metadata, { team: "x" });
      assert.ok(got.expireTime > Date.now() + 23 * 3600_000);
      assert.equal(got.run, undefined);
      assert.equal(await store.get(newSignatureKey()), undefined);
    });

    it("refuses callbacks that do not exist, listing them, and writes nothing", async () => {
      const cb = (await store.create(createCmd())).record.key;
      const ghost = newSignatureKey();
      const rev = await store.currentRevision();
      await assert.rejects(store.create(createCmd({ successCallbacks: [cb], errorCallbacks: [ghost] })), (e: { reason: string; metadata: Record<string, string> }) => {
        assert.equal(e.reason, "CALLBACKS_NOT_FOUND");
        assert.equal(e.metadata.missing, ghost);
        return true;
      });
      assert.equal(await store.currentRevision(), rev);
    });

    it("returns the first signature to 20 concurrent creates with one request id", async () => {
      const requestId = `req-${Math.random()}`;
      const results = await Promise.all(Array.from({ length: 20 }, () => store.create(createCmd({ requestId }))));
      const keys = new Set(results.map((r) => r.record.key));
      assert.equal(keys.size, 1);
      assert.equal(results.filter((r) => r.changed).length, 1);
    });

    it("lists newest first, filters, and pages with a stable cursor", async () => {
      const task = `list-${Math.random()}`;
      const t0 = Date.now() - 100_000;
      const made = [];
      for (let i = 0; i < 7; i++) {
        made.push((await store.create(createCmd({ taskName: task, creationTime: t0 + i * 10, status: i % 2 ? Status.SUSPENDED : Status.PENDING }))).record.key);
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.list({ statuses: [], taskName: task, pageSize: 3, cursor });
        assert.ok(page.records.length <= 3);
        seen.push(...page.records.map((r) => r.key));
        cursor = page.cursor;
      } while (cursor);
      assert.deepEqual(seen, [...made].reverse());
      const suspended = await store.list({ statuses: [Status.SUSPENDED], taskName: task, pageSize: 100 });
      assert.deepEqual(suspended.records.map((r) => r.key), [made[5], made[3], made[1]]);
      const window = await store.list({ statuses: [], taskName: task, pageSize: 100, createdAfter: t0 + 20, createdBefore: t0 + 50 });
      assert.deepEqual(window.records.map((r) => r.key), [made[4], made[3], made[2]]);
    });

    it("pages through any mix of creation times (ties included) newest first, each signature once", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 25 }), fc.integer({ min: 1, max: 7 }), async (offsets, pageSize) => {
          const task = `page-${Math.random()}`;
          const t0 = Date.now() - 1_000_000;
          const made: Array<[number, string]> = [];
          for (const o of offsets) {
            const c = createCmd({ taskName: task, creationTime: t0 + o });
            await store.create(c);
            made.push([c.creationTime, c.key]);
          }
          const expected = made.sort((a, b) => b[0] - a[0] || (a[1] < b[1] ? 1 : -1)).map(([, k]) => k);
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await store.list({ statuses: [], taskName: task, pageSize, cursor });
            seen.push(...page.records.map((r) => r.key));
            cursor = page.cursor;
          } while (cursor);
          assert.deepEqual(seen, expected);
        }),
        { numRuns: 15, seed: 7 },
      );
    });

    it("updates fields under an expected revision and refuses a stale one", async () => {
      const { record } = await store.create(createCmd());
      const up = await store.update({ key: record.key, kwargs: { x: 1 }, guard: { expectedRevision: record.revision } });
      assert.deepEqual(up.record.kwargs, { x: 1 });
      assert.ok(up.record.revision > record.revision);
      await assert.rejects(store.update({ key: record.key, kwargs: { y: 2 }, guard: { expectedRevision: record.revision } }), reason("REVISION_MISMATCH"));
      assert.deepEqual((await store.get(record.key))!.kwargs, { x: 1 });
    });

    it("Update merges kwargs and metadata top-level unless told to replace them", async () => {
      const { record } = await store.create(createCmd({ kwargs: { a: 1, n: { x: 1 } }, metadata: { team: "x", env: "dev" } }));
      const merged = await store.update({ key: record.key, kwargs: { n: { y: 2 }, b: [] }, metadata: { env: "prod" }, guard: {} });
      assert.deepEqual(merged.record.kwargs, { a: 1, n: { y: 2 }, b: [] });
      assert.deepEqual(Object.keys(merged.record.kwargs), ["a", "n", "b"]);
      assert.deepEqual(merged.record.metadata, { team: "x", env: "prod" });
      const replaced = await store.update({ key: record.key, kwargs: { z: 0 }, metadata: {}, replace: ["kwargs", "metadata"], guard: {} });
      assert.deepEqual(replaced.record.kwargs, { z: 0 });
      assert.deepEqual(replaced.record.metadata, {});
    });

    it("keeps every key of concurrent unpinned updates of kwargs (no lost update)", async () => {
      const { record } = await store.create(createCmd({ kwargs: { base: true } }));
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.update({ key: record.key, kwargs: { [`k${i}`]: i }, guard: {} })));
      const { kwargs } = (await store.get(record.key))!;
      assert.deepEqual(kwargs, { base: true, ...Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])) });
    });

    it("Run composes deepMerge(message, kwargs), or runs a given input as is", async () => {
      const { record } = await store.create(createCmd({ kwargs: { amount: 5, opts: { retry: true } } }));
      const ran = await store.run({ key: record.key, message: { amount: 1, opts: { currency: "eur" }, extra: [] }, metadata: {}, requestId: "", guard: {} });
      assert.equal(ran.validate, undefined);
      assert.deepEqual(ran.record.run!.lastInput, { amount: 5, opts: { currency: "eur", retry: true }, extra: [] });
      const other = (await store.create(createCmd({ kwargs: { amount: 5 } }))).record;
      const given = await store.run({ key: other.key, input: { exactly: "this" }, message: { ignored: 1 }, metadata: {}, requestId: "", guard: {} });
      assert.deepEqual(given.record.run!.lastInput, { exactly: "this" });
    });

    it("Run of a message on a signature with an input schema writes nothing and answers validate", async () => {
      const { record } = await store.create(createCmd({ kwargs: { a: 1 }, inputSchema: { type: "object" }, requestId: "" }));
      const rev = await store.currentRevision();
      const res = await store.run({ key: record.key, message: { b: 2 }, metadata: {}, requestId: "r1", guard: {} });
      assert.equal(res.validate, true);
      assert.equal(res.changed, false);
      assert.equal(res.record.revision, record.revision);
      assert.deepEqual(res.record.inputSchema, { type: "object" });
      assert.equal(await store.currentRevision(), rev);
      assert.equal((await store.get(record.key))!.run, undefined);
      const input = { b: 2, a: 1 };
      const ran = await store.run({ key: record.key, input, metadata: {}, requestId: "r1", guard: { expectedRevision: res.record.revision } });
      assert.equal(ran.changed, true);
      assert.deepEqual(ran.record.run!.lastInput, input);
      const again = await store.run({ key: record.key, message: { b: 2 }, metadata: {}, requestId: "r1", guard: {} });
      assert.equal(again.validate, undefined, "a repeated request id is answered without validation");
      assert.equal(again.changed, false);
      await assert.rejects(store.run({ key: record.key, message: {}, metadata: {}, requestId: "r2", guard: {} }), reason("ALREADY_DISPATCHED"));
    });

    it("deletes at once and emits DELETED", async () => {
      const { record } = await store.create(createCmd());
      const rev = await store.delete(record.key, {});
      assert.equal(await store.get(record.key), undefined);
      const events = await store.events.range(rev, 10);
      assert.equal(events[0].type, EventType.DELETED);
      assert.equal(events[0].key, record.key);
      await assert.rejects(store.delete(record.key, {}), reason("SIGNATURE_NOT_FOUND"));
    });

    it("removes callback trees recursively, once each, even with cycles and shared callbacks", async () => {
      const shared = (await store.create(createCmd())).record.key;
      const leafOk = (await store.create(createCmd({ successCallbacks: [shared] }))).record.key;
      const leafErr = (await store.create(createCmd({ errorCallbacks: [shared] }))).record.key;
      const root = (await store.create(createCmd({ successCallbacks: [leafOk], errorCallbacks: [leafErr] }))).record.key;
      const res = await store.remove(root, true, false, {});
      assert.deepEqual(new Set(res.keys), new Set([root, leafErr, shared]));
      assert.equal((await store.get(leafOk))!.removed, false);
      const removed = (await store.get(root))!;
      assert.equal(removed.removed, true);
      assert.ok(removed.expireTime <= Date.now() + 3 * 3600_000 + 1000);
      const events = await store.events.range(res.revision, 100);
      assert.equal(events.filter((e) => e.revision === res.revision && e.type === EventType.REMOVED).length, 3);
      await assert.rejects(store.update({ key: root, kwargs: {}, guard: {} }), reason("SIGNATURE_REMOVED"));
    });

    it("lets removed signatures vanish from Get and List after done_ttl", async () => {
      const short = await backend.open({ doneTtlMs: 300 });
      const task = `ttl-${Math.random()}`;
      const { record } = await short.create(createCmd({ taskName: task }));
      await short.remove(record.key, true, true, {});
      assert.equal((await short.list({ statuses: [], taskName: task, pageSize: 10 })).records.length, 1);
      await sleep(600);
      assert.equal(await short.get(record.key), undefined);
      assert.equal((await short.list({ statuses: [], taskName: task, pageSize: 10 })).records.length, 0);
      assert.equal((await short.list({ statuses: [], taskName: "", pageSize: 1000 })).records.some((r) => r.key === record.key), false);
    });

    it("slides the active expiry on every change", async () => {
      const short = await backend.open({ activeTtlMs: 600 });
      const { record } = await short.create(createCmd());
      await sleep(350);
      await short.update({ key: record.key, kwargs: { touched: true }, guard: {} });
      await sleep(350);
      assert.ok(await short.get(record.key), "a change renews the active ttl");
      await sleep(500);
      assert.equal(await short.get(record.key), undefined);
    });
  });
}
