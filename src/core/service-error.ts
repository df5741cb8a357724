import { Code } from "@connectrpc/connect";

export const ERROR_DOMAIN = "mageflow.dev";

export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * The one error type of the domain. Handlers map it to a gRPC/Connect status with
 * `google.rpc.ErrorInfo` (+ BadRequest / PreconditionFailure) in exactly one place.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: Code,
    readonly reason: string,
    message: string,
    readonly metadata: Record<string, string> = {},
    readonly fieldViolations: FieldViolation[] = [],
    /** When set, the answer carries a google.rpc.RetryInfo with this delay. */
    readonly retryDelayMs?: number,
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

export const notFound = (key: string) =>
  new ServiceError(Code.NotFound, "SIGNATURE_NOT_FOUND", `signature ${key} not found`, { key });

export const invalidArgument = (violations: FieldViolation[]) =>
  new ServiceError(
    Code.InvalidArgument,
    "INVALID_ARGUMENT",
    violations.map((v) => `${v.field}: ${v.description}`).join("; "),
    {},
    violations,
  );

export const failedPrecondition = (reason: string, message: string, metadata: Record<string, string> = {}) =>
  new ServiceError(Code.FailedPrecondition, reason, message, metadata);

export const aborted = (reason: string, message: string, metadata: Record<string, string> = {}) =>
  new ServiceError(Code.Aborted, reason, message, metadata);

export const unavailable = (reason: string, message: string) =>
  new ServiceError(Code.Unavailable, reason, message);
