import { EventEmitter } from "node:events";
import type { EventLog, StoredEvent } from "../store.js";
import { nextOrTimeout } from "./wait.js";

/**
 * The memory store's event history: an array trimmed to `max` entries (whole revisions), like
 * Redis's approximate XTRIM: it may grow by a sixteenth past `max` first, so that trimming (a
 * move of every kept entry) happens once per many appends instead of on every one. It is also
 * trimmed to `maxBytes` (each event counted at about its JSON size, as in the Redis store), at
 * once: the newest revision is always kept.
 */
export class MemoryEventLog implements EventLog {
  private readonly log: StoredEvent[] = [];
  private readonly appended = new EventEmitter();
  private bytes = 0;

  constructor(
    private readonly max: number,
    private readonly current: () => number,
    private readonly maxBytes = Infinity,
  ) {
    this.appended.setMaxListeners(0);
  }

  append(events: StoredEvent[]) {
    for (const e of events) {
      e.size ??= eventSize(e);
      this.bytes += e.size;
    }
    this.log.push(...events);
    let cut = this.log.length > this.max + (this.max >> 4) ? this.log.length - this.max : 0;
    let bytes = this.bytes;
    for (let i = 0; i < cut; i++) bytes -= this.log[i].size!;
    while (bytes > this.maxBytes && cut < this.log.length - events.length) bytes -= this.log[cut++].size!;
    if (cut > 0) {
      while (cut < this.log.length && this.log[cut].revision === this.log[cut - 1]?.revision) bytes -= this.log[cut++].size!;
      this.log.splice(0, cut);
      this.bytes = bytes;
    }
    this.appended.emit("events");
  }

  async oldestRevision() {
    return this.log[0]?.revision ?? this.current() + 1;
  }

  async range(fromRevision: number, limit: number) {
    return this.slice(fromRevision, limit);
  }

  /** Checks and starts waiting in the same turn: an append between the two would be a lost wakeup. */
  async tail(afterRevision: number, blockMs: number): Promise<StoredEvent[]> {
    const ready = this.slice(afterRevision + 1, 1000);
    if (ready.length > 0 || blockMs <= 0) return ready;
    await nextOrTimeout(this.appended, "events", blockMs);
    return this.slice(afterRevision + 1, 1000);
  }

  private slice(fromRevision: number, limit: number) {
    const start = this.firstIndexAtOrAfter(fromRevision);
    let end = Math.min(this.log.length, start + limit);
    while (end < this.log.length && this.log[end].revision === this.log[end - 1].revision) end++;
    return this.log.slice(start, end);
  }

  private firstIndexAtOrAfter(revision: number) {
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.log[mid].revision < revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** About the bytes an event holds: its record's JSON size plus the event's own fields. */
export const eventSize = (e: StoredEvent) => 64 + JSON.stringify(e.record).length;
