import http from "node:http";
import https from "node:https";
import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { DEFAULT_SERVER, DEFAULT_TIMEOUT_MS } from "./defaults.js";
import { refusedStreamRetry } from "./refused-retry.js";
import { retryInterceptor, type RetryOptions } from "./retry.js";
import { traceContextInterceptor, type TraceApi } from "./trace-context.js";

/** TLS settings; `true` trusts the system roots. PEM contents (a string or the bytes of a file), not file names. */
export interface TlsOptions {
  ca?: string | Uint8Array | undefined;
  cert?: string | Uint8Array | undefined;
  key?: string | Uint8Array | undefined;
  servername?: string | undefined;
  rejectUnauthorized?: boolean | undefined;
}

export interface TransportOptions {
  /** Connect/gRPC-Web/JSON port of the service, e.g. `http://127.0.0.1:8080`. Without it and `grpcAddress`: `MAGEFLOW_SERVER`, else `http://127.0.0.1:8080`. */
  baseUrl?: string | undefined;
  /** Native gRPC port of the service, e.g. `127.0.0.1:50051` (implies `transport: "grpc"`). */
  grpcAddress?: string | undefined;
  /** `connect` (default unless only `grpcAddress` is given) or `grpc` (HTTP/2). */
  transport?: "connect" | "grpc" | undefined;
  /** HTTP version of the Connect transport; gRPC always uses HTTP/2. Default `1.1`. */
  httpVersion?: "1.1" | "2" | undefined;
  /** Sent as `authorization: Bearer <token>` on every call. Default: `MAGEFLOW_TOKEN` when set. */
  token?: string | undefined;
  /** TLS: `true` for the system roots, or explicit certificates. Turns `http://` into `https://`. */
  tls?: boolean | TlsOptions | undefined;
  /** Deadline of each unary call in milliseconds (watches have none). Default 30 000. */
  timeoutMs?: number | undefined;
  /** Retries of idempotent unary calls: off by default; `true` for 4 attempts with backoff. */
  retry?: boolean | RetryOptions | undefined;
  /** Your Connect interceptors, run after the client's own (token, retries): they see every attempt. */
  interceptors?: Interceptor[] | undefined;
  /** Send the active OpenTelemetry trace with every call: pass `@opentelemetry/api` (`{ context, propagation }`). */
  tracing?: TraceApi | undefined;
}

export interface OpenTransport {
  transport: Transport;
  kind: "connect" | "grpc";
  url: string;
  close(): void;
}

export function openTransport(opts: TransportOptions): OpenTransport {
  const kind = opts.transport ?? (opts.grpcAddress && !opts.baseUrl ? "grpc" : "connect");
  const given = kind === "grpc" ? (opts.grpcAddress ?? opts.baseUrl) : (opts.baseUrl ?? opts.grpcAddress);
  const address = given || process.env.MAGEFLOW_SERVER || DEFAULT_SERVER;
  const url = normalizeUrl(address, !!opts.tls);
  const tls = tlsNodeOptions(opts.tls);
  const token = opts.token ?? (process.env.MAGEFLOW_TOKEN || undefined);
  const retry = opts.retry === true ? {} : opts.retry || undefined;
  const interceptors = [
    ...(token ? [bearer(token)] : []),
    ...(opts.tracing ? [traceContextInterceptor(opts.tracing)] : []),
    ...(retry ? [retryInterceptor(retry)] : []),
    refusedStreamRetry(),
    ...(opts.interceptors ?? []),
  ];
  const common = { baseUrl: url, interceptors, defaultTimeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS };
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

type NodeTls = Omit<TlsOptions, "ca" | "cert" | "key"> & { ca?: string | Buffer | undefined; cert?: string | Buffer | undefined; key?: string | Buffer | undefined };

function tlsNodeOptions(tls: TransportOptions["tls"]): NodeTls | undefined {
  if (typeof tls !== "object") return undefined;
  const pem = (v: string | Uint8Array | undefined) => (v === undefined || typeof v === "string" ? v : Buffer.from(v));
  return { ...tls, ca: pem(tls.ca), cert: pem(tls.cert), key: pem(tls.key) };
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
