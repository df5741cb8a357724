import type { CreateSignatureRequest } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { newSignatureKey } from "../core/keys.js";
import { DEFAULT_RETURN_FIELD, type Limits } from "../core/limits.js";
import { INITIAL_STATUSES, Status } from "../core/status.js";
import type { CreateCommand } from "../store/store.js";
import { msOf } from "./convert.js";
import type { Violations } from "./validate.js";

/** Checks a CreateSignatureRequest (also one inline in a container, under `at`) and makes its store command. */
export function createCommandOf(v: Violations, limits: Limits, req: CreateSignatureRequest, at = ""): CreateCommand {
  v.name(`${at}task_name`, req.taskName);
  v.json(`${at}kwargs`, req.kwargs);
  v.schema(`${at}input_schema`, req.inputSchema);
  v.keys(`${at}success_callbacks`, req.successCallbacks, limits.maxCallbacks);
  v.keys(`${at}error_callbacks`, req.errorCallbacks, limits.maxCallbacks);
  const status = req.taskStatus === Status.UNSPECIFIED ? Status.PENDING : req.taskStatus;
  v.enumValue(`${at}task_status`, status, INITIAL_STATUSES, Status);
  v.name(`${at}return_field_name`, req.returnFieldName, false);
  v.metadata(`${at}metadata`, req.metadata);
  if (req.requestId.length > 128) v.add(`${at}request_id`, "at most 128 characters");
  return {
    key: newSignatureKey(),
    taskName: req.taskName,
    kwargs: req.kwargs ?? {},
    creationTime: msOf(req.creationTime) ?? Date.now(),
    inputSchema: req.inputSchema,
    successCallbacks: req.successCallbacks,
    errorCallbacks: req.errorCallbacks,
    status,
    returnFieldName: req.returnFieldName || DEFAULT_RETURN_FIELD,
    metadata: req.metadata,
    requestId: req.requestId,
  };
}
