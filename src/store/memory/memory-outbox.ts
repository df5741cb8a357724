import { EventEmitter } from "node:events";
import type { Outbox, OutboxDraft, OutboxEntry } from "../store.js";
import { nextOrTimeout } from "./wait.js";

type Pending = { entry: OutboxEntry; consumer?: string; deliveredAt: number; addedAt: number };

/** The memory store's outbox: the same delivery/claim/ack contract as a Redis consumer group. */
export class MemoryOutbox implements Outbox {
  private seq = 0;
  private readonly entries = new Map<string, Pending>();
  private readonly added = new EventEmitter();

  constructor(private readonly now: () => number) {
    this.added.setMaxListeners(0);
  }

  add(entry: OutboxDraft) {
    const id = `${++this.seq}`;
    this.entries.set(id, { entry: { ...entry, id }, deliveredAt: 0, addedAt: this.now() });
    this.added.emit("added");
    return id;
  }

  async read(consumer: string, count: number, blockMs: number) {
    let got = this.take(consumer, count);
    if (got.length === 0 && blockMs > 0) {
      await nextOrTimeout(this.added, "added", blockMs);
      got = this.take(consumer, count);
    }
    return got;
  }

  async claimStale(consumer: string, idleMs: number, count: number) {
    const now = this.now();
    const out: OutboxEntry[] = [];
    for (const p of this.entries.values()) {
      if (out.length >= count) break;
      if (p.consumer && p.consumer !== consumer && now - p.deliveredAt >= idleMs) {
        p.consumer = consumer;
        p.deliveredAt = now;
        out.push(p.entry);
      }
    }
    return out;
  }

  async ack(ids: string[]) {
    for (const id of ids) this.retire(id);
  }

  async stats() {
    const oldest = this.entries.values().next().value;
    return { entries: this.entries.size, oldestAgeMs: oldest ? Math.max(0, this.now() - oldest.addedAt) : 0 };
  }

  /** Acknowledges (or withdraws) one entry synchronously, inside a store step. */
  retire(id: string | undefined) {
    if (id) this.entries.delete(id);
  }

  private take(consumer: string, count: number) {
    const out: OutboxEntry[] = [];
    for (const p of this.entries.values()) {
      if (out.length >= count) break;
      if (!p.consumer) {
        p.consumer = consumer;
        p.deliveredAt = this.now();
        out.push(p.entry);
      }
    }
    return out;
  }
}
