import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { RUN_STEPS } from "../../../core/status.js";
import { F } from "../../record.js";
import type * as S from "../../store.js";
import { reportable } from "../guard.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/**
 * FailTask (failTask-4.lua): records the error. Not final: stays ACTIVE (ATTEMPT_FAILED). Final: FAILED, error
 * callbacks dispatched with the error, success tree retired. A report on a FAILED signature answers the first outcome.
 */
export function failTask(db: MemoryState, key: string, runId: string, error: S.TaskErrorInput, final: boolean, guard: S.Guard): S.CompleteResult {
  const h = reportable(db, key, runId, guard, RUN_STEPS.fail);
  if (num(h, F.status) === RUN_STEPS.fail.to) return db.outcome(h);
  const tx = new Tx(db);
  h[F.error] = JSON.stringify(error);
  if (final) tx.fail(h, error);
  else tx.touch(h, EventType.ATTEMPT_FAILED);
  tx.commit();
  return db.outcome(h);
}
