import { ConnectError, type Interceptor } from "@connectrpc/connect";

/** Attempts in all for a call whose stream the server refused. */
const REFUSED_ATTEMPTS = 3;

/** Whether the server refused the call's HTTP/2 stream (RST_STREAM REFUSED_STREAM): it never processed it. */
export function isRefusedStream(e: unknown): boolean {
  const texts: string[] = [];
  for (let x: unknown = e, depth = 0; x && depth < 4; x = (x as { cause?: unknown }).cause, depth++) texts.push(String((x as Error).message ?? ""));
  if (e instanceof ConnectError) texts.push(e.rawMessage);
  return texts.some((t) => t.includes("NGHTTP2_REFUSED_STREAM"));
}

/**
 * Sends a unary call again, whatever the method, when the server refused its stream: HTTP/2 guarantees the
 * server did not process a refused stream (RFC 9113, 8.7), so this is safe where an ordinary retry is not.
 * A server that is stopping, such as a worker of `mageflow serve --workers` in a rolling restart, refuses
 * the streams a client opened as its GOAWAY crossed them; grpc-js, grpc-go and grpcio retry these by
 * themselves ("transparent retry"), connect-node reports them as an error.
 */
export function refusedStreamRetry(): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        if (attempt >= REFUSED_ATTEMPTS || req.signal.aborted || !isRefusedStream(e)) throw e;
      }
    }
  };
}
