import http from "node:http";
import type http2 from "node:http2";
import type net from "node:net";
import { registry } from "../observability/metrics.js";
import type { Listener } from "./grpc-listener.js";

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

/** Answers a Prometheus scrape of the service's registry. */
export function serveMetrics(res: Res) {
  registry.metrics().then(
    (text) => {
      res.writeHead(200, { "content-type": registry.contentType });
      res.end(text);
    },
    () => {
      res.writeHead(500);
      res.end();
    },
  );
}

/** Answers GET `path` with the metrics (the HTTP port's /metrics); false for any other request. */
export function metricsRoute(path: string) {
  return (req: Req, res: Res): boolean => {
    if (req.method !== "GET" || (req.url ?? "").split("?", 1)[0] !== path) return false;
    serveMetrics(res);
    return true;
  };
}

/** A listener of its own for the metrics (METRICS_PORT): GET `path` only. */
export async function startMetricsListener(host: string, port: number, path: string): Promise<Listener> {
  const server = http.createServer((req, res) => {
    if (req.method === "GET" && (req.url ?? "").split("?", 1)[0] === path) serveMetrics(res);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
