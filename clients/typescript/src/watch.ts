/// <reference lib="esnext.disposable" />
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, type CallOptions } from "@connectrpc/connect";
import { EventType, type SignatureEvent } from "../../../gen/ts/mageflow/v1/event_pb.js";
import { WatchSignaturesRequestSchema, type WatchSignaturesRequest, type WatchSignaturesResponse } from "../../../gen/ts/mageflow/v1/signature_service_pb.js";
import { backoffMs, sleep } from "./backoff.js";
import { RECONNECT_DEFAULTS } from "./defaults.js";
import { MageflowError } from "./mageflow-error.js";
import { parseStatus, type StatusLike } from "./names.js";

export interface WatchOptions {
  keys?: string[] | undefined;
  taskNames?: string[] | undefined;
  /** Only events whose resulting status is one of these. */
  statuses?: StatusLike[] | undefined;
  /** Replay from this revision (inclusive), then live; 0 (default) starts from now. */
  startRevision?: number | bigint | undefined;
  /** First yield the current state of every matching signature (EventType.INITIAL). */
  sendInitial?: boolean | undefined;
  /** Server bookmark interval while idle. */
  progressIntervalMs?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Consecutive failed reconnects before the iteration throws; default unlimited. */
  maxReconnects?: number | undefined;
  /** First reconnect delay (doubling, with jitter); default 100 ms; back to it once a message arrives. */
  reconnectDelayMs?: number | undefined;
  /** Cap of the reconnect delay; default 10 000 ms. */
  maxReconnectDelayMs?: number | undefined;
  /** Called before each reconnect. */
  onReconnect?: ((info: ReconnectInfo) => void) | undefined;
  /** Called for every message (events or bookmark) with the revision seen so far. */
  onProgress?: ((revision: bigint) => void) | undefined;
}

export interface ReconnectInfo {
  /** The watch resumes at `revision + 1`. */
  revision: bigint;
  attempt: number;
  delayMs: number;
  /** Why the stream ended; undefined when the server closed it cleanly (e.g. it shut down). */
  error?: MageflowError | undefined;
}

export type WatchRpc = (req: WatchSignaturesRequest, options: CallOptions) => AsyncIterable<WatchSignaturesResponse>;

/**
 * An async iterator of signature events that resumes at `revision + 1` after a disconnect
 * (server restart, network error, stream ended) and throws a MageflowError on anything else,
 * notably FAILED_PRECONDITION `REVISION_COMPACTED` when the history no longer holds the start revision.
 */
export class SignatureWatch implements AsyncIterable<SignatureEvent>, AsyncDisposable {
  /** The store revision everything has been seen up to (0 before the first message). */
  revision = 0n;
  reconnects = 0;
  private readonly controller = new AbortController();
  private iterator?: AsyncGenerator<SignatureEvent>;

  constructor(
    private readonly rpc: WatchRpc,
    private readonly options: WatchOptions = {},
    onClose?: () => void,
  ) {
    options.signal?.addEventListener("abort", () => this.controller.abort(), { once: true });
    if (options.signal?.aborted) this.controller.abort();
    if (onClose) this.controller.signal.addEventListener("abort", onClose, { once: true });
  }

  [Symbol.asyncIterator](): AsyncGenerator<SignatureEvent> {
    this.iterator ??= this.events();
    return this.iterator;
  }

  /** Ends the watch; a pending `next()` resolves as done. */
  close(): void {
    this.controller.abort();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.iterator?.return(undefined);
  }

  private get closed() {
    return this.controller.signal.aborted;
  }

  private async *events(): AsyncGenerator<SignatureEvent> {
    try {
      yield* this.resumingEvents();
    } finally {
      this.controller.abort();
    }
  }

  private async *resumingEvents(): AsyncGenerator<SignatureEvent> {
    let failures = 0;
    while (!this.closed) {
      let error: MageflowError | undefined;
      try {
        for await (const msg of this.rpc(this.request(), { signal: this.controller.signal, timeoutMs: 0 })) {
          failures = 0;
          this.advance(msg);
          for (const event of msg.events) yield event;
        }
      } catch (e) {
        if (this.closed) return;
        error = MageflowError.from(e);
        if (!resumable(error)) throw error;
        const resumeAt = error.metadata.resume_revision;
        if (resumeAt && /^\d+$/.test(resumeAt)) this.revision = BigInt(resumeAt) - 1n;
      }
      if (this.closed) return;
      failures++;
      if (failures > (this.options.maxReconnects ?? Infinity)) {
        throw error ?? new MageflowError("the watch stream ended", Code.Unavailable, "WATCH_ENDED");
      }
      const delayMs = backoffMs(failures, this.options.reconnectDelayMs ?? RECONNECT_DEFAULTS.initialDelayMs, this.options.maxReconnectDelayMs ?? RECONNECT_DEFAULTS.maxDelayMs);
      this.options.onReconnect?.({ revision: this.revision, attempt: failures, delayMs, error });
      await sleep(delayMs, this.controller.signal);
      this.reconnects++;
    }
  }

  private request(): WatchSignaturesRequest {
    const o = this.options;
    const resuming = this.revision > 0n;
    return create(WatchSignaturesRequestSchema, {
      filter: { keys: o.keys ?? [], taskNames: o.taskNames ?? [], statuses: (o.statuses ?? []).map(parseStatus) },
      startRevision: resuming ? this.revision + 1n : BigInt(o.startRevision ?? 0),
      sendInitial: resuming ? false : !!o.sendInitial,
      progressInterval: o.progressIntervalMs ? durationFromMs(o.progressIntervalMs) : undefined,
    });
  }

  // The server is the authority on the cursor: after a store reset it may move backwards.
  private advance(msg: WatchSignaturesResponse) {
    const last = msg.events.filter((e) => e.type !== EventType.INITIAL).at(-1);
    const revision = msg.revision > 0n ? msg.revision : (last?.revision ?? 0n);
    if (revision > 0n) this.revision = revision;
    this.options.onProgress?.(this.revision);
  }
}

const CONNECTION_LOST = new Set([Code.Aborted, Code.Canceled, Code.Internal, Code.Unknown]);

function resumable(e: MageflowError): boolean {
  if (e.code === Code.Unavailable) return true;
  if (e.code === Code.ResourceExhausted && e.reason === "WATCH_TOO_SLOW") return true;
  // A connection cut mid-stream (socket reset, HTTP/2 stream cancelled) carries no ErrorInfo from the service.
  return e.domain === "" && CONNECTION_LOST.has(e.code);
}
