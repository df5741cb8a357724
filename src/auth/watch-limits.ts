import { Code } from "@connectrpc/connect";
import { ServiceError } from "../core/service-error.js";
import type { Identity } from "./tokens.js";

export interface WatchLimitOptions {
  /** Open watch streams one token may hold (over all its connections). */
  perToken: number;
  /** Open watch streams one client connection may carry. */
  perConnection: number;
}

/** Counts open WatchSignatures streams per token and per connection. */
export class WatchLimits {
  private readonly byToken = new Map<string, number>();
  private readonly byConnection = new Map<unknown, number>();

  constructor(private readonly opts: WatchLimitOptions) {}

  /** Takes a slot or throws RESOURCE_EXHAUSTED `TOO_MANY_WATCHES`; call the returned function once the stream ends. */
  acquire(identity: Identity, connection: unknown): () => void {
    // Open mode has no tokens: only the per-connection limit applies.
    const token = identity.anonymous ? undefined : identity.name;
    if (token !== undefined && (this.byToken.get(token) ?? 0) >= this.opts.perToken) {
      throw tooMany("token", this.opts.perToken, "WATCH_MAX_PER_TOKEN");
    }
    if (connection !== undefined && (this.byConnection.get(connection) ?? 0) >= this.opts.perConnection) {
      throw tooMany("connection", this.opts.perConnection, "WATCH_MAX_PER_CONNECTION");
    }
    if (token !== undefined) inc(this.byToken, token);
    if (connection !== undefined) inc(this.byConnection, connection);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (token !== undefined) dec(this.byToken, token);
      if (connection !== undefined) dec(this.byConnection, connection);
    };
  }

  /** Open streams (for tests and diagnostics). */
  open(): { tokens: number; connections: number } {
    let tokens = 0;
    for (const n of this.byToken.values()) tokens += n;
    let connections = 0;
    for (const n of this.byConnection.values()) connections += n;
    return { tokens, connections };
  }
}

function tooMany(scope: "token" | "connection", limit: number, setting: string) {
  return new ServiceError(
    Code.ResourceExhausted,
    "TOO_MANY_WATCHES",
    `this ${scope} already has ${limit} open watch streams (the server's ${setting}); close one, or watch several keys/task names with one stream`,
    { scope, limit: String(limit) },
  );
}

const inc = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);
const dec = <K>(m: Map<K, number>, k: K) => {
  const n = (m.get(k) ?? 1) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
};
