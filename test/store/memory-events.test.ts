import assert from "node:assert/strict";
import { test } from "node:test";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import { MemoryEventLog } from "../../src/store/memory/memory-events.js";
import type { StoredEvent } from "../../src/store/store.js";

test("the memory history keeps between max and max + max/16 events, trims in whole revisions, and stays gap-free", async () => {
  let revision = 0;
  const log = new MemoryEventLog(1600, () => revision);
  const ev = (r: number): StoredEvent => ({ revision: r, type: EventType.UPDATED, key: `k${r}`, time: 0, record: {} as never });
  let sizes = { min: Infinity, max: 0 };
  for (let i = 0; i < 5000; i++) {
    revision++;
    log.append(i % 7 === 0 ? [ev(revision), ev(revision)] : [ev(revision)]);
    const kept = await log.range(0, 10_000);
    if (revision > 2000) sizes = { min: Math.min(sizes.min, kept.length), max: Math.max(sizes.max, kept.length) };
    for (let j = 1; j < kept.length; j++) assert.ok(kept[j].revision - kept[j - 1].revision <= 1, "no gap");
    assert.equal(kept[kept.length - 1].revision, revision);
    const first = kept[0].revision;
    assert.equal(kept.filter((e) => e.revision === first).length, (first - 1) % 7 === 0 ? 2 : 1, "the oldest revision is whole");
  }
  assert.ok(sizes.min >= 1600, `kept at least max (${sizes.min})`);
  assert.ok(sizes.max <= 1600 + 100 + 1, `kept at most max + max/16 (+ one revision's second event): ${sizes.max}`);
  assert.ok(sizes.max > 1600, "trims in batches, not on every append");
});

test("regression: tail wakes for an append made while it was about to wait (no lost wakeup)", async () => {
  let revision = 0;
  const log = new MemoryEventLog(100, () => revision);
  const t0 = Date.now();
  const waiting = log.tail(0, 3000);
  revision = 1;
  log.append([{ revision: 1, type: EventType.UPDATED, key: "k", time: 0, record: {} as never }]);
  assert.equal((await waiting).length, 1);
  assert.ok(Date.now() - t0 < 1000, `answered at once (${Date.now() - t0} ms), not after the wait`);
});
