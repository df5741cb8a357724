import type { StoredEvent } from "../store/store.js";

/** How a subscriber's queue is held: the hub counts each batch once, however many queues hold it. */
export interface QueueAccount {
  hold(batch: StoredEvent[]): void;
  release(batch: StoredEvent[]): void;
}

/**
 * One watch stream's view of the hub: a queue of live events after `since`, bounded by count
 * (`limit`) and, through the hub's budget, by bytes. A subscriber that cannot keep up falls
 * behind: its queue is dropped and it takes nothing more; its stream catches up by reading the
 * store's history from the last revision it delivered, then subscribes again.
 */
export class Subscriber {
  /** The hub's batches as it pushed them: one shared array per batch, so a caught-up watcher's reply is shared too. */
  private batches: StoredEvent[][] = [];
  private queued = 0;
  private wake?: () => void;
  /** While `take` waits: delivers a batch to the stream at once, or answers false to have it queued. */
  private direct?: (events: StoredEvent[]) => boolean;
  private signal?: AbortSignal;
  /** Fell behind: nothing queued, nothing taken; the stream reads the history instead. */
  behind = false;
  ended = false;

  constructor(
    /** Live events start after this revision. */
    readonly since: number,
    private readonly limit: number,
    private readonly account: QueueAccount,
    private readonly onClose: () => void,
  ) {}

  /** Whether the events were queued (false: ended or behind, or behind now because of this batch). */
  push(events: StoredEvent[]): boolean {
    if (this.ended || this.behind) return false;
    if (this.queued === 0 && this.direct && this.deliverNow(events)) return true;
    // An empty queue takes any batch: a subscriber that keeps up does not fall behind because of
    // one big batch (a revision with many events, or the hub catching up).
    if (this.queued > 0 && this.queued + events.length > this.limit) {
      this.fallBehind();
      return false;
    }
    this.batches.push(events);
    this.account.hold(events);
    this.queued += events.length;
    this.wake?.();
    return true;
  }

  private deliverNow(events: StoredEvent[]): boolean {
    try {
      return this.direct!(events);
    } catch {
      // Queued instead: the stream meets the same failure in its own turn and ends with it.
      return false;
    }
  }

  /** The first revision queued and not yet taken (Infinity when none). */
  get oldestQueued(): number {
    return this.batches.length === 0 ? Infinity : this.batches[0][0].revision;
  }

  /** Revisions up to `revision` queued and not yet taken. */
  lagBehind(revision: number): number {
    return this.batches.length === 0 ? 0 : revision - this.batches[0][0].revision + 1;
  }

  /** Drops the queue: the stream catches up from the store's history. */
  fallBehind() {
    if (this.ended || this.behind) return;
    this.behind = true;
    this.drop();
    this.wake?.();
  }

  /**
   * Takes the oldest batch queued, as the hub's own array, waiting up to `ms` when the queue is
   * empty. One batch at a time, never several joined: every stream that takes a batch then sends
   * the same reply and frame, however far behind it is. While it waits, `direct` (if given) is
   * offered each batch first; a batch it takes is not queued and does not end the wait.
   */
  async take(ms: number, signal: AbortSignal, direct?: (events: StoredEvent[]) => boolean): Promise<StoredEvent[]> {
    if (this.signal !== signal) {
      this.signal = signal;
      signal.addEventListener("abort", () => this.wake?.(), { once: true });
    }
    if (this.queued === 0 && !this.ended && !this.behind && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.wake?.(), ms);
        this.direct = direct;
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          this.direct = undefined;
          resolve();
        };
      });
    }
    const out = this.batches.shift();
    if (!out) return [];
    this.queued -= out.length;
    this.account.release(out);
    return out;
  }

  /** The server is shutting down: the stream ends cleanly. */
  end() {
    this.ended = true;
    this.wake?.();
  }

  close() {
    if (!this.ended) this.ended = true;
    this.drop();
    this.onClose();
  }

  private drop() {
    for (const b of this.batches) this.account.release(b);
    this.batches = [];
    this.queued = 0;
  }
}
