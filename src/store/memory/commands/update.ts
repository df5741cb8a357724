import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { F } from "../../record.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import type { MemoryState } from "../memory-state.js";
import { writeOne } from "../memory-tx.js";

const str = JSON.stringify;

/** UpdateSignature (update-4.lua): writes the given fields; kwargs and metadata are merged unless replaced. */
export function update(db: MemoryState, u: S.UpdateCommand): S.MutationResult {
  const stored = guarded(db, u.key, u.guard);
  // Changed on a copy: the quota may refuse it.
  const h = { ...stored };
  const patch = (f: string, value: object | undefined, replace = false) => {
    if (value) h[f] = str(replace ? value : { ...JSON.parse(h[f] || "{}"), ...value });
  };
  patch(F.kwargs, u.kwargs, u.replace?.includes("kwargs"));
  patch(F.metadata, u.metadata, u.replace?.includes("metadata"));
  if (u.inputSchema !== undefined) h[F.inputSchema] = u.inputSchema ? str(u.inputSchema) : "";
  if (u.returnFieldName !== undefined) h[F.returnFieldName] = u.returnFieldName;
  db.checkQuota(h, u.key, false);
  return writeOne(db, Object.assign(stored, h), EventType.UPDATED);
}
