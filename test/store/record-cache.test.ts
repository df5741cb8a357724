import assert from "node:assert/strict";
import { test } from "node:test";
import { F, newFlatRecord, type FlatRecord } from "../../src/store/record.js";
import { RecordCache, SharedText } from "../../src/store/redis/record-cache.js";
import { createCmd } from "../support/commands.js";

const flat = (revision: number, o: Record<string, string> = {}): FlatRecord => ({ ...newFlatRecord(createCmd()), [F.revision]: String(revision), [F.expireTime]: String(Date.now() + 60_000), ...o });

test("a cached record is returned only at its revision", () => {
  const cache = new RecordCache();
  const h = flat(7);
  const r = cache.decode(h, Date.now());
  assert.equal(cache.get(h[F.key], 7, Date.now()), r);
  assert.equal(cache.get(h[F.key], 8, Date.now()), undefined);
});

test("a lease that expired since the record was cached is dropped on a hit", () => {
  const cache = new RecordCache();
  const now = Date.now();
  const h = flat(3, { [F.lockId]: "lease", [F.lockOwner]: "w", [F.lockExpire]: String(now + 1000) });
  assert.equal(cache.decode(h, now).lock?.lockId, "lease");
  assert.equal(cache.get(h[F.key], 3, now + 500)?.lock?.lockId, "lease");
  assert.equal(cache.get(h[F.key], 3, now + 1000)?.lock, undefined);
});

test("holds at most its entries and its text, dropping the oldest written first", () => {
  const byCount = new RecordCache(3, 1e9);
  const hs = Array.from({ length: 5 }, (_, i) => flat(i + 1));
  for (const h of hs) byCount.decode(h, Date.now());
  assert.equal(byCount.size.entries, 3);
  assert.equal(byCount.get(hs[0][F.key], 1, Date.now()), undefined);
  assert.ok(byCount.get(hs[4][F.key], 5, Date.now()));

  const one = Object.entries(hs[0]).reduce((n, [f, v]) => n + f.length + v.length, 0);
  const byText = new RecordCache(100, 2 * one + one / 2);
  for (const h of hs) byText.decode(h, Date.now());
  assert.equal(byText.size.entries, 2);
  assert.ok(byText.size.text <= 2 * one + one / 2);
  const big = flat(9, { [F.kwargs]: JSON.stringify({ x: "y".repeat(10 * one) }) });
  byText.decode(big, Date.now());
  assert.equal(byText.get(big[F.key], 9, Date.now()), undefined, "a record larger than the bound is not kept");
});

test("the caches of all namespaces share one bound for the process, and a closed one gives its share back", () => {
  const hs = Array.from({ length: 6 }, (_, i) => flat(i + 1));
  const one = Object.entries(hs[0]).reduce((n, [f, v]) => n + f.length + v.length, 0);
  const shared = new SharedText(3 * one + one / 2);
  const a = new RecordCache(100, 1e9, shared);
  const b = new RecordCache(100, 1e9, shared);
  for (const h of hs.slice(0, 3)) a.decode(h, Date.now());
  for (const h of hs.slice(3)) b.decode(h, Date.now());
  assert.equal(a.size.entries + b.size.entries, 3, "three records in all fit");
  assert.ok(shared.used <= shared.max);
  assert.ok(b.decode(hs[5], Date.now()), "a record is still decoded when it is not kept");
  a.clear();
  assert.equal(shared.used, b.size.text);
  for (const h of hs.slice(3)) b.decode(h, Date.now());
  assert.equal(b.size.entries, 3, "the share a closed cache gave back is used by another");
});
