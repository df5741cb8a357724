import http from "node:http";
import https from "node:https";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";

/** TLS settings; `true` trusts the system roots. PEM contents, not file names. */
export interface TlsOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
}

export interface TransportOptions {
  /** Connect/gRPC-Web/JSON port of the service, e.g. `http://127.0.0.1:8080`. */
  baseUrl?: string;
  /** Native gRPC port of the service, e.g. `127.0.0.1:50051` (implies `transport: "grpc"`). */
  grpcAddress?: string;
  /** `connect` (default unless only `grpcAddress` is given) or `grpc` (HTTP/2). */
  transport?: "connect" | "grpc";
  /** HTTP version of the Connect transport; gRPC always uses HTTP/2. Default `1.1`. */
  httpVersion?: "1.1" | "2";
  /** Sent as `authorization: Bearer <token>` on every call. */
  token?: string;
  /** TLS: `true` for the system roots, or explicit certificates. Turns `http://` into `https://`. */
  tls?: boolean | TlsOptions;
  /** Deadline of each unary call in milliseconds (watches have none). Default 30 000. */
  timeoutMs?: number;
  /** Extra Connect interceptors, run after the token one. */
  interceptors?: Interceptor[];
}

export interface OpenTransport {
  transport: Transport;
  kind: "connect" | "grpc";
  url: string;
  close(): void;
}

export function openTransport(opts: TransportOptions): OpenTransport {
  const kind = opts.transport ?? (opts.grpcAddress && !opts.baseUrl ? "grpc" : "connect");
  const address = kind === "grpc" ? (opts.grpcAddress ?? opts.baseUrl) : (opts.baseUrl ?? opts.grpcAddress);
  if (!address) throw new TypeError("createMageflowClient: give baseUrl (Connect) or grpcAddress (gRPC)");
  const url = normalizeUrl(address, !!opts.tls);
  const tls = tlsNodeOptions(opts.tls);
  const interceptors = [...(opts.token ? [bearer(opts.token)] : []), ...(opts.interceptors ?? [])];
  const common = { baseUrl: url, interceptors, defaultTimeoutMs: opts.timeoutMs ?? 30_000 };
  const httpVersion = kind === "grpc" ? "2" : (opts.httpVersion ?? "1.1");

  if (httpVersion === "2") {
    const sessionManager = new Http2SessionManager(url, { pingIntervalMs: 30_000 }, tls);
    const transport = kind === "grpc" ? createGrpcTransport({ ...common, sessionManager }) : createConnectTransport({ ...common, httpVersion: "2", sessionManager });
    return { transport, kind, url, close: () => sessionManager.abort() };
  }
  const agent = url.startsWith("https:") ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
  const transport = createConnectTransport({ ...common, httpVersion: "1.1", nodeOptions: { agent } });
  return { transport, kind, url, close: () => agent.destroy() };
}

function normalizeUrl(address: string, tls: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(address) ? address : `${tls ? "https" : "http"}://${address}`;
  const url = new URL(withScheme);
  if (tls && url.protocol === "http:") url.protocol = "https:";
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`unsupported address ${address}: use http(s)://host:port`);
  return url.toString().replace(/\/$/, "");
}

function tlsNodeOptions(tls: TransportOptions["tls"]): TlsOptions | undefined {
  return typeof tls === "object" ? { ...tls } : undefined;
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
