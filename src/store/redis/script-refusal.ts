import { failedPrecondition, notFound, type ServiceError } from "../../core/service-error.js";
import type { Status } from "../../core/status.js";
import { refusals } from "../refusal-errors.js";

/** What the TS caller knows about the refused request, for the error message. */
export interface RefusalContext {
  key: string;
  /** The operation's name in "cannot <op> a signature in status X". */
  op?: string;
  runId?: string;
}

/**
 * Turns a script's `{'ERR', reason, name1, value1, ...}` into the ServiceError the memory store
 * throws for the same refusal (same code, reason, message and metadata).
 */
export function refusalError(reply: unknown[], ctx: RefusalContext): ServiceError {
  const reason = String(reply[1]);
  const facts: Record<string, string> = {};
  for (let i = 2; i + 1 < reply.length; i += 2) facts[String(reply[i])] = String(reply[i + 1]);
  const { key } = ctx;
  switch (reason) {
    case "SIGNATURE_NOT_FOUND":
      return notFound(key);
    case "SIGNATURE_REMOVED":
      return refusals.removed(key);
    case "SIGNATURE_LOCKED":
      return refusals.locked(key, Number(facts.expire_time), facts.owner ?? "");
    case "REVISION_MISMATCH":
      return refusals.revisionMismatch(key, facts.expected_revision, facts.current_revision);
    case "LOCK_MISMATCH":
      return refusals.lockMismatch(key);
    case "STALE_RUN":
      return refusals.staleRun(key, ctx.runId ?? "", facts.current_run_id ?? "");
    case "ALREADY_DISPATCHED":
      return refusals.alreadyDispatched(key, facts.run_id ?? "");
    case "CALLBACKS_NOT_FOUND":
      return refusals.callbacksNotFound(facts.missing.split(","));
    case "QUOTA_EXCEEDED":
      return refusals.quotaExceeded(facts.quota as "signatures" | "bytes", Number(facts.limit));
  }
  if (facts.current_status !== undefined) return refusals.status(reason, ctx.op, Number(facts.current_status) as Status);
  return failedPrecondition(reason, `${reason} (${key})`, facts);
}
