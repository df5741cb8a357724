import { refusalReason, type TransitionRule } from "../../../core/status.js";
import { F } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import { apply, isContainer, rulesOf } from "../memory-containers.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/**
 * Suspend / Resume / Interrupt / Cancel (transition-4.lua): executes one TransitionRule of src/core/status.ts (its
 * container variant on a container, which passes the rule on to its children).
 */
export function transition(db: MemoryState, key: string, given: TransitionRule, guard: S.Guard): S.MutationResult {
  const h = guarded(db, key, guard);
  const rules = rulesOf(given);
  const rule = isContainer(h) ? rules.container : rules.plain;
  const from = num(h, F.status);
  if (rule.noop.includes(from)) return db.unchanged(h);
  if (!rule.from.includes(from)) throw refusals.status(refusalReason(rule, from), rule.name, from);
  const tx = new Tx(db);
  apply(db, tx, h, rules);
  tx.commit();
  return db.changed(h);
}
