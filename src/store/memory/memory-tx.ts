import { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import type { JsonObject } from "../../core/json.js";
import { IN_FLIGHT, isDispatchable, isTerminal, newRunState, PARKING, RUN_STEPS, RUNNABLE, type Status } from "../../core/status.js";
import { decodeRecord, DispatchState, eventFlat, F, type FlatRecord } from "../record.js";
import type * as S from "../store.js";
import { num, type MemoryState } from "./memory-state.js";

const str = JSON.stringify;

/** Set by memory-containers.ts (the twin of includes/containers.lua): a child that ends tells its container. */
export const containerHook: { childEnded?: (db: MemoryState, tx: Tx, h: FlatRecord) => void } = {};

type PendingEvent = { type: EventType; key: string; time: number; flat: FlatRecord };

/** The changes of one mutation, committed under one revision. */
export class Tx {
  private readonly events: PendingEvent[] = [];
  private readonly outboxEntries: { draft: S.OutboxDraft; h?: FlatRecord }[] = [];
  private readonly touched: FlatRecord[] = [];
  private readonly now: number;

  private readonly opts: S.StoreOptions;

  constructor(private readonly store: MemoryState) {
    this.opts = store.opts;
    this.now = this.opts.now();
  }

  touch(h: FlatRecord, type: EventType) {
    if (!this.touched.includes(h)) this.touched.push(h);
    this.events.push({ type, key: h[F.key], time: this.now, flat: h });
  }

  setStatus(h: FlatRecord, to: Status) {
    const from = h[F.status];
    h[F.lastStatus] = from;
    h[F.status] = String(to);
    this.store.index.moveStatus(h, from);
    this.touch(h, EventType.STATUS_CHANGED);
    if (isTerminal(to) && h[F.containerKey]) containerHook.childEnded?.(this.store, this, h);
  }

  newRun(h: FlatRecord, attempt: number, state: DispatchState) {
    h[F.attempt] = String(attempt);
    h[F.runId] = "";
    h[F.dispatchTime] = String(this.now);
    h[F.dispatchState] = String(state);
    this.touch(h, EventType.RUN_QUEUED);
    if (state === DispatchState.QUEUED) this.outboxEntries.push({ draft: { kind: "trigger", key: h[F.key], attempt }, h });
  }

  requeue(h: FlatRecord) {
    this.newRun(h, num(h, F.attempt) + 1, DispatchState.QUEUED);
  }

  enqueueCancel(key: string, runId: string) {
    this.outboxEntries.push({ draft: { kind: "cancel", key, runId } });
  }

  cancelRun(h: FlatRecord, from: Status) {
    if (IN_FLIGHT.includes(from) && h[F.runId]) this.enqueueCancel(h[F.key], h[F.runId]);
  }

  /** FAILED (RUN_STEPS.fail.to) with error callbacks dispatched (with `input`, default the last input) and the success tree retired. */
  fail(h: FlatRecord, error: S.TaskErrorInput, given?: JsonObject) {
    this.setStatus(h, RUN_STEPS.fail.to);
    const input = given ?? (h[F.lastInput] ? (JSON.parse(h[F.lastInput]) as JsonObject) : {});
    const dispatched = this.dispatchCallbacks(json(h[F.errorCallbacks]), () => ({ ...input, mageflow_error: { ...error } }));
    h[F.dispatchedCallbacks] = str(dispatched);
    this.retire(json(h[F.successCallbacks]), true, true, new Set([h[F.key]]));
  }

  dispatchCallbacks(keys: string[], base: (cb: FlatRecord) => JsonObject) {
    const out: string[] = [];
    for (const k of keys) {
      const cb = this.store.find(k);
      if (!cb || cb[F.removed] === "1" || num(cb, F.attempt) > 0 || cb[F.containerKey]) continue;
      const status = num(cb, F.status);
      if (!RUNNABLE.includes(status)) continue;
      cb[F.base] = str(base(cb));
      this.newRun(cb, 1, newRunState(status));
      out.push(k);
    }
    return out;
  }

  /**
   * Retires `roots` and, recursively, their callbacks: at the roots only the branches the
   * flags select, below them both. Returns the retired keys.
   */
  retire(roots: string[], withError: boolean, withSuccess: boolean, visited = new Set<string>()) {
    const out: string[] = [];
    const queue: Array<[string, boolean, boolean]> = roots.map((k) => [k, withError, withSuccess]);
    while (queue.length > 0) {
      const [k, followError, followSuccess] = queue.shift()!;
      if (visited.has(k)) continue;
      visited.add(k);
      const h = this.store.find(k);
      if (!h || h[F.removed] === "1") continue;
      h[F.removed] = "1";
      if (!isTerminal(num(h, F.status)) && h[F.runId]) this.enqueueCancel(k, h[F.runId]);
      this.touch(h, EventType.REMOVED);
      out.push(k);
      if (followError) for (const e of json<string[]>(h[F.errorCallbacks])) queue.push([e, true, true]);
      if (followSuccess) for (const e of json<string[]>(h[F.successCallbacks])) queue.push([e, true, true]);
      for (const child of json<string[]>(h[F.children])) queue.push([child, true, true]);
    }
    return out;
  }

  /**
   * A QUEUED run (no engine run yet) of a signature that is no longer dispatchable, or is `gone`, is
   * withdrawn: its outbox entry is retired, so the engine never sees it; in a PARKING status it is PARKED.
   */
  withdrawQueuedRun(h: FlatRecord, gone: boolean) {
    if (num(h, F.dispatchState) !== DispatchState.QUEUED || h[F.runId]) return;
    const status: Status = num(h, F.status);
    if (isDispatchable(status, h[F.removed] === "1") && !gone) return;
    this.store.outbox.retire(h[F.outboxEntry]);
    h[F.outboxEntry] = "";
    if (PARKING.includes(status)) h[F.dispatchState] = String(DispatchState.PARKED);
  }

  commit(): number {
    for (const { draft, h } of this.outboxEntries) {
      const entry = h ? { ...draft, record: decodeRecord({ ...h }, this.now) } : draft;
      const id = this.store.outbox.add(entry);
      if (h) h[F.outboxEntry] = id;
    }
    if (this.events.length === 0) return 0;
    for (const h of this.touched) {
      this.withdrawQueuedRun(h, false);
      const done = isTerminal(num(h, F.status)) || h[F.removed] === "1";
      h[F.updateTime] = String(this.now);
      h[F.expireTime] = String(this.now + (done ? this.opts.doneTtlMs : this.opts.activeTtlMs));
    }
    return this.store.commit((revision) => {
      for (const h of this.touched) {
        h[F.revision] = String(revision);
        this.store.quota.account(h[F.key], h);
      }
      return this.events.map((e) => ({
        revision,
        type: e.type,
        key: e.key,
        time: e.time,
        record: decodeRecord(eventFlat(e.flat), e.time),
      }));
    });
  }
}

export const json = <T = string[]>(s: string | undefined): T => (s ? JSON.parse(s) : []) as T;

/** A step that changes only `h`, with one event of `type`. */
export function writeOne(db: MemoryState, h: FlatRecord, type: EventType): S.MutationResult {
  const tx = new Tx(db);
  tx.touch(h, type);
  tx.commit();
  return db.changed(h);
}
