import type { Store, StoredEvent } from "../store/store.js";
import { Semaphore } from "../core/semaphore.js";
import { batchBytes } from "./watch-budget.js";

/** Streams reading the history at once (each read holds up to `limit` events). */
const reads = new Semaphore(8);
/** Reads kept for other streams catching up at the same revision: this long, and this many bytes in all. */
const KEEP_MS = 2000;
const KEEP_BYTES = 16 * 1024 * 1024;

interface Kept {
  events: Promise<StoredEvent[]>;
  at: number;
  bytes: number;
}
const kept = new WeakMap<Store, Map<string, Kept>>();
let keptBytes = 0;

/**
 * `store.events.range(from, limit)`, shared: watchers that fell behind together read the same
 * ranges, so one read (and its events' conversions and encodings, cached per event) serves them
 * all. History is immutable but for trimming at its start, which the caller checks; a read that
 * came back empty is not kept (the history may have grown since).
 */
export function sharedRange(store: Store, from: number, limit: number): Promise<StoredEvent[]> {
  let byStore = kept.get(store);
  if (!byStore) kept.set(store, (byStore = new Map()));
  const now = Date.now();
  for (const [k, e] of byStore) {
    if (now - e.at <= KEEP_MS && keptBytes <= KEEP_BYTES) break;
    byStore.delete(k);
    keptBytes -= e.bytes;
  }
  const id = `${from}:${limit}`;
  const hit = byStore.get(id);
  if (hit) return hit.events;
  const entry: Kept = { events: reads.run(() => store.events.range(from, limit)), at: now, bytes: 0 };
  byStore.set(id, entry);
  entry.events.then(
    (events) => {
      if (byStore.get(id) !== entry) return;
      if (events.length === 0) return void byStore.delete(id);
      entry.bytes = batchBytes(events);
      keptBytes += entry.bytes;
    },
    () => byStore.get(id) === entry && byStore.delete(id),
  );
  return entry.events;
}
