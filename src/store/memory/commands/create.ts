import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { decodeRecord, newFlatRecord } from "../../record.js";
import type * as S from "../../store.js";
import { replayedRequest, requireCallbacks } from "../creating.js";
import type { MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** CreateSignature (create-4.lua): writes a new signature whose callbacks exist and are not removed. */
export function create(db: MemoryState, c: S.CreateCommand): S.MutationResult {
  const now = db.opts.now();
  const first = replayedRequest(db, c.requestId, now);
  if (first) return { record: decodeRecord(first, now), changed: false };
  requireCallbacks(db, [...c.successCallbacks, ...c.errorCallbacks]);
  const h = newFlatRecord(c);
  db.checkQuota(h, c.key, !db.find(c.key));
  db.forget(c.key);
  db.sigs.set(c.key, h);
  db.index.add(h);
  const tx = new Tx(db);
  tx.touch(h, EventType.CREATED);
  tx.commit();
  if (c.requestId) db.requests.set(c.requestId, { key: c.key, expireAt: now + db.opts.requestIdTtlMs });
  return { record: decodeRecord(h, now), changed: true };
}
