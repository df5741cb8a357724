import { isDispatchable } from "../../../core/status.js";
import { F } from "../../record.js";
import type * as S from "../../store.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/**
 * The run of `attempt` can never be triggered (failDispatch-4.lua): a dispatchable signature ends as by a final
 * FailTask. Retires the outbox entry `outboxId` whatever the outcome.
 */
export function failDispatch(db: MemoryState, key: string, attempt: number, error: S.TaskErrorInput, outboxId?: string) {
  db.outbox.retire(outboxId);
  const h = db.find(key);
  if (!h || num(h, F.attempt) !== attempt || !isDispatchable(num(h, F.status), h[F.removed] === "1")) {
    return undefined;
  }
  const tx = new Tx(db);
  h[F.error] = JSON.stringify(error);
  tx.fail(h, error);
  tx.commit();
  return db.outcome(h);
}
