import { Code } from "@connectrpc/connect";
import { aborted, failedPrecondition, notFound, ServiceError } from "../../core/errors.js";
import { statusName, type Status } from "../../core/status.js";

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
      return failedPrecondition(reason, `signature ${key} was removed`, { key });
    case "SIGNATURE_LOCKED":
      return new ServiceError(Code.Aborted, reason, `signature ${key} is locked`, {
        expire_time: new Date(Number(facts.expire_time)).toISOString(),
        owner: facts.owner ?? "",
      });
    case "REVISION_MISMATCH":
      return aborted(reason, `signature ${key} is at revision ${facts.current_revision}`, facts);
    case "LOCK_MISMATCH":
      return failedPrecondition(reason, `lock_id does not match the lease held on ${key}`, { key });
    case "STALE_RUN":
      return failedPrecondition(reason, `run ${ctx.runId} is not the current run of ${key}`, facts);
    case "ALREADY_DISPATCHED":
      return failedPrecondition(reason, `signature ${key} was already dispatched`, facts);
    case "CALLBACKS_NOT_FOUND":
      return failedPrecondition(reason, `callbacks not found: ${facts.missing.split(",").join(", ")}`, facts);
  }
  if (facts.current_status !== undefined) {
    const status = statusName(Number(facts.current_status) as Status);
    return failedPrecondition(reason, `cannot ${ctx.op} a signature in status ${status}`, { current_status: status });
  }
  return failedPrecondition(reason, `${reason} (${key})`, facts);
}
