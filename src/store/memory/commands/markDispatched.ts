import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import type { JsonObject } from "../../../core/json.js";
import { CANCEL_ON_DISPATCH } from "../../../core/status.js";
import { DispatchState, F } from "../../record.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/**
 * The dispatcher recorded the engine's run id for the run of `attempt` (markDispatched-4.lua). An engine run the
 * signature does not take is cancelled at the engine; so is the run of a removed signature or one in a
 * CANCEL_ON_DISPATCH status, which is recorded. Retires the outbox entry `outboxId` whatever the outcome.
 */
export function markDispatched(db: MemoryState, key: string, attempt: number, runId: string, input: JsonObject | undefined, outboxId?: string) {
  db.outbox.retire(outboxId);
  const h = db.find(key);
  const taken = h && num(h, F.attempt) === attempt && num(h, F.dispatchState) !== DispatchState.PARKED;
  const tx = new Tx(db);
  if (!taken || h[F.runId]) {
    if (!(taken && h[F.runId] === runId)) tx.enqueueCancel(key, runId);
    tx.commit();
    return undefined;
  }
  h[F.runId] = runId;
  if (input) h[F.lastInput] = JSON.stringify(input);
  if (num(h, F.dispatchState) === DispatchState.QUEUED) h[F.dispatchState] = String(DispatchState.TRIGGERED);
  if (h[F.removed] === "1" || CANCEL_ON_DISPATCH.includes(num(h, F.status))) tx.enqueueCancel(key, runId);
  tx.touch(h, EventType.DISPATCHED);
  tx.commit();
  return db.changed(h);
}
