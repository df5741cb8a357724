// List reads its filter's own index: pages match a model of the signatures under any mix of creates, status
// changes and deletes; expired signatures' entries are skipped and removed; cursors survive concurrent changes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import type { ListQuery, Store } from "../../src/store/store.js";
import { createCmd } from "../support/commands.js";
import { backends } from "./backends.js";


async function listAll(store: Store, q: Omit<ListQuery, "cursor">) {
  const keys: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.list({ ...q, cursor });
    assert.ok(page.records.length <= q.pageSize);
    for (const r of page.records) {
      if (q.statuses.length) assert.ok(q.statuses.includes(r.status), `status ${r.status} listed for ${q.statuses}`);
      if (q.taskName) assert.equal(r.taskName, q.taskName);
    }
    keys.push(...page.records.map((r) => r.key));
    cursor = page.cursor;
    assert.ok(++pages < 1000, "pages end");
  } while (cursor);
  return keys;
}

const newestFirst = (a: { t: number; key: string }, b: { t: number; key: string }) => b.t - a.t || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);

type Op =
  | { op: "create"; task: number; dt: number; suspended: boolean }
  | { op: "suspend" | "resume" | "cancel" | "delete"; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), task: fc.integer({ min: 0, max: 2 }), dt: fc.integer({ min: 0, max: 4 }), suspended: fc.boolean() }),
  fc.record({ op: fc.constantFrom("suspend" as const, "resume" as const, "cancel" as const, "delete" as const), pick: fc.nat() }),
);

for (const backend of backends()) {
  describe(`list indexes on the ${backend.name} store`, () => {
    let store: Store;
    before(async () => {
      store = await backend.open();
    });
    after(() => backend.shutdown());

    it("lists what a model of the signatures holds, for every filter, after creates, status changes and deletes", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(opArb, { minLength: 1, maxLength: 30 }),
          fc.subarray([Status.PENDING, Status.SUSPENDED, Status.CANCELED, Status.DONE]),
          fc.integer({ min: -1, max: 2 }),
          fc.integer({ min: 1, max: 5 }),
          async (ops, statuses, taskPick, pageSize) => {
            const store = await backend.open();
            const run = Math.random().toString(36).slice(2, 8);
            const tasks = [0, 1, 2].map((i) => `model-${run}-${i}`);
            const t0 = Date.now() - 1_000_000;
            const model = new Map<string, { t: number; key: string; task: string; status: Status }>();
            for (const o of ops) {
              if (o.op === "create") {
                const c = createCmd({ taskName: tasks[o.task], creationTime: t0 + o.dt, status: o.suspended ? Status.SUSPENDED : Status.PENDING });
                await store.create(c);
                model.set(c.key, { t: c.creationTime, key: c.key, task: c.taskName, status: c.status });
                continue;
              }
              const live = [...model.values()];
              if (live.length === 0) continue;
              const s = live[o.pick % live.length];
              if (o.op === "delete") {
                await store.delete(s.key, {});
                model.delete(s.key);
              } else {
                const rule = TRANSITIONS[o.op];
                if (!rule.from.includes(s.status)) continue;
                await store.transition(s.key, rule, {});
                s.status = rule.to;
              }
            }
            const task = taskPick < 0 ? "" : tasks[taskPick];
            const expected = [...model.values()]
              .filter((s) => (!task || s.task === task) && (statuses.length === 0 || statuses.includes(s.status)))
              .sort(newestFirst)
              .map((s) => s.key);
            assert.deepEqual(await listAll(store, { statuses, taskName: task, pageSize }), expected);
          },
        ),
        { numRuns: 12, seed: 21 },
      );
    });

    it("pages on with a cursor while signatures are created, change status and are deleted", async () => {
      const task = `moving-${Math.random()}`;
      const t0 = Date.now() - 100_000;
      const made: string[] = [];
      for (let i = 0; i < 30; i++) made.push((await store.create(createCmd({ taskName: task, creationTime: t0 + i }))).record.key);
      const deleted = new Set([made[3], made[10], made[20]]);
      const suspended = new Set([made[5], made[15]]);
      const seen: string[] = [];
      let cursor: string | undefined;
      let page = 0;
      do {
        const p = await store.list({ statuses: [Status.PENDING], taskName: task, pageSize: 4, cursor });
        seen.push(...p.records.map((r) => r.key));
        cursor = p.cursor;
        if (page++ === 1) {
          // Between pages: newer signatures, deletes and status changes of signatures not listed yet.
          for (let i = 0; i < 5; i++) await store.create(createCmd({ taskName: task, creationTime: t0 + 1000 + i }));
          for (const k of deleted) await store.delete(k, {});
          for (const k of suspended) await store.transition(k, TRANSITIONS.suspend, {});
        }
      } while (cursor);
      assert.equal(new Set(seen).size, seen.length, "each signature once");
      const expected = [...made].reverse().filter((k, i) => i < 8 || (!deleted.has(k) && !suspended.has(k)));
      assert.deepEqual(seen, expected);
    });

    it("skips the entries of signatures whose expiry passed and removes them, a full page still coming back", async () => {
      // A clock the test moves: signatures created an hour back have expired (Redis dropped their hashes).
      let shift = 0;
      const ttl = 60_000;
      const clock = await backend.open({ activeTtlMs: ttl, now: () => Date.now() + shift });
      const task = "expiring";
      const t0 = Date.now() - 100_000;
      const live: string[] = [];
      for (let i = 0; i < 24; i++) {
        const lasting = i % 3 === 0;
        shift = lasting ? 0 : -2 * ttl;
        const { record } = await clock.create(createCmd({ taskName: task, creationTime: t0 + i, status: i % 2 ? Status.SUSPENDED : Status.PENDING }));
        if (lasting) live.unshift(record.key);
      }
      shift = 0;
      for (const q of [
        { statuses: [], taskName: task },
        { statuses: [Status.PENDING, Status.SUSPENDED], taskName: task },
        { statuses: [Status.PENDING], taskName: "" },
        { statuses: [], taskName: "" },
      ]) {
        const expected = q.statuses.length === 1 ? live.filter((_, i) => i % 2 === 1) : live;
        const first = await clock.list({ ...q, pageSize: 3 });
        assert.deepEqual(
          first.records.map((r) => r.key),
          expected.slice(0, 3),
        );
        assert.deepEqual(await listAll(clock, { ...q, pageSize: 2 }), expected);
      }
      if (backend.name !== "memory") {
        // Every index set a page read holds no entry of an expired signature any more.
        const redis = (clock as unknown as { redis: { zcard(k: string): Promise<number> }; keys: { base: string } }).redis;
        const base = (clock as unknown as { keys: { base: string } }).keys.base;
        assert.equal(await redis.zcard(`${base}idx:all`), live.length);
        assert.equal(await redis.zcard(`${base}idx:task:${task}`), live.length);
        assert.equal(await redis.zcard(`${base}idx:ts:${Status.PENDING}:${task}`), live.length / 2);
        assert.equal(await redis.zcard(`${base}idx:st:${Status.PENDING}`), live.length / 2);
      }
    });
  });
}
