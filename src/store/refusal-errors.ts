import { Code } from "@connectrpc/connect";
import { aborted, failedPrecondition, ServiceError } from "../core/service-error.js";
import { statusName, type Status } from "../core/status.js";

/** The refusals both stores give, with one wording: the Redis scripts name them, the memory store throws them. */
export const refusals = {
  callbacksNotFound: (missing: string[]) =>
    failedPrecondition("CALLBACKS_NOT_FOUND", `callbacks not found: ${missing.join(", ")}`, { missing: missing.join(",") }),

  removed: (key: string) => failedPrecondition("SIGNATURE_REMOVED", `signature ${key} was removed`, { key }),

  locked: (key: string, expireMs: number, owner: string) =>
    aborted("SIGNATURE_LOCKED", `signature ${key} is locked`, { expire_time: new Date(expireMs).toISOString(), owner }),

  revisionMismatch: (key: string, expected: string, current: string) =>
    aborted("REVISION_MISMATCH", `signature ${key} is at revision ${current}`, { expected_revision: expected, current_revision: current }),

  lockMismatch: (key: string) => failedPrecondition("LOCK_MISMATCH", `lock_id does not match the lease held on ${key}`, { key }),

  staleRun: (key: string, runId: string, currentRunId: string) =>
    failedPrecondition("STALE_RUN", `run ${runId} is not the current run of ${key}`, { current_run_id: currentRunId }),

  alreadyDispatched: (key: string, runId: string) =>
    failedPrecondition("ALREADY_DISPATCHED", `signature ${key} was already dispatched`, { run_id: runId }),

  /** A container's refusal (`CHILD_NOT_AVAILABLE`, `SWARM_CLOSED`, `NOT_A_SWARM`, `TOO_MANY_TASKS`, ...), worded as the scripts' generic refusal. */
  container: (reason: string, key: string, facts: Record<string, string>) => failedPrecondition(reason, `${reason} (${key})`, facts),

  quotaExceeded: (quota: "signatures" | "bytes", limit: number) =>
    new ServiceError(
      Code.ResourceExhausted,
      "QUOTA_EXCEEDED",
      quota === "signatures"
        ? `the namespace already stores ${limit} signatures (QUOTA_SIGNATURES): delete some or raise the quota`
        : `the namespace's signatures would take more than ${limit} bytes (QUOTA_BYTES): delete some or raise the quota`,
      { quota, limit: String(limit), setting: quota === "signatures" ? "QUOTA_SIGNATURES" : "QUOTA_BYTES" },
    ),

  /** A status the operation does not accept (`INVALID_TRANSITION`, `TASK_ALREADY_RUNNING`, `TASK_NOT_ACTIVE`). */
  status: (reason: string, op: string | undefined, current: Status) =>
    failedPrecondition(reason, `cannot ${op} a signature in status ${statusName(current)}`, { current_status: statusName(current) }),
};
