import type { StoredEvent } from "../store/store.js";

/**
 * The bytes of events that watch queues hold, for the whole process (every namespace's hub):
 * at most `limit` (WATCH_MEMORY_BUDGET), whatever the watchers do. A batch of events is held
 * once however many queues hold it. When a push goes over the limit, the watchers furthest
 * behind stop holding a queue and catch up from the store's history instead (etcd's unsynced watchers).
 */
export class WatchBudget {
  used = 0;
  constructor(readonly limit: number) {}

  get over() {
    return this.used > this.limit;
  }
}

/** Buffers counted in a budget once, however many holders hold each (the same frame written to many streams). */
export class HeldBuffers {
  private readonly holders = new Map<Uint8Array, number>();
  constructor(private readonly budget: WatchBudget) {}

  hold(b: Uint8Array) {
    const n = this.holders.get(b) ?? 0;
    if (n === 0) this.budget.used += b.length;
    this.holders.set(b, n + 1);
  }

  release(b: Uint8Array) {
    const n = (this.holders.get(b) ?? 1) - 1;
    if (n > 0) return void this.holders.set(b, n);
    this.holders.delete(b);
    this.budget.used -= b.length;
  }
}

const sizes = new WeakMap<StoredEvent[], number>();

/** The bytes a batch of events holds (about its JSON size); computed once per batch. */
export function batchBytes(batch: StoredEvent[]): number {
  let n = sizes.get(batch);
  if (n === undefined) {
    n = 0;
    for (const e of batch) n += eventBytes(e);
    sizes.set(batch, n);
  }
  return n;
}

export function eventBytes(e: StoredEvent): number {
  return e.size ?? 256 + JSON.stringify(e.record).length;
}
