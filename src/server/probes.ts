import type http from "node:http";
import type http2 from "node:http2";
import type { HealthMonitor } from "./health.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/**
 * Plain HTTP probes for load balancers and orchestrators, on the HTTP port and without a token:
 * `GET /healthz` (liveness: the process answers) and `GET /readyz` (readiness: the store answers).
 * Returns false for any other request.
 */
export function probeHandler(health: HealthMonitor): (req: Request, res: Response) => boolean {
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/healthz" && path !== "/readyz") return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      reply(res, 405, "method not allowed\n", { allow: "GET, HEAD" });
    } else if (path === "/healthz") {
      reply(res, 200, "ok\n");
    } else {
      void health.ready().then(
        (ok) => reply(res, ok ? 200 : 503, ok ? "ready\n" : "not ready: the store does not answer\n"),
        () => reply(res, 503, "not ready\n"),
      );
    }
    return true;
  };
}

function reply(res: Response, status: number, body: string, headers: Record<string, string> = {}) {
  (res as http.ServerResponse).writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers });
  (res as http.ServerResponse).end(body);
}
