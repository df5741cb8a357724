import { F } from "../../record.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import { refuseLiveChild } from "../memory-containers.js";
import type { MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** RemoveSignature (remove-4.lua): retires the signature and, per flags, its callback trees. A removed one: no-op. */
export function remove(db: MemoryState, key: string, withError: boolean, withSuccess: boolean, guard: S.Guard): S.RemoveResult {
  const h = guarded(db, key, guard, { allowRemoved: true });
  if (h[F.removed] === "1") return { keys: [], revision: db.revision };
  refuseLiveChild(db, h);
  const tx = new Tx(db);
  const keys = tx.retire([key], withError, withSuccess);
  return { keys, revision: tx.commit() };
}
