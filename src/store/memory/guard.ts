import { notFound } from "../../core/service-error.js";
import type { Status } from "../../core/status.js";
import type { FlatRecord } from "../record.js";
import { F } from "../record.js";
import { refusals } from "../refusal-errors.js";
import type * as S from "../store.js";
import { num, type MemoryState } from "./memory-state.js";

// The checks every mutation makes, in the documented order (docs/semantics.md, "Every mutation");
// twin of redis/commands/includes/guard.lua.

export function mustExist(db: MemoryState, key: string) {
  const h = db.find(key);
  if (!h) throw notFound(key);
  return h;
}

export function hasLiveLock(h: FlatRecord, now: number) {
  return !!h[F.lockId] && num(h, F.lockExpire) > now;
}

export function refuseLocked(h: FlatRecord): never {
  throw refusals.locked(h[F.key], num(h, F.lockExpire), h[F.lockOwner] ?? "");
}

export function checkLock(db: MemoryState, h: FlatRecord, lockId: string | undefined) {
  if (hasLiveLock(h, db.opts.now()) && h[F.lockId] !== lockId) refuseLocked(h);
}

export function guarded(db: MemoryState, key: string, guard: S.Guard, o: { allowRemoved?: boolean } = {}) {
  const h = mustExist(db, key);
  if (!o.allowRemoved && h[F.removed] === "1") throw refusals.removed(key);
  checkLock(db, h, guard.lockId);
  if (guard.expectedRevision && guard.expectedRevision !== num(h, F.revision)) {
    throw refusals.revisionMismatch(key, String(guard.expectedRevision), h[F.revision]);
  }
  return h;
}

/** CompleteTask/FailTask: lease, run fence, removed, then the status `step` needs (or the one it leads to: a repeat). */
export function reportable(db: MemoryState, key: string, runId: string, guard: S.Guard, step: { from: Status; to: Status }) {
  const h = mustExist(db, key);
  checkLock(db, h, guard.lockId);
  if (!h[F.runId] || h[F.runId] !== runId) {
    throw refusals.staleRun(key, runId, h[F.runId] ?? "");
  }
  const status = num(h, F.status);
  if (status === step.to) return h;
  if (h[F.removed] === "1") throw refusals.removed(key);
  if (status !== step.from) throw refusals.status("TASK_NOT_ACTIVE", "report", status);
  return h;
}
