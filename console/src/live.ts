import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { EventType, type SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb";
import type { Signature } from "../../gen/ts/mageflow/v1/signature_pb";
import { callError, type CallError, type SignatureClient } from "./api";

export type LiveState = "loading" | "live" | "reconnecting" | "stopped";

/** Errors after which watching again with the same token cannot help. */
const FATAL = new Set(["UNAUTHENTICATED", "PERMISSION_DENIED"]);

/**
 * Every signature of the token's namespace, kept current by one WatchSignatures stream:
 * `send_initial` for the snapshot, then live events; after a broken stream it resumes at
 * the next revision (nothing missed, nothing twice), or reloads when that was compacted.
 */
export class LiveSignatures {
  readonly byKey = new Map<string, Signature>();
  /** Bumped on every applied change: a cheap "did anything change" for React. */
  version = 0;
  revision = 0n;
  state: LiveState = "loading";
  error: CallError | undefined;
  /** When the snapshot finished arriving (ms since page start), for the load measurement. */
  loadedAt: number | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly abort = new AbortController();
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: SignatureClient) {
    void this.run();
  }

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getVersion = () => this.version;

  stop() {
    this.state = "stopped";
    this.abort.abort();
  }

  private changed() {
    this.version++;
    if (this.notifyTimer) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const fn of this.listeners) fn();
    }, 16);
  }

  private async run() {
    let reload = true;
    let delay = 250;
    while (!this.abort.signal.aborted) {
      try {
        const snapshot: Map<string, Signature> | undefined = reload ? new Map<string, Signature>() : undefined;
        const stream = this.client.watchSignatures(
          reload ? { sendInitial: true, progressInterval: durationFromMs(5000) } : { startRevision: this.revision + 1n, progressInterval: durationFromMs(5000) },
          { signal: this.abort.signal },
        );
        let inSnapshot: boolean = !!snapshot;
        if (!snapshot) this.setState("live");
        for await (const res of stream) {
          delay = 250;
          for (const e of res.events) {
            if (inSnapshot && e.type === EventType.INITIAL && e.signature) snapshot!.set(e.key, e.signature);
            else this.apply(e);
          }
          this.revision = res.revision;
          if (inSnapshot && res.bookmark) {
            inSnapshot = false;
            reload = false;
            this.byKey.clear();
            for (const [k, s] of snapshot!) this.byKey.set(k, s);
            if (this.loadedAt === undefined) {
              this.loadedAt = performance.now();
              performance.mark("mageflow:snapshot");
            }
            this.setState("live");
          }
          this.changed();
        }
        reload = inSnapshot;
      } catch (e) {
        if (this.abort.signal.aborted) return;
        const err = callError(e);
        this.error = err;
        if (FATAL.has(err.reason)) {
          this.setState("stopped");
          return;
        }
        if (err.reason === "REVISION_COMPACTED") reload = true;
      }
      if (this.abort.signal.aborted) return;
      this.setState("reconnecting");
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }

  private apply(e: SignatureEvent) {
    if (e.type === EventType.DELETED || !e.signature) this.byKey.delete(e.key);
    else this.byKey.set(e.key, e.signature);
  }

  private setState(s: LiveState) {
    if (s === "live") this.error = undefined;
    this.state = s;
    this.changed();
  }
}

/** Most events the signature page keeps (the newest). */
export const HISTORY_KEEP = 500;

/**
 * One signature's events: a watch on its key from the oldest retained revision (its history),
 * staying open for live events. `onEvents` gets the whole list after every change.
 */
export function watchHistory(client: SignatureClient, key: string, onEvents: (events: SignatureEvent[], error?: CallError) => void): () => void {
  const abort = new AbortController();
  const events: SignatureEvent[] = [];
  void (async () => {
    let start = 1n;
    let delay = 250;
    while (!abort.signal.aborted) {
      try {
        for await (const res of client.watchSignatures({ filter: { keys: [key] }, startRevision: start, progressInterval: durationFromMs(5000) }, { signal: abort.signal })) {
          delay = 250;
          if (res.events.length > 0) {
            events.push(...res.events);
            if (events.length > HISTORY_KEEP) events.splice(0, events.length - HISTORY_KEEP);
            onEvents([...events]);
          }
          start = res.revision + 1n;
        }
      } catch (e) {
        if (abort.signal.aborted) return;
        const err = callError(e);
        if (err.reason === "REVISION_COMPACTED" && err.metadata.oldest_revision) {
          start = BigInt(err.metadata.oldest_revision);
          continue;
        }
        onEvents([...events], err);
        if (FATAL.has(err.reason)) return;
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 5000);
    }
  })();
  return () => abort.abort();
}
