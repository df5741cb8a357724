import type http from "node:http";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { Authenticator } from "../auth/authenticator.js";
import { allowed } from "../auth/roles.js";
import type { WatchLimits } from "../auth/watch-limits.js";
import type { ServiceError } from "../core/service-error.js";

export const SESSION_PATH = "/console/api/session";

/**
 * Who the console's token is and which SignatureService methods it may call (the page shows
 * only those buttons), plus the number of watch streams open on the server. Same bearer token
 * as the RPCs; 401 with the reason when it is missing or unknown.
 */
export function consoleSession(auth: Authenticator, watches: WatchLimits) {
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers = new Headers();
    if (req.headers.authorization) headers.set("authorization", req.headers.authorization);
    let body: unknown;
    let status = 200;
    try {
      const id = auth.authenticate({ requestHeader: headers });
      body = {
        name: id.name,
        namespace: id.namespace,
        role: id.role,
        open: auth.open,
        methods: SignatureService.methods.filter((m) => allowed(id.role, m)).map((m) => m.name),
        watchers: watches.open().connections,
      };
    } catch (e) {
      status = 401;
      body = { reason: "UNAUTHENTICATED", message: (e as ServiceError).message };
    }
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };
}
