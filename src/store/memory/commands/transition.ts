import { refusalReason, type TransitionRule } from "../../../core/status.js";
import { F } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import { num, type MemoryState } from "../memory-state.js";
import { json, Tx } from "../memory-tx.js";

/** Suspend / Resume / Interrupt / Cancel (transition-4.lua): executes one TransitionRule of src/core/status.ts. */
export function transition(db: MemoryState, key: string, rule: TransitionRule, guard: S.Guard): S.MutationResult {
  const h = guarded(db, key, guard);
  const from = num(h, F.status);
  if (rule.noop.includes(from)) return db.unchanged(h);
  if (!rule.from.includes(from)) throw refusals.status(refusalReason(rule, from), rule.name, from);
  const tx = new Tx(db);
  tx.setStatus(h, rule.to);
  if (rule.cancelRun) tx.cancelRun(h, from);
  if (rule.redispatch && num(h, F.attempt) > 0) tx.requeue(h);
  if (rule.retireCallbacks) {
    const cbs = [...json<string[]>(h[F.successCallbacks]), ...json<string[]>(h[F.errorCallbacks])];
    tx.retire(cbs, true, true, new Set([key]));
  }
  tx.commit();
  return db.changed(h);
}
