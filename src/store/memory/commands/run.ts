import type { JsonObject } from "../../../core/json.js";
import { composeRunInput } from "../../../core/run-input.js";
import { newRunState, RUNNABLE, type Status } from "../../../core/status.js";
import { F } from "../../record.js";
import { refusals } from "../../refusal-errors.js";
import type * as S from "../../store.js";
import { guarded } from "../guard.js";
import { isContainer, runContainer } from "../memory-containers.js";
import { num, type MemoryState } from "../memory-state.js";
import { Tx } from "../memory-tx.js";

const str = JSON.stringify;

/** RunSignature (run-4.lua): commits the first run of a RUNNABLE signature, QUEUED (with an outbox trigger) or PARKED. */
export function run(db: MemoryState, c: S.RunCommand): S.RunResult {
  const h = guarded(db, c.key, c.guard);
  const status: Status = num(h, F.status);
  if (num(h, F.attempt) > 0) {
    if (c.requestId && c.requestId === h[F.runRequestId]) return db.unchanged(h);
    throw refusals.alreadyDispatched(c.key, h[F.runId] ?? "");
  }
  if (!RUNNABLE.includes(status)) throw refusals.status("INVALID_TRANSITION", "run", status);
  if (h[F.containerKey]) throw refusals.container("IN_CONTAINER", c.key, { container_key: h[F.containerKey] });
  if (isContainer(h)) {
    const tx = new Tx(db);
    h[F.runRequestId] = c.requestId;
    h[F.runMetadata] = str(c.metadata);
    runContainer(db, tx, h, c.input ?? composeRunInput(c.message ?? {}, JSON.parse(h[F.kwargs] || "{}") as JsonObject));
    tx.commit();
    return db.changed(h);
  }
  if (!c.input && h[F.inputSchema]) return { ...db.unchanged(h), validate: true };
  const input = c.input ?? composeRunInput(c.message ?? {}, JSON.parse(h[F.kwargs] || "{}") as JsonObject);
  const tx = new Tx(db);
  h[F.lastInput] = str(input);
  h[F.runRequestId] = c.requestId;
  h[F.runMetadata] = str(c.metadata);
  tx.newRun(h, 1, newRunState(status));
  tx.commit();
  return db.changed(h);
}
