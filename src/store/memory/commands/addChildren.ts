import { EventType } from "../../../../gen/ts/mageflow/v1/event_pb.js";
import { isTerminal, RUN_STEPS } from "../../../core/status.js";
import { ContainerKind, F } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import { addChildren as adopt, startChildren, swarmConfig } from "../memory-containers.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

/** AddSwarmTasks / CloseSwarm (addChildren-4.lua): adds children to an open swarm and/or closes it; a running swarm fills. */
export function addChildren(db: MemoryState, c: S.AddChildrenCommand): S.AddChildrenResult {
  const h = guarded(db, c.key, c.guard);
  if (num(h, F.containerKind) !== ContainerKind.SWARM) throw refusals.container("NOT_A_SWARM", c.key, { key: c.key });
  const closed = h[F.closed] === "1" || isTerminal(num(h, F.status));
  if (closed && c.children.length === 0 && c.close) return { ...db.unchanged(h), added: [] };
  if (closed) throw refusals.container("SWARM_CLOSED", c.key, { key: c.key });
  const limit = swarmConfig(h).maxTasks;
  const count = (JSON.parse(h[F.children]) as string[]).length + c.children.length;
  if (count > limit) throw refusals.container("TOO_MANY_TASKS", c.key, { max_tasks: String(limit) });
  const tx = new Tx(db);
  const added = adopt(db, tx, h, c.children, c.key);
  if (c.close || count === limit) h[F.closed] = "1";
  tx.touch(h, EventType.UPDATED);
  if (num(h, F.status) === RUN_STEPS.start.to) startChildren(db, tx, h);
  tx.commit();
  return { ...db.changed(h), added };
}
