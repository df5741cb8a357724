import { setTimeout } from "node:timers/promises";
import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import type { JsonObject } from "../core/json.js";
import { schemaViolations } from "../core/input-schema.js";
import { composeRunInput } from "../core/run-input.js";
import { isDispatchable } from "../core/status.js";
import type { OutboxEntry, Store } from "../store/store.js";
import { DispatchError, type Dispatcher } from "./dispatcher.js";
import { Reconciler, type ReconcileOptions } from "./reconciler.js";

export interface DispatchLoopOptions {
  /** Entries a crashed peer left unacknowledged this long are taken over. */
  claimIdleMs: number;
  maxBackoffMs: number;
  log: (msg: string) => void;
  /** Follow every triggered run at the engine until it ends (docs/hatchet.md, reconciliation); off without. */
  reconcile?: ReconcileOptions;
  /**
   * Entries handled at once. Each holds at most one signature (a bounded request), so this bounds the bytes
   * too; while the engine is down, entries wait in the store, not in this process.
   */
  maxInFlight: number;
}

const DEFAULTS: DispatchLoopOptions = { claimIdleMs: 15_000, maxBackoffMs: 30_000, log: () => {}, maxInFlight: 64 };

/**
 * Drains the store's outbox into the engine. Every server process runs one; they share
 * the work through the outbox's consumer group, and take over what a crashed peer left.
 * An entry is acknowledged only after its effect is recorded, by the step that records it
 * (at-least-once; duplicate engine runs are fenced at StartTask).
 */
export class DispatchLoop {
  readonly consumer = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private running = false;
  /** Ends backoff waits at stop: an entry left unacknowledged is retried by the next server. */
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly handling = new Set<string>();
  private readonly opts: DispatchLoopOptions;
  readonly reconciler?: Reconciler;

  constructor(
    private readonly store: Store,
    private readonly dispatcher: Dispatcher,
    opts: Partial<DispatchLoopOptions> = {},
  ) {
    this.opts = { ...DEFAULTS, ...opts };
    if (this.opts.reconcile) this.reconciler = new Reconciler(store, this.opts.reconcile, this.opts.log);
  }

  start() {
    this.running = true;
    this.loop = this.run();
    this.reconciler?.start();
  }

  async stop() {
    this.running = false;
    this.stopping.abort();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
    await this.reconciler?.stop();
  }

  private async run() {
    let lastClaim = 0;
    let failures = 0;
    while (this.running) {
      if (this.inFlight.size >= this.opts.maxInFlight) {
        await Promise.race([...this.inFlight, sleep(500, this.stopping.signal)]);
        continue;
      }
      try {
        const entries = await this.store.outbox.read(this.consumer, Math.min(32, this.opts.maxInFlight - this.inFlight.size), 500);
        let stale: OutboxEntry[] = [];
        const room = this.opts.maxInFlight - this.inFlight.size - entries.length;
        if (room > 0 && Date.now() - lastClaim > this.opts.claimIdleMs / 3) {
          lastClaim = Date.now();
          stale = await this.store.outbox.claimStale(this.consumer, this.opts.claimIdleMs, Math.min(32, room));
        }
        failures = 0;
        for (const e of entries) this.track(e, true);
        for (const e of stale) this.track(e, false);
      } catch (err) {
        if (!this.running) break;
        this.opts.log(`outbox read failed: ${(err as Error).message}`);
        await sleep(Math.min(this.opts.maxBackoffMs, 100 * 2 ** failures++), this.stopping.signal);
      }
    }
  }

  /**
   * An entry already being handled here is not handled twice: a Redis failover can lose the read that
   * assigned it to this consumer, and the new primary then delivers it again.
   */
  private track(e: OutboxEntry, fresh: boolean) {
    if (this.handling.has(e.id)) return;
    this.handling.add(e.id);
    const p = this.handle(e, fresh).finally(() => this.handling.delete(e.id));
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  /** `fresh`: first delivered now, so the signature a trigger carries is as recent as a read would be. */
  private async handle(e: OutboxEntry, fresh: boolean) {
    const accepted: Accepted = {};
    for (let attempt = 0; this.running; attempt++) {
      try {
        await this.step(e, fresh && attempt === 0, accepted);
        return;
      } catch (err) {
        // Also a store that failed while recording a permanent failure: the whole step is retried.
        this.opts.log(`${e.kind} of ${e.key} failed (will retry): ${(err as Error).message}`);
        await sleep(Math.min(this.opts.maxBackoffMs, 200 * 2 ** attempt), this.stopping.signal);
      }
    }
  }

  private async step(e: OutboxEntry, fresh: boolean, accepted: Accepted) {
    try {
      if (e.kind === "cancel") await this.dispatcher.cancel(e.runId);
      const retired = e.kind === "trigger" && (await this.trigger(e, fresh, accepted));
      if (!retired) await this.store.outbox.ack([e.id]);
    } catch (err) {
      if (!(err instanceof DispatchError && err.permanent)) throw err;
      if (e.kind === "trigger") {
        await this.store.failDispatch(e.key, e.attempt, { message: err.message, type: err.type, attempt: e.attempt }, e.id);
      } else {
        this.opts.log(`cancel of ${e.runId} refused: ${err.message}`);
        await this.store.outbox.ack([e.id]);
      }
    }
  }

  /**
   * Returns whether the entry was retired with the step that recorded its outcome. A fresh entry's own copy
   * of the signature is used: a change that made the run undispatchable since has withdrawn the entry, or is
   * answered by markDispatched (which cancels the engine run). A retried or reclaimed entry reads it anew.
   */
  private async trigger({ id, key, attempt, record }: OutboxEntry & { kind: "trigger" }, fresh: boolean, accepted: Accepted): Promise<boolean> {
    if (accepted.runId !== undefined) return this.record(id, key, attempt, accepted);
    const r = (fresh && record) || (await this.store.get(key));
    if (!r || r.run?.attempt !== attempt || r.run.runId || !isDispatchable(r.status, r.removed)) return false;
    const composed = r.run.lastInput === undefined;
    const input: JsonObject = r.run.lastInput ?? composeRunInput(r.run.base ?? {}, r.kwargs);
    if (composed && r.inputSchema) {
      const bad = schemaViolations(r.inputSchema, input);
      if (bad.length > 0) {
        throw new DispatchError(`input does not match the input schema: ${bad.map((b) => `${b.field} ${b.description}`).join("; ")}`, true, "INPUT_INVALID");
      }
    }
    const { runId } = await this.dispatcher.trigger({
      key,
      taskName: r.taskName,
      input,
      metadata: { ...r.metadata, ...r.run.metadata, task_id: key },
      attempt,
    });
    accepted.runId = runId;
    accepted.input = composed ? input : undefined;
    return this.record(id, key, attempt, accepted);
  }

  /** Records a run the engine accepted; retried on its own when the store fails, never triggered again. */
  private async record(id: string, key: string, attempt: number, accepted: Accepted): Promise<boolean> {
    const recorded = await this.store.markDispatched(key, attempt, accepted.runId!, accepted.input, id);
    if (recorded) this.reconciler?.track(recorded.record);
    return true;
  }
}

/** The engine's answer to this process's trigger of one outbox entry, kept while the entry is retried. */
interface Accepted {
  runId?: string;
  input?: JsonObject;
}

const sleep = (ms: number, signal: AbortSignal) => setTimeout(ms, undefined, { signal }).catch(() => undefined);
