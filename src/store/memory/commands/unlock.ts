import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { F } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import { hasLiveLock, mustExist } from "../guard.js";
import type { MemoryState } from "../memory-state.js";
import { writeOne } from "../memory-tx.js";

/** UnlockSignature (unlock-4.lua): releases the live lease. */
export function unlock(db: MemoryState, key: string, lockId: string) {
  const h = mustExist(db, key);
  if (!hasLiveLock(h, db.opts.now()) || h[F.lockId] !== lockId) throw refusals.lockMismatch(key);
  h[F.lockId] = "";
  h[F.lockOwner] = "";
  h[F.lockExpire] = "";
  return writeOne(db, h, EventType.UNLOCKED);
}
