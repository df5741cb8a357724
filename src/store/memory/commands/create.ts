import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { decodeRecord, F, newFlatRecord } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import type { MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** CreateSignature (create-4.lua): writes a new signature whose callbacks exist and are not removed. */
export function create(db: MemoryState, c: S.CreateCommand): S.MutationResult {
  const now = db.opts.now();
  if (c.requestId) {
    const seen = db.requests.get(c.requestId);
    const h = seen && seen.expireAt > now ? db.find(seen.key) : undefined;
    if (h) return { record: decodeRecord(h, now), changed: false };
  }
  const missing = [...c.successCallbacks, ...c.errorCallbacks].filter((k) => {
    const h = db.find(k);
    return !h || h[F.removed] === "1";
  });
  if (missing.length > 0) {
    throw refusals.callbacksNotFound(missing);
  }
  const h = newFlatRecord(c);
  db.checkQuota(h, c.key, !db.find(c.key));
  db.forget(c.key);
  db.sigs.set(c.key, h);
  db.byCreation.insert(c.creationTime, c.key);
  const tx = new Tx(db);
  tx.touch(h, EventType.CREATED);
  tx.commit();
  if (c.requestId) db.requests.set(c.requestId, { key: c.key, expireAt: now + db.opts.requestIdTtlMs });
  return { record: decodeRecord(h, now), changed: true };
}
