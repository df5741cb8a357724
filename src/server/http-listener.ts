import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { DescMethod } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { Health } from "../../gen/ts/health/v1/health_pb.js";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import type { Config } from "../config.js";
import { connectHandler } from "./connect-adapter.js";
import type { Impls, Listener } from "./grpc-listener.js";
import type { HealthMonitor } from "./health.js";
import { probeHandler } from "./probes.js";
import { replaySocket } from "./replay-socket.js";
import type { WebRoutes } from "../web/web-routes.js";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0");

/**
 * The Connect port: Connect, gRPC-Web and gRPC over HTTP/1.1 and HTTP/2 (h2c, or TLS with
 * ALPN). Cleartext connections are sorted by their first bytes: the HTTP/2 preface goes
 * to the HTTP/2 server, anything else to the HTTP/1.1 server.
 */
export async function startHttpListener(
  config: Config,
  impls: Impls,
  health: HealthMonitor,
  web?: WebRoutes,
  admits?: (header: Headers, method: DescMethod) => boolean,
): Promise<Listener> {
  const rpcs = connectHandler({
    readMaxBytes: config.maxRequestBytes,
    admits: (header, method) => method.parent.typeName === Health.typeName || (admits?.(header, method) ?? true),
    routes: (router: ConnectRouter) => {
      router.service(SignatureService, impls.signatures);
      router.service(WorkerService, impls.workers);
      router.service(ContainerService, impls.containers);
      router.service(Health, health.connectImpl());
    },
    jsonOptions: { ignoreUnknownFields: false },
  });
  // The web console and MCP endpoint (src/web) answer their own paths; everything else is an RPC.
  const probes = probeHandler(health);
  const handler: typeof rpcs = (req, res) => {
    if (probes(req, res)) return;
    if (!web?.(req as http.IncomingMessage, res as http.ServerResponse)) rpcs(req, res);
  };
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  };

  const h2 = config.tlsCert
    ? http2.createSecureServer(
        {
          cert: readFileSync(config.tlsCert),
          key: readFileSync(config.tlsKey!),
          ca: config.tlsCa ? readFileSync(config.tlsCa) : undefined,
          requestCert: !!config.tlsCa,
          rejectUnauthorized: !!config.tlsCa,
          allowHTTP1: true,
        },
        handler,
      )
    : http2.createServer({}, handler);
  h2.on("session", (s) => {
    sessions.add(s);
    s.once("close", () => sessions.delete(s));
  });
  const h1 = http.createServer(handler);
  const busy = new Set<net.Socket>();
  const h1Sockets = new Set<net.Socket>();
  let closing = false;
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busy.add(socket);
    res.once("close", () => {
      busy.delete(socket);
      if (closing) socket.destroy();
    });
  });

  let front: net.Server;
  if (config.tlsCert) {
    front = h2 as unknown as net.Server;
    h2.on("connection", track);
  } else {
    front = net.createServer({ noDelay: true }, (socket) => {
      track(socket);
      socket.once("data", (first) => {
        socket.pause();
        const n = Math.min(first.length, H2_PREFACE.length);
        if (first.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) {
          h2.emit("connection", replaySocket(socket, first));
        } else {
          socket.unshift(first);
          h1Sockets.add(socket);
          socket.once("close", () => h1Sockets.delete(socket));
          h1.emit("connection", socket);
          socket.resume();
        }
      });
    });
  }
  await new Promise<void>((resolve, reject) => {
    front.once("error", (e: NodeJS.ErrnoException) => reject(Object.assign(e, { port: config.httpPort })));
    front.listen(config.httpPort, config.host, () => resolve());
  });
  return {
    port: (front.address() as net.AddressInfo).port,
    close: async (graceMs) => {
      closing = true;
      front.close();
      h1.close();
      for (const s of h1Sockets) if (!busy.has(s)) s.destroy();
      for (const s of sessions) s.close();
      const deadline = Date.now() + graceMs;
      while (sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      for (const s of sessions) s.destroy();
      for (const s of sockets) s.destroy();
    },
  };
}
