/**
 * Shared pieces of the live watch tests: a Connect client, a recording watch, a watcher that
 * resumes by itself, random writers, and the store's full event log in validator form.
 */
import { randomUUID } from "node:crypto";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import type { SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService, type WatchSignaturesResponse } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { Store, StoredEvent } from "../../src/store/store.js";
import { lastProgress, type WEvent, type WMessage, type WSession } from "../support/watch-validator.js";

export type SigClient = Client<typeof SignatureService>;

export function connectClient(baseUrl: string): SigClient {
  return createClient(SignatureService, createConnectTransport({ httpVersion: "2", baseUrl, useBinaryFormat: true }));
}

/** The same generated client over the gRPC protocol, to the grpc-js listener (`http://127.0.0.1:<grpc port>`). */
export function grpcClient(baseUrl: string): SigClient {
  return createClient(SignatureService, createGrpcTransport({ baseUrl }));
}

/** A client on its own connection with a small HTTP/2 receive window: when it stops reading, the server soon has to stop writing. */
export function narrowClient(baseUrl: string): SigClient {
  return createClient(
    SignatureService,
    createConnectTransport({ httpVersion: "2", baseUrl, useBinaryFormat: true, nodeOptions: { settings: { initialWindowSize: 8192 } } }),
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const toW = (e: SignatureEvent): WEvent => ({ revision: Number(e.revision), key: e.key, type: e.type, taskName: e.taskName, status: e.status });
const storedToW = (e: StoredEvent): WEvent => ({ revision: e.revision, key: e.key, type: e.type, taskName: e.record.taskName, status: e.record.status });

/** Every retained event of the store, in order. */
export async function readLog(store: Store): Promise<WEvent[]> {
  const out: WEvent[] = [];
  let from = 1;
  for (;;) {
    const batch = await store.events.range(from, 5000);
    if (batch.length === 0) return out;
    out.push(...batch.map(storedToW));
    from = batch[batch.length - 1].revision + 1;
  }
}

/** Polls `fn` until it returns true, failing after `ms`. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 10_000, every = 20) {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

export interface WatchRequest {
  startRevision?: number;
  sendInitial?: boolean;
  filter?: { keys?: string[]; taskNames?: string[]; statuses?: Status[] };
  progressMs?: number;
}

/** Turns a ConnectError into the session end the validator reads. */
export function endOf(e: unknown): NonNullable<WSession["end"]> {
  const ce = ConnectError.from(e);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  return { code: Code[ce.code], reason: info?.reason, metadata: info ? { ...info.metadata } : undefined };
}

export interface RecordedWatch {
  session: WSession;
  /** When each message arrived (Date.now()). */
  times: number[];
  /** Resolves when the stream has ended (never rejects; see session.end). */
  done: Promise<WSession>;
  /** Ends the stream from the client side. */
  cancel(): void;
  /** Stops reading (the stream backs up) until `resume()`. */
  pause(): void;
  resume(): void;
  /** Resolves once the watch has told its client about revision `rev` (events or bookmark). */
  reached(rev: number, ms?: number): Promise<void>;
  events(): WEvent[];
}

/** Opens a watch and records every message it receives. */
export function recordWatch(client: SigClient, req: WatchRequest, onMessage?: (m: WMessage) => void): RecordedWatch {
  const abort = new AbortController();
  const session: WSession = { startRevision: req.startRevision ?? 0, sendInitial: req.sendInitial, messages: [] };
  const times: number[] = [];
  let gate: Promise<void> | undefined;
  let openGate: (() => void) | undefined;
  const done = (async () => {
    try {
      const stream = client.watchSignatures(
        {
          startRevision: BigInt(req.startRevision ?? 0),
          sendInitial: req.sendInitial ?? false,
          filter: req.filter,
          progressInterval: req.progressMs ? durationFromMs(req.progressMs) : undefined,
        },
        { signal: abort.signal },
      );
      for await (const res of stream as AsyncIterable<WatchSignaturesResponse>) {
        const m: WMessage = { revision: Number(res.revision), bookmark: res.bookmark, events: res.events.map(toW) };
        session.messages.push(m);
        times.push(Date.now());
        onMessage?.(m);
        if (gate) await gate;
      }
      session.end = { code: "OK" };
    } catch (e) {
      session.end = endOf(e);
    }
    return session;
  })();
  return {
    session,
    times,
    done,
    cancel: () => abort.abort(),
    pause() {
      gate ??= new Promise<void>((r) => (openGate = r));
    },
    resume() {
      gate = undefined;
      openGate?.();
    },
    async reached(rev, ms = 10_000) {
      await until(`watch progress ${rev} (at ${lastProgress(session)}, end ${JSON.stringify(session.end)})`, () => {
        if (session.end && lastProgress(session) < rev) throw new Error(`watch ended at ${lastProgress(session)} before ${rev}: ${JSON.stringify(session.end)}`);
        return lastProgress(session) >= rev;
      }, ms);
    },
    events: () => session.messages.flatMap((m) => m.events),
  };
}

/**
 * A watcher that resumes by itself: whenever its stream ends (server gone, error, a forced
 * disconnect), it opens a new one at the last revision it was told about + 1.
 */
export class ResumingWatcher {
  readonly sessions: WSession[] = [];
  private current?: RecordedWatch;
  private stopped = false;
  private loop?: Promise<void>;
  private client: SigClient;

  constructor(
    readonly name: string,
    private readonly baseUrl: () => string,
    private readonly start: number,
    private readonly req: Omit<WatchRequest, "startRevision" | "sendInitial"> = {},
    /** connectClient (Connect port) or grpcClient (gRPC port), matching `baseUrl`. */
    private readonly makeClient: (baseUrl: string) => SigClient = connectClient,
  ) {
    this.client = makeClient(baseUrl());
  }

  run() {
    this.loop = (async () => {
      let next = this.start;
      while (!this.stopped) {
        const w = recordWatch(this.client, { ...this.req, startRevision: next });
        this.current = w;
        this.sessions.push(w.session);
        await w.done;
        next = Math.max(next - 1, lastProgress(w.session)) + 1;
        if (!this.stopped && w.session.messages.length === 0) await sleep(100);
      }
    })();
    return this;
  }

  /** The newest revision this watcher has been told about. */
  get progress() {
    return Math.max(this.start - 1, ...this.sessions.map(lastProgress));
  }

  /** Drops the stream and the connection (a client-side disconnect); the watcher reconnects on a new one. */
  disconnect() {
    this.client = this.makeClient(this.baseUrl());
    this.current?.cancel();
  }

  async stop() {
    this.stopped = true;
    this.current?.cancel();
    await this.loop;
  }
}

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)],
    chance: (p: number) => next() < p,
  };
}

export type Rng = ReturnType<typeof rng>;

/**
 * One random mutation through the API. Creates signatures (some with callbacks), updates,
 * suspends/resumes, locks/unlocks, removes (several events in one revision) and deletes.
 * Errors (server down, illegal transition) are swallowed: the store's log is the truth.
 * Returns "OK" or the gRPC code name of the error.
 */
export async function randomOp(client: SigClient, r: Rng, keys: string[], taskNames: readonly string[], timeoutMs = 2000): Promise<string> {
  const opts = { timeoutMs };
  const key = keys.length > 0 ? r.pick(keys) : undefined;
  const roll = r.int(100);
  try {
    if (!key || roll < 30) {
      const callbacks = keys.length > 1 && r.chance(0.4) ? [r.pick(keys)] : [];
      const res = await client.createSignature(
        { taskName: r.pick(taskNames), kwargs: { n: r.int(1000) }, successCallbacks: callbacks, requestId: randomUUID(), taskStatus: r.chance(0.3) ? Status.SUSPENDED : Status.PENDING },
        opts,
      );
      keys.push(res.signature!.key);
    } else if (roll < 55) {
      await client.updateSignature({ key, kwargs: { n: r.int(1000) } }, opts);
    } else if (roll < 65) {
      await client.suspendSignature({ key }, opts);
    } else if (roll < 75) {
      await client.resumeSignature({ key }, opts);
    } else if (roll < 83) {
      const { lockId } = await client.lockSignature({ key, owner: "writer", ttl: durationFromMs(5000) }, opts);
      await client.unlockSignature({ key, lockId }, opts);
    } else if (roll < 93) {
      await client.removeSignature({ key, withSuccess: true, withError: true }, opts);
    } else {
      await client.deleteSignature({ key }, opts);
      keys.splice(keys.indexOf(key), 1);
    }
    return "OK";
  } catch (e) {
    return Code[ConnectError.from(e).code];
  }
}

/** A signature created with one success callback: removing it with_success writes two events in one revision. */
export async function createPair(client: SigClient, taskName = "pair") {
  const cb = await client.createSignature({ taskName: `${taskName}-cb`, kwargs: {} });
  const parent = await client.createSignature({ taskName, kwargs: {}, successCallbacks: [cb.signature!.key] });
  return { parent: parent.signature!.key, callback: cb.signature!.key };
}

/** The store revision, as the API reports it (a throwaway signature's revision would change it; use a bookmark instead). */
export async function currentRevision(client: SigClient): Promise<number> {
  const w = recordWatch(client, { progressMs: 100 });
  await until("a bookmark", () => w.session.messages.some((m) => m.bookmark), 5000, 10);
  w.cancel();
  await w.done;
  return w.session.messages.find((m) => m.bookmark)!.revision;
}

export const errorInfo = (e: unknown) => ConnectError.from(e).findDetails(ErrorInfoSchema)[0];
