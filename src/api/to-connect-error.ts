import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { ERROR_DOMAIN, ServiceError } from "../core/service-error.js";
import { wireSafe } from "./wire-safe.js";

/** The one mapping from domain errors to wire errors (ErrorInfo + BadRequest details). */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) {
    if (err.cause instanceof ServiceError || err.findDetails(ErrorInfoSchema).length > 0) return err;
    return toConnectError(new ServiceError(err.code, Code[err.code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase(), err.rawMessage));
  }
  const e = wireSafe(err instanceof ServiceError ? err : classify(err));
  const details = [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: e.reason, domain: ERROR_DOMAIN, metadata: e.metadata }) },
  ];
  const ce = new ConnectError(e.message, e.code, undefined, details, e);
  if (e.retryDelayMs !== undefined) {
    ce.details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationFromMs(e.retryDelayMs) }) });
  }
  if (e.fieldViolations.length > 0) {
    ce.details.push({ desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: e.fieldViolations }) });
  }
  return ce;
}

/** Errors that do not come from the domain: the store or the network failing, or a bug. */
function classify(err: unknown): ServiceError {
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : "";
  if (/ECONNREFUSED|ECONNRESET|Connection is closed|Command aborted due to connection close|Stream isn't writeable|MaxRetriesPerRequest|ETIMEDOUT|NOSCRIPT|LOADING|READONLY|NOREPLICAS|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|ENOTFOUND/.test(message) || name === "MaxRetriesPerRequestError") {
    return new ServiceError(Code.Unavailable, "STORE_UNAVAILABLE", `the store is unavailable: ${message}`);
  }
  return new ServiceError(Code.Internal, "INTERNAL", "internal error");
}
