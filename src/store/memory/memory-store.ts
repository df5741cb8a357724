import { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import { notFound } from "../../core/service-error.js";
import { refusals } from "../refusal-errors.js";
import type { JsonObject, JsonValue } from "../../core/json.js";
import { composeRunInput } from "../../core/run-input.js";
import { CANCEL_ON_DISPATCH, isDispatchable, newRunState, refusalReason, RUN_STEPS, RUNNABLE, START_SKIP_REASONS, type Status, type TransitionRule } from "../../core/status.js";
import { decodeRecord, DispatchState, F, newFlatRecord, type FlatRecord } from "../record.js";
import type * as S from "../store.js";
import { CreationIndex } from "./creation-index.js";
import { MemoryEventLog } from "./memory-events.js";
import { json, Tx } from "./memory-tx.js";
import { MemoryOutbox } from "./memory-outbox.js";

const str = JSON.stringify;
const num = (h: FlatRecord, f: string) => Number(h[f] || 0);

/**
 * The embedded store. Each mutation runs synchronously between two awaits, so it is as
 * atomic as a Redis script; a `Tx` collects its events and outbox entries and commits
 * them with one new revision.
 */
export class MemoryStore implements S.Store {
  readonly kind = "memory";
  private revision = 0;
  private readonly sigs = new Map<string, FlatRecord>();
  private readonly byCreation = new CreationIndex();
  private readonly requests = new Map<string, { key: string; expireAt: number }>();
  private readonly log: MemoryEventLog;
  readonly outbox: MemoryOutbox;
  readonly events: MemoryEventLog;
  private sweeper: NodeJS.Timeout;

  constructor(private readonly opts: S.StoreOptions) {
    this.log = new MemoryEventLog(opts.historyMax, () => this.revision);
    this.events = this.log;
    this.outbox = new MemoryOutbox(opts.now);
    this.sweeper = setInterval(() => this.sweep(), 1000);
    this.sweeper.unref();
  }

  async get(key: string) {
    const h = this.find(key);
    return h && decodeRecord(h, this.opts.now());
  }

  async getMany(keys: string[]) {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async list(q: S.ListQuery): Promise<S.ListPage> {
    const [cTime, cKey] = q.cursor ? (JSON.parse(q.cursor) as [number, string]) : [Infinity, ""];
    const now = this.opts.now();
    const page: FlatRecord[] = [];
    let more = false;
    for (const key of this.byCreation.after(cTime, cKey)) {
      const h = this.sigs.get(key);
      if (!h || num(h, F.expireTime) <= now) continue;
      const t = num(h, F.creationTime);
      if (q.createdBefore !== undefined && t >= q.createdBefore) continue;
      if (q.createdAfter !== undefined && t < q.createdAfter) break;
      if (q.statuses.length > 0 && !q.statuses.includes(num(h, F.status))) continue;
      if (q.taskName && h[F.taskName] !== q.taskName) continue;
      if (page.length === q.pageSize) {
        more = true;
        break;
      }
      page.push(h);
    }
    const last = page[page.length - 1];
    return {
      records: page.map((h) => decodeRecord(h, now)),
      cursor: more && last ? str([num(last, F.creationTime), last[F.key]]) : undefined,
    };
  }

  async create(c: S.CreateCommand): Promise<S.MutationResult> {
    const now = this.opts.now();
    if (c.requestId) {
      const seen = this.requests.get(c.requestId);
      const h = seen && seen.expireAt > now ? this.find(seen.key) : undefined;
      if (h) return { record: decodeRecord(h, now), changed: false };
    }
    const missing = [...c.successCallbacks, ...c.errorCallbacks].filter((k) => {
      const h = this.find(k);
      return !h || h[F.removed] === "1";
    });
    if (missing.length > 0) {
      throw refusals.callbacksNotFound(missing);
    }
    const h = newFlatRecord(c);
    this.forget(c.key);
    this.sigs.set(c.key, h);
    this.byCreation.insert(c.creationTime, c.key);
    const tx = this.tx();
    tx.touch(h, EventType.CREATED);
    tx.commit();
    if (c.requestId) this.requests.set(c.requestId, { key: c.key, expireAt: now + this.opts.requestIdTtlMs });
    return { record: decodeRecord(h, now), changed: true };
  }

  async update(u: S.UpdateCommand) {
    const h = this.guarded(u.key, u.guard);
    const patch = (f: string, value: object | undefined, replace = false) => {
      if (value) h[f] = str(replace ? value : { ...JSON.parse(h[f] || "{}"), ...value });
    };
    patch(F.kwargs, u.kwargs, u.replace?.includes("kwargs"));
    patch(F.metadata, u.metadata, u.replace?.includes("metadata"));
    if (u.inputSchema !== undefined) h[F.inputSchema] = u.inputSchema ? str(u.inputSchema) : "";
    if (u.returnFieldName !== undefined) h[F.returnFieldName] = u.returnFieldName;
    return this.single(h, EventType.UPDATED);
  }

  async delete(key: string, guard: S.Guard) {
    const h = this.guarded(key, guard, { allowRemoved: true });
    const tx = this.tx();
    tx.touch(h, EventType.DELETED);
    tx.withdrawQueuedRun(h, true);
    const rev = tx.commit();
    this.forget(key);
    return rev;
  }

  async remove(key: string, withError: boolean, withSuccess: boolean, guard: S.Guard): Promise<S.RemoveResult> {
    const h = this.guarded(key, guard, { allowRemoved: true });
    if (h[F.removed] === "1") return { keys: [], revision: this.revision };
    const tx = this.tx();
    const keys = tx.retire([key], withError, withSuccess);
    return { keys, revision: tx.commit() };
  }

  async transition(key: string, rule: TransitionRule, guard: S.Guard) {
    const h = this.guarded(key, guard);
    const from = num(h, F.status);
    if (rule.noop.includes(from)) return this.unchanged(h);
    if (!rule.from.includes(from)) throw refusals.status(refusalReason(rule, from), rule.name, from);
    const tx = this.tx();
    tx.setStatus(h, rule.to);
    if (rule.cancelRun) tx.cancelRun(h, from);
    if (rule.redispatch && num(h, F.attempt) > 0) tx.requeue(h);
    if (rule.retireCallbacks) {
      const cbs = [...json<string[]>(h[F.successCallbacks]), ...json<string[]>(h[F.errorCallbacks])];
      tx.retire(cbs, true, true, new Set([key]));
    }
    tx.commit();
    return this.changed(h);
  }

  async run(c: S.RunCommand): Promise<S.RunResult> {
    const h = this.guarded(c.key, c.guard);
    const status: Status = num(h, F.status);
    if (num(h, F.attempt) > 0) {
      if (c.requestId && c.requestId === h[F.runRequestId]) return this.unchanged(h);
      throw refusals.alreadyDispatched(c.key, h[F.runId] ?? "");
    }
    if (!RUNNABLE.includes(status)) throw refusals.status("INVALID_TRANSITION", "run", status);
    if (!c.input && h[F.inputSchema]) return { ...this.unchanged(h), validate: true };
    const input = c.input ?? composeRunInput(c.message ?? {}, JSON.parse(h[F.kwargs] || "{}") as JsonObject);
    const tx = this.tx();
    h[F.lastInput] = str(input);
    h[F.runRequestId] = c.requestId;
    h[F.runMetadata] = str(c.metadata);
    tx.newRun(h, 1, newRunState(status));
    tx.commit();
    return this.changed(h);
  }

  async lock(c: S.LockCommand) {
    const h = this.existing(c.key);
    if (h[F.removed] === "1") throw refusals.removed(c.key);
    const now = this.opts.now();
    const live = h[F.lockId] && num(h, F.lockExpire) > now;
    if (c.renewLockId) {
      if (!live || h[F.lockId] !== c.renewLockId) throw refusals.lockMismatch(c.key);
    } else {
      if (live) throw refusals.locked(h[F.key], num(h, F.lockExpire), h[F.lockOwner] ?? "");
      h[F.lockId] = c.newLockId;
    }
    h[F.lockOwner] = c.owner;
    h[F.lockExpire] = String(now + c.ttlMs);
    return this.single(h, EventType.LOCKED);
  }

  async unlock(key: string, lockId: string) {
    const h = this.existing(key);
    const live = h[F.lockId] && num(h, F.lockExpire) > this.opts.now();
    if (!live || h[F.lockId] !== lockId) throw refusals.lockMismatch(key);
    h[F.lockId] = "";
    h[F.lockOwner] = "";
    h[F.lockExpire] = "";
    return this.single(h, EventType.UNLOCKED);
  }

  async startTask(key: string, runId: string, _attempt: number, guard: S.Guard): Promise<S.StartDecision> {
    const h = this.existing(key);
    this.checkLock(h, guard.lockId);
    const skip = (reason: string) => ({ run: false as const, reason, record: decodeRecord(h, this.opts.now()) });
    if (h[F.removed] === "1") return skip("SIGNATURE_REMOVED");
    if (num(h, F.attempt) === 0) return skip("STALE_RUN");
    const adopt = !h[F.runId] && num(h, F.dispatchState) === DispatchState.QUEUED;
    if (!adopt && h[F.runId] !== runId) return skip("STALE_RUN");
    const status: Status = num(h, F.status);
    const skipReason = START_SKIP_REASONS[status];
    if (skipReason) return skip(skipReason);
    if (status === RUN_STEPS.start.to) return { run: true, record: decodeRecord(h, this.opts.now()) };
    const tx = this.tx();
    h[F.runId] = runId;
    h[F.dispatchState] = String(DispatchState.TRIGGERED);
    tx.setStatus(h, RUN_STEPS.start.to);
    tx.commit();
    return { run: true, record: decodeRecord(h, this.opts.now()) };
  }

  async completeTask(key: string, runId: string, result: JsonValue, guard: S.Guard): Promise<S.CompleteResult> {
    const h = this.reportable(key, runId, guard, RUN_STEPS.complete);
    if (num(h, F.status) === RUN_STEPS.complete.to) return this.outcome(h);
    const tx = this.tx();
    h[F.result] = str(result);
    tx.setStatus(h, RUN_STEPS.complete.to);
    const dispatched = tx.dispatchCallbacks(json(h[F.successCallbacks]), (cb) => ({ [cb[F.returnFieldName]]: result }));
    h[F.dispatchedCallbacks] = str(dispatched);
    tx.retire(json(h[F.errorCallbacks]), true, true, new Set([key]));
    tx.commit();
    return this.outcome(h);
  }

  async failTask(key: string, runId: string, error: S.TaskErrorInput, final: boolean, guard: S.Guard) {
    const h = this.reportable(key, runId, guard, RUN_STEPS.fail);
    if (num(h, F.status) === RUN_STEPS.fail.to) return this.outcome(h);
    const tx = this.tx();
    h[F.error] = str(error);
    if (!final) {
      tx.touch(h, EventType.ATTEMPT_FAILED);
      tx.commit();
      return this.outcome(h);
    }
    tx.fail(h, error);
    tx.commit();
    return this.outcome(h);
  }

  async markDispatched(key: string, attempt: number, runId: string, input: JsonObject | undefined, outboxId?: string) {
    this.outbox.retire(outboxId);
    const h = this.find(key);
    const taken = h && num(h, F.attempt) === attempt && num(h, F.dispatchState) !== DispatchState.PARKED;
    const tx = this.tx();
    if (!taken || h[F.runId]) {
      if (!(taken && h[F.runId] === runId)) tx.enqueueCancel(key, runId);
      tx.commit();
      return undefined;
    }
    h[F.runId] = runId;
    if (input) h[F.lastInput] = str(input);
    if (num(h, F.dispatchState) === DispatchState.QUEUED) h[F.dispatchState] = String(DispatchState.TRIGGERED);
    if (h[F.removed] === "1" || CANCEL_ON_DISPATCH.includes(num(h, F.status))) tx.enqueueCancel(key, runId);
    tx.touch(h, EventType.DISPATCHED);
    tx.commit();
    return this.changed(h);
  }

  async failDispatch(key: string, attempt: number, error: S.TaskErrorInput, outboxId?: string) {
    this.outbox.retire(outboxId);
    const h = this.find(key);
    if (!h || num(h, F.attempt) !== attempt || !isDispatchable(num(h, F.status), h[F.removed] === "1")) {
      return undefined;
    }
    const tx = this.tx();
    h[F.error] = str(error);
    tx.fail(h, error);
    tx.commit();
    return this.outcome(h);
  }

  async currentRevision() {
    return this.revision;
  }

  async ping() {}

  async close() {
    clearInterval(this.sweeper);
  }

  private tx() {
    return new Tx(this, this.opts);
  }

  /** Commits one mutation's events under the next revision. */
  commit(stamp: (revision: number) => S.StoredEvent[]) {
    const revision = ++this.revision;
    this.log.append(stamp(revision));
    return revision;
  }

  find(key: string): FlatRecord | undefined {
    const h = this.sigs.get(key);
    if (h && num(h, F.expireTime) <= this.opts.now()) {
      this.forget(key);
      return undefined;
    }
    return h;
  }

  private forget(key: string) {
    const h = this.sigs.get(key);
    if (!h) return;
    this.sigs.delete(key);
    this.byCreation.remove(num(h, F.creationTime), key);
  }

  private existing(key: string) {
    const h = this.find(key);
    if (!h) throw notFound(key);
    return h;
  }

  private guarded(key: string, guard: S.Guard, o: { allowRemoved?: boolean } = {}) {
    const h = this.existing(key);
    if (!o.allowRemoved && h[F.removed] === "1") throw refusals.removed(key);
    this.checkLock(h, guard.lockId);
    if (guard.expectedRevision && guard.expectedRevision !== num(h, F.revision)) {
      throw refusals.revisionMismatch(key, String(guard.expectedRevision), h[F.revision]);
    }
    return h;
  }

  private checkLock(h: FlatRecord, lockId: string | undefined) {
    if (h[F.lockId] && num(h, F.lockExpire) > this.opts.now() && h[F.lockId] !== lockId) throw refusals.locked(h[F.key], num(h, F.lockExpire), h[F.lockOwner] ?? "");
  }

  /** Worker-report preconditions: lease, run fence, removed, then the status `step` needs (or the one it leads to). */
  private reportable(key: string, runId: string, guard: S.Guard, step: { from: Status; to: Status }) {
    const h = this.existing(key);
    this.checkLock(h, guard.lockId);
    if (!h[F.runId] || h[F.runId] !== runId) {
      throw refusals.staleRun(key, runId, h[F.runId] ?? "");
    }
    const status = num(h, F.status);
    if (status === step.to) return h;
    if (h[F.removed] === "1") throw refusals.removed(key);
    if (status !== step.from) throw refusals.status("TASK_NOT_ACTIVE", "report", status);
    return h;
  }

  private single(h: FlatRecord, type: EventType) {
    const tx = this.tx();
    tx.touch(h, type);
    tx.commit();
    return this.changed(h);
  }

  private changed(h: FlatRecord): S.MutationResult {
    return { record: decodeRecord(h, this.opts.now()), changed: true };
  }

  private unchanged(h: FlatRecord): S.MutationResult {
    return { record: decodeRecord(h, this.opts.now()), changed: false };
  }

  private outcome(h: FlatRecord): S.CompleteResult {
    const record = decodeRecord(h, this.opts.now());
    return { record, dispatched: record.run?.dispatchedCallbacks ?? [] };
  }

  private sweep() {
    const now = this.opts.now();
    for (const [k, h] of this.sigs) if (num(h, F.expireTime) <= now) this.forget(k);
    for (const [id, r] of this.requests) if (r.expireAt <= now) this.requests.delete(id);
  }
}
