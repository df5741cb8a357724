// The memory store's List reads only its page's signatures (plus one look-ahead), whatever the namespace's
// size and filter: counted as signature lookups, for a namespace of 120 signatures and one of 10,000.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Status } from "../../src/core/status.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import type { ListQuery } from "../../src/store/store.js";
import { defaultOptions } from "../conformance/backends.js";
import { createCmd } from "../support/commands.js";

const stores: MemoryStore[] = [];
after(() => Promise.all(stores.map((s) => s.close())));

async function namespace(n: number) {
  const store = new MemoryStore(defaultOptions());
  stores.push(store);
  const t0 = Date.now() - 1_000_000;
  for (let i = 0; i < n; i++) await store.create(createCmd({ taskName: i % 7 === 0 ? "rare" : "common", creationTime: t0 + i, status: i % 2 ? Status.SUSPENDED : Status.PENDING }));
  const sigs = (store as unknown as { db: { sigs: Map<string, unknown> } }).db.sigs;
  const get = sigs.get.bind(sigs);
  let reads = 0;
  sigs.get = (k: string) => {
    reads++;
    return get(k);
  };
  return async (q: Omit<ListQuery, "pageSize">) => {
    reads = 0;
    const page = await store.list({ ...q, pageSize: 50 });
    return { listed: page.records.length, reads };
  };
}

test("a page of the memory store reads the same signatures for 120 and for 10,000 in the namespace", async () => {
  const queries: Omit<ListQuery, "pageSize">[] = [
    { statuses: [], taskName: "" },
    { statuses: [Status.SUSPENDED], taskName: "" },
    { statuses: [Status.PENDING, Status.SUSPENDED], taskName: "common" },
    { statuses: [Status.CANCELED], taskName: "" },
    { statuses: [Status.PENDING], taskName: "none" },
  ];
  const small = await namespace(120);
  const large = await namespace(10_000);
  const costs = async (list: typeof small) => {
    const out = [];
    for (const q of queries) out.push(await list(q));
    return out;
  };
  const [s, l] = [await costs(small), await costs(large)];
  assert.deepEqual(l, s);
  assert.deepEqual(
    l.map((c) => c.reads),
    [51, 51, 51, 0, 0],
  );
});
