import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";

export { Code };

export const ERROR_DOMAIN = "mageflow.dev";

export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * Every failed call of the client: the gRPC status `code`, the `google.rpc.ErrorInfo`
 * `reason` (e.g. `SIGNATURE_LOCKED`) and `metadata`, and any `BadRequest` field violations.
 */
export class MageflowError extends Error {
  constructor(
    message: string,
    readonly code: Code,
    readonly reason: string,
    readonly metadata: Record<string, string> = {},
    readonly fieldViolations: FieldViolation[] = [],
    /** The ErrorInfo domain (`mageflow.dev`); empty when the error did not come from the service. */
    readonly domain = "",
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MageflowError";
  }

  /** The code as gRPC spells it, e.g. `NOT_FOUND`. */
  get codeName(): string {
    return codeName(this.code);
  }

  /** True for the errors worth retrying as they are: lock held, store or network unavailable. */
  get retryable(): boolean {
    return this.code === Code.Unavailable || this.code === Code.Aborted || this.code === Code.ResourceExhausted;
  }

  static from(err: unknown): MageflowError {
    if (err instanceof MageflowError) return err;
    const ce = ConnectError.from(err);
    const info = ce.findDetails(ErrorInfoSchema).find((i) => i.domain === ERROR_DOMAIN) ?? ce.findDetails(ErrorInfoSchema)[0];
    const violations = ce.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => ({ field: v.field, description: v.description })));
    const reason = info?.reason || codeName(ce.code);
    return new MageflowError(ce.rawMessage || reason, ce.code, reason, { ...(info?.metadata ?? {}) }, violations, info?.domain ?? "", { cause: err });
  }
}

export function codeName(code: Code): string {
  return (Code[code] ?? "UNKNOWN").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Runs a call and rethrows whatever it throws as a MageflowError. */
export async function mapped<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw MageflowError.from(e);
  }
}
