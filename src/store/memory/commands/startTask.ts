import { RUN_STEPS, START_SKIP_REASONS, type Status } from "../../../core/status.js";
import { DispatchState, F } from "../../record.js";
import type * as S from "../../store.js";
import { checkLock, mustExist } from "../guard.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** StartTask (startTask-4.lua): decides RUN or SKIP for the reported engine run; RUN on PENDING makes it ACTIVE. */
export function startTask(db: MemoryState, key: string, runId: string, guard: S.Guard): S.StartDecision {
  const h = mustExist(db, key);
  checkLock(db, h, guard.lockId);
  const skip = (reason: string) => ({ run: false as const, reason, record: db.decode(h) });
  if (h[F.removed] === "1") return skip("SIGNATURE_REMOVED");
  if (num(h, F.attempt) === 0) return skip("STALE_RUN");
  // A QUEUED run without a run id yet adopts the reported one: the first start wins.
  const adopt = !h[F.runId] && num(h, F.dispatchState) === DispatchState.QUEUED;
  if (!adopt && h[F.runId] !== runId) return skip("STALE_RUN");
  const status: Status = num(h, F.status);
  const skipReason = START_SKIP_REASONS[status];
  if (skipReason) return skip(skipReason);
  if (status === RUN_STEPS.start.to) return { run: true, record: db.decode(h) };
  const tx = new Tx(db);
  h[F.runId] = runId;
  h[F.dispatchState] = String(DispatchState.TRIGGERED);
  tx.setStatus(h, RUN_STEPS.start.to);
  tx.commit();
  return { run: true, record: db.decode(h) };
}
