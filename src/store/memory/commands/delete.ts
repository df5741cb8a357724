import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import { refuseLiveChild } from "../memory-containers.js";
import type { MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** DeleteSignature (delete-4.lua): removes the signature now (also a removed one); returns the revision. */
export function deleteSignature(db: MemoryState, key: string, guard: S.Guard): number {
  const h = guarded(db, key, guard, { allowRemoved: true });
  refuseLiveChild(db, h);
  const tx = new Tx(db);
  tx.touch(h, EventType.DELETED);
  tx.withdrawQueuedRun(h, true);
  const rev = tx.commit();
  db.forget(key);
  return rev;
}
