import type { StoredEvent } from "../store/store.js";

/** One watch stream's view of the hub: a bounded queue of live events after `since`. */
export class Subscriber {
  private queue: StoredEvent[] = [];
  private wake?: () => void;
  overflowed = false;
  ended = false;

  constructor(
    /** Live events start after this revision. */
    readonly since: number,
    private readonly limit: number,
    private readonly onClose: () => void,
  ) {}

  push(events: StoredEvent[]) {
    if (this.ended) return;
    if (this.queue.length + events.length > this.limit) {
      this.overflowed = true;
      this.queue = [];
      this.close();
    } else {
      this.queue.push(...events);
    }
    this.wake?.();
  }

  /** Takes everything queued, waiting up to `ms` when the queue is empty. */
  async take(ms: number, signal: AbortSignal): Promise<StoredEvent[]> {
    if (this.queue.length === 0 && !this.ended && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener("abort", done);
          this.wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal.addEventListener("abort", done);
        this.wake = done;
      });
    }
    const out = this.queue;
    this.queue = [];
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
