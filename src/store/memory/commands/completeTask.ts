import type { JsonValue } from "../../../core/json.js";
import { RUN_STEPS } from "../../../core/status.js";
import { F } from "../../record.js";
import type * as S from "../../store.js";
import { reportable } from "../guard.js";
import { num, type MemoryState } from "../memory-state.js";
import { json, Tx } from "../memory-tx.js";

const str = JSON.stringify;

/**
 * CompleteTask (completeTask-4.lua): ACTIVE -> DONE with the result; success callbacks get their first run with
 * base `{<their return_field_name>: result}`; the error tree is retired. A repeat answers the first outcome.
 */
export function completeTask(db: MemoryState, key: string, runId: string, result: JsonValue, guard: S.Guard): S.CompleteResult {
  const h = reportable(db, key, runId, guard, RUN_STEPS.complete);
  if (num(h, F.status) === RUN_STEPS.complete.to) return db.outcome(h);
  const tx = new Tx(db);
  h[F.result] = str(result);
  tx.setStatus(h, RUN_STEPS.complete.to);
  const dispatched = tx.dispatchCallbacks(json(h[F.successCallbacks]), (cb) => ({ [cb[F.returnFieldName]]: result }));
  h[F.dispatchedCallbacks] = str(dispatched);
  tx.retire(json(h[F.errorCallbacks]), true, true, new Set([key]));
  tx.commit();
  return db.outcome(h);
}
