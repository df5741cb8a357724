import type { StoredEvent } from "../store/store.js";

/** One watch stream's view of the hub: a bounded queue of live events after `since`. */
export class Subscriber {
  /** The hub's batches as it pushed them: one shared array per batch, so a caught-up watcher's reply is shared too. */
  private batches: StoredEvent[][] = [];
  private queued = 0;
  private wake?: () => void;
  private signal?: AbortSignal;
  overflowed = false;
  ended = false;

  constructor(
    /** Live events start after this revision. */
    readonly since: number,
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  /** Whether the events were queued (false: ended, or ended now by this overflow). */
  push(events: StoredEvent[]): boolean {
    if (this.ended) return false;
    // An empty queue takes any batch: a subscriber that keeps up is never ended by one
    // big batch (a revision with many events, or the hub catching up).
    if (this.queued > 0 && this.queued + events.length > this.limit) {
      this.overflow();
      return false;
    }
    this.batches.push(events);
    this.queued += events.length;
    this.wake?.();
    return true;
  }

  /** Revisions up to `revision` queued and not yet taken. */
  lagBehind(revision: number): number {
    return this.batches.length === 0 ? 0 : revision - this.batches[0][0].revision + 1;
  }

  /**
   * The subscriber cannot be kept gap-free (its buffer is full, or the hub lost events):
   * what is queued is dropped and the stream ends with its resume revision.
   */
  overflow() {
    if (this.ended) return;
    this.overflowed = true;
    this.batches = [];
    this.queued = 0;
    this.close();
    this.wake?.();
  }

  /** Takes everything queued (a single batch as the hub's own array), waiting up to `ms` when the queue is empty. */
  async take(ms: number, signal: AbortSignal): Promise<StoredEvent[]> {
    if (this.signal !== signal) {
      this.signal = signal;
      signal.addEventListener("abort", () => this.wake?.(), { once: true });
    }
    if (this.queued === 0 && !this.ended && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.wake?.(), ms);
        this.wake = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
      });
    }
    const out = this.batches.length === 1 ? this.batches[0] : this.batches.flat();
    this.batches = [];
    this.queued = 0;
    return out;
  }

  /** The server is shutting down: the stream ends cleanly. */
  end() {
    this.ended = true;
    this.wake?.();
  }

  close() {
    this.ended = true;
    this.onClose();
  }
}
