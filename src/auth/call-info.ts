import { createContextKey, type HandlerContext } from "@connectrpc/connect";

/**
 * What a listener learned about a call before the handlers run: the connection it came on
 * (for per-connection limits) and, when the request body could not be decoded, why.
 * Connect calls carry it in the context values; grpc-js calls on the request message.
 */
export interface CallInfo {
  /** Identifies the client connection (an object or a string unique while it is open). */
  connection?: unknown;
  /** Set when the request body was not a valid message; the call is answered INVALID_ARGUMENT. */
  badRequest?: string;
  /** Set (to the limit) when the request body was larger than allowed; the call is answered RESOURCE_EXHAUSTED. */
  tooLarge?: number;
}

export const CALL_INFO = createContextKey<CallInfo>({});

const onMessages = new WeakMap<object, CallInfo>();

/** Attaches call info to a grpc-js request message (grpc-js has no context values). */
export function attachCallInfo(message: object, info: CallInfo) {
  const prev = onMessages.get(message);
  onMessages.set(message, prev ? { ...prev, ...info } : info);
}

export function callInfoOf(req: unknown, ctx: HandlerContext): CallInfo {
  const onMessage = typeof req === "object" && req !== null ? onMessages.get(req) : undefined;
  // A grpc-js call has its info on the message and nothing in the (lazily made) context values.
  return onMessage ?? ctx.values.get(CALL_INFO);
}
