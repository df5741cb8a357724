import { Code } from "@connectrpc/connect";
import { ServiceError } from "../core/service-error.js";
import { DEFAULT_NAMESPACE, TokenTable, type Identity, type TokenEntry } from "./tokens.js";

/** Finds out who is calling from the request headers (HTTP) or metadata (gRPC). */
export interface Authenticator {
  /** True when no token is checked (open mode). */
  readonly open: boolean;
  /** The namespaces tokens can reach (open mode: `default`). */
  namespaces(): string[];
  /** Throws UNAUTHENTICATED when the request carries no known token. The headers are read only when needed. */
  authenticate(call: { readonly requestHeader: Headers }): Identity;
}

const OPEN_IDENTITY: Identity = Object.freeze({ name: "(open mode)", namespace: DEFAULT_NAMESPACE, role: "admin", anonymous: true });

/** Open mode: every caller is an admin of namespace `default`. */
export const openAuthenticator: Authenticator = {
  open: true,
  namespaces: () => [DEFAULT_NAMESPACE],
  authenticate: () => OPEN_IDENTITY,
};

export const unauthenticated = (message: string) => new ServiceError(Code.Unauthenticated, "UNAUTHENTICATED", message);

/** Bearer tokens (`authorization: Bearer <token>`) checked against the tokens file's hashes. */
export function tokenAuthenticator(entries: TokenEntry[]): Authenticator {
  const table = new TokenTable(entries);
  return {
    open: false,
    namespaces: () => table.namespaces(),
    authenticate(call) {
      const header = call.requestHeader.get("authorization");
      if (!header) throw unauthenticated("this server requires a token: send the header (or gRPC metadata) `authorization: Bearer <token>`");
      const m = /^bearer[ \t]+(\S{1,1024})[ \t]*$/i.exec(header);
      if (!m) throw unauthenticated("malformed authorization header: expected `Bearer <token>`");
      const identity = table.lookup(m[1]);
      if (!identity) throw unauthenticated("unknown or revoked token");
      return identity;
    },
  };
}
