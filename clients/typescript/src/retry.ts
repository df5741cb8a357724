import { Code, ConnectError, type Interceptor, type UnaryRequest } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { RetryInfoSchema } from "../../../gen/ts/google/rpc/error_details_pb.js";
import { backoffMs, sleep } from "./backoff.js";
import { RETRY_DEFAULTS } from "./defaults.js";

/** Opt-in retries of idempotent unary calls; the defaults are those of every MageFlow client. */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  maxAttempts?: number | undefined;
  /** Delay before the second attempt; doubles after each. Default 100 ms. */
  initialDelayMs?: number | undefined;
  /** Cap of the doubling delay. Default 5 000 ms. */
  maxDelayMs?: number | undefined;
}

const IDEMPOTENT = new Set(["GetSignature", "BatchGetSignatures", "ListSignatures"]);
/** Idempotent only with a request id: a retry returns the first result instead of acting twice. */
const IDEMPOTENT_WITH_REQUEST_ID = new Set(["CreateSignature", "RunSignature"]);

export function isIdempotent(req: UnaryRequest): boolean {
  const name = req.method.name;
  if (IDEMPOTENT.has(name)) return true;
  const requestId = (req.message as { requestId?: unknown }).requestId;
  return IDEMPOTENT_WITH_REQUEST_ID.has(name) && typeof requestId === "string" && requestId !== "";
}

/** The RetryInfo delay for a retryable error, 0 when it has none; undefined when the error is not retryable. */
export function serverDelayMs(error: ConnectError): number | undefined {
  const info = error.findDetails(RetryInfoSchema)[0];
  if (error.code === Code.Unavailable) return info?.retryDelay ? durationMs(info.retryDelay) : 0;
  if (error.code === Code.ResourceExhausted && info) return info.retryDelay ? durationMs(info.retryDelay) : 0;
  return undefined;
}

/** Retries idempotent unary calls on UNAVAILABLE, and on RESOURCE_EXHAUSTED that carries RetryInfo, within the call's deadline. */
export function retryInterceptor(options: RetryOptions = {}): Interceptor {
  const maxAttempts = options.maxAttempts ?? RETRY_DEFAULTS.maxAttempts;
  const initialMs = options.initialDelayMs ?? RETRY_DEFAULTS.initialDelayMs;
  const maxMs = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  return (next) => async (req) => {
    if (req.stream || !isIdempotent(req)) return next(req);
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        const error = ConnectError.from(e);
        const fromServer = serverDelayMs(error);
        if (fromServer === undefined || attempt >= maxAttempts || req.signal.aborted) throw e;
        await sleep(Math.max(fromServer, backoffMs(attempt, initialMs, maxMs)), req.signal);
        if (req.signal.aborted) throw ConnectError.from(req.signal.reason ?? e);
      }
    }
  };
}
