import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { decodeRecord, newContainerFlatRecord } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import { addChildren } from "../memory-containers.js";
import { replayedRequest, requireCallbacks } from "../creating.js";
import type { MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** CreateChain / CreateSwarm (createContainer-4.lua): writes a container and its children, or nothing. */
export function createContainer(db: MemoryState, c: S.CreateContainerCommand): S.MutationResult {
  const now = db.opts.now();
  const first = replayedRequest(db, c.requestId, now);
  if (first) return { record: decodeRecord(first, now), changed: false };
  requireCallbacks(db, [...c.successCallbacks, ...c.errorCallbacks]);
  if (db.find(c.key)) throw refusals.container("CHILD_NOT_AVAILABLE", c.key, { child: c.key });
  const h = newContainerFlatRecord(c);
  const tx = new Tx(db);
  addChildren(db, tx, h, c.children, c.key);
  db.forget(c.key);
  db.sigs.set(c.key, h);
  db.index.add(h);
  tx.touch(h, EventType.CREATED);
  tx.commit();
  if (c.requestId) db.requests.set(c.requestId, { key: c.key, expireAt: now + db.opts.requestIdTtlMs });
  return { record: decodeRecord(h, now), changed: true };
}
