import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";
import { SignatureSchema, type Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";

// The console's keyset pagination (console/src/order.ts), imported by path: the server's typecheck does not cover console/.
interface Position {
  ms: number;
  key: string;
}
interface Order {
  positionOf(s: Signature): Position;
  compare(a: Position, b: Position): number;
  pageOf(sorted: Signature[], anchor: Position | undefined, size: number): { rows: Signature[]; start: number; next?: Position; prev?: Position | null; total: number };
}
const load = async () => (await import(new URL("../../console/src/order.ts", import.meta.url).href)) as Order;

const sig = (key: string, ms: number) => create(SignatureSchema, { key, creationTime: timestampFromMs(ms) });
const arbRows = fc.uniqueArray(fc.record({ key: fc.stringMatching(/^[a-f0-9]{1,4}$/), ms: fc.integer({ min: 0, max: 50 }) }), { selector: (r) => r.key, maxLength: 60 });

test("paging with Next visits every row once, in order, while newer rows arrive and rows leave", async () => {
  const { pageOf, positionOf, compare } = await load();
  const sort = (rows: Signature[]) => [...rows].sort((a, b) => compare(positionOf(a), positionOf(b)));
  await fc.assert(
    fc.asyncProperty(arbRows, fc.integer({ min: 1, max: 10 }), fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 20 }), async (rows, size, changes) => {
      let live = sort(rows.map((r) => sig(r.key, r.ms)));
      const original = live.map((s) => s.key);
      const removed = new Set<string>();
      const seen: string[] = [];
      let anchor: Position | undefined;
      let fresh = 0;
      for (let guard = 0; guard < 200; guard++) {
        const page = pageOf(live, anchor, size);
        assert.ok(page.rows.length <= size);
        seen.push(...page.rows.map((s) => s.key));
        if (!page.next) break;
        anchor = page.next;
        // Between two pages: a newer row arrives (above every page read), or an unread row leaves.
        const [add, n] = changes[guard % Math.max(1, changes.length)] ?? [false, 0];
        if (changes.length === 0) continue;
        if (add) live = sort([...live, sig(`new${fresh++}`, 1000 + fresh)]);
        else if (live.length > 0) {
          const victim = live[n % live.length];
          if (!seen.includes(victim.key)) {
            removed.add(victim.key);
            live = live.filter((s) => s !== victim);
          }
        }
      }
      // Newer rows sort above the page being read: never shown while paging down.
      assert.ok(seen.every((k) => !k.startsWith("new")));
      assert.deepEqual(seen, original.filter((k) => !removed.has(k)), "every remaining row once, in order");
    }),
    { numRuns: 300 },
  );
});

test("Previous goes back to the page before; from the second page it returns to the top", async () => {
  const { pageOf } = await load();
  await fc.assert(
    fc.asyncProperty(arbRows, fc.integer({ min: 1, max: 10 }), async (rows, size) => {
      const { positionOf, compare } = await load();
      const live = rows.map((r) => sig(r.key, r.ms)).sort((a, b) => compare(positionOf(a), positionOf(b)));
      const pages: string[][] = [];
      let anchor: Position | undefined;
      for (;;) {
        const p = pageOf(live, anchor, size);
        pages.push(p.rows.map((s) => s.key));
        if (!p.next) break;
        anchor = p.next;
      }
      for (let i = pages.length - 1; i > 0; i--) {
        const p = pageOf(live, anchor, size);
        assert.notEqual(p.prev, undefined);
        anchor = p.prev ?? undefined;
        assert.deepEqual(pageOf(live, anchor, size).rows.map((s) => s.key), pages[i - 1]);
      }
      assert.equal(pageOf(live, anchor, size).prev, undefined, "the first page has no previous");
    }),
    { numRuns: 300 },
  );
});
