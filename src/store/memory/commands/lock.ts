import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { F } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import { hasLiveLock, mustExist, refuseLocked } from "../guard.js";
import type { MemoryState } from "../memory-state.js";
import { writeOne } from "../memory-tx.js";

/** LockSignature (lock-4.lua): takes a lease, or renews the live one. */
export function lock(db: MemoryState, c: S.LockCommand): S.MutationResult {
  const h = mustExist(db, c.key);
  if (h[F.removed] === "1") throw refusals.removed(c.key);
  const now = db.opts.now();
  if (c.renewLockId) {
    if (!hasLiveLock(h, now) || h[F.lockId] !== c.renewLockId) throw refusals.lockMismatch(c.key);
  } else {
    if (hasLiveLock(h, now)) refuseLocked(h);
    h[F.lockId] = c.newLockId;
  }
  h[F.lockOwner] = c.owner;
  h[F.lockExpire] = String(now + c.ttlMs);
  return writeOne(db, h, EventType.LOCKED);
}
