import http from "node:http";
import http2 from "node:http2";
import { Code } from "@connectrpc/connect";

/**
 * Raw request bodies on every protocol, without a client library in the way: what a hostile
 * client can put on the wire. Each answer is reduced to a status code name (as Connect's
 * `Code`), or "Open" for a stream the server accepted and kept open.
 */
export type RawProtocol = "grpc-port" | "grpc-on-http-port" | "grpc-web" | "connect-proto" | "connect-json" | "connect-stream";
export const RAW_PROTOCOLS: RawProtocol[] = ["grpc-port", "grpc-on-http-port", "grpc-web", "connect-proto", "connect-json", "connect-stream"];

export interface RawAnswer {
  code: string;
  detail: string;
}

export interface Ports {
  grpcPort: number;
  httpPort: number;
}

/** How long an accepted stream is watched before it counts as "Open"; a unary call gets UNARY_WAIT_MS, then "Timeout". */
const STREAM_WAIT_MS = 400;
const UNARY_WAIT_MS = 15_000;
const codeName = (n: number) => (n === 0 ? "OK" : (Code[n] ?? `grpc-status ${n}`));
const CONNECT_CODES: Record<string, string> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, v]) => typeof v === "number")
    .map(([k]) => [k.replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase(), k]),
);

/** A gRPC/Connect envelope: flags, big-endian length, data. `length` may lie. */
export function envelope(data: Uint8Array, flags = 0, length = data.length): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([head, data]);
}

/** A fresh HTTP/2 connection per request: how the server treats one request must not decide the next. */
function session(authority: string) {
  const s = http2.connect(authority, { maxSessionMemory: 1000 }); // MB: a 20 MB hostile body must leave this client
  s.on("error", () => {});
  return s;
}

/** Kept for symmetry with older callers: connections are per request now. */
export function closeRawSessions() {}

/** gRPC over HTTP/2: the status is in the trailers (or in the headers, trailers-only). */
function grpcCall(port: number, path: string, body: Uint8Array, headers: Record<string, string>, streaming: boolean): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const conn = session(`http://127.0.0.1:${port}`);
    const req = conn.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...headers,
    });
    let status: string | undefined;
    let message = "";
    let data = false;
    let answered = false;
    const done = (a: RawAnswer) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      resolve(a);
      if (!req.closed) req.close(http2.constants.NGHTTP2_CANCEL);
      conn.close();
    };
    const timer = setTimeout(
      () => done(status ? { code: codeName(Number(status)), detail: message } : streaming ? { code: "Open", detail: "stream still open" } : { code: "Timeout", detail: `no answer in ${UNARY_WAIT_MS} ms${data ? " (data received)" : ""}` }),
      streaming ? STREAM_WAIT_MS : UNARY_WAIT_MS,
    );
    // The status is the answer: once it is in, the rest of the request body need not be sent.
    req.on("response", (h) => {
      if (h["grpc-status"] !== undefined) {
        status = String(h["grpc-status"]);
        message = decodeURIComponent(String(h["grpc-message"] ?? ""));
        done({ code: codeName(Number(status)), detail: message });
      } else if (h[":status"] !== 200) done({ code: `HTTP ${h[":status"]}`, detail: "" });
    });
    req.on("trailers", (h) => {
      status = String(h["grpc-status"]);
      message = decodeURIComponent(String(h["grpc-message"] ?? ""));
      done({ code: codeName(Number(status)), detail: message });
    });
    req.on("data", () => (data = true));
    let goaway = "";
    conn.on("goaway", (code) => (goaway = ` after GOAWAY ${code}`));
    req.on("close", () => done(status === undefined ? { code: "NoStatus", detail: `stream closed (rst ${req.rstCode})${goaway}` } : { code: codeName(Number(status)), detail: message }));
    req.on("error", () => {});
    req.end(body);
  });
}

/** One HTTP/1.1 request on its own connection; resolves with status, headers and body (up to `waitMs` for a stream). */
function http1(port: number, path: string, headers: Record<string, string>, body: Uint8Array, waitMs?: number): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path, method: "POST", headers: { ...headers, "content-length": String(body.length) }, agent: false });
    const chunks: Buffer[] = [];
    let res: http.IncomingMessage | undefined;
    let settled = false;
    const finish = (timedOut: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ status: res?.statusCode ?? 0, headers: res?.headers ?? {}, body: Buffer.concat(chunks), timedOut });
      req.destroy();
    };
    // From the start: a stream may send no headers before its first message.
    const timer = waitMs === undefined ? undefined : setTimeout(() => finish(true), waitMs);
    req.on("response", (r) => {
      res = r;
      r.on("data", (c: Buffer) => chunks.push(c));
      r.on("end", () => finish(false));
      r.on("error", () => finish(false));
    });
    req.on("error", (e) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

/** gRPC-Web over HTTP/1.1: the trailers are the last frame of the body (flag 0x80), or headers. */
async function grpcWebCall(port: number, path: string, body: Uint8Array, headers: Record<string, string>, streaming: boolean): Promise<RawAnswer> {
  const res = await http1(port, path, { "content-type": "application/grpc-web+proto", "x-grpc-web": "1", ...headers }, body, streaming ? STREAM_WAIT_MS : UNARY_WAIT_MS).catch((e: Error) => e);
  if (res instanceof Error) return { code: "TransportError", detail: String(res) };
  if (res.timedOut && res.status === 0) return streaming ? { code: "Open", detail: "no headers yet" } : { code: "Timeout", detail: `no answer in ${UNARY_WAIT_MS} ms` };
  const inHeaders = res.headers["grpc-status"];
  if (inHeaders !== undefined) return { code: codeName(Number(inHeaders)), detail: decodeURIComponent(String(res.headers["grpc-message"] ?? "")) };
  if (res.status !== 200) return { code: `HTTP ${res.status}`, detail: "" };
  for (const { flags, frame } of envelopes(res.body)) {
    if (flags & 0x80) {
      const m = /grpc-status:\s*(\d+)/i.exec(frame.toString());
      const msg = /grpc-message:\s*(.*)/i.exec(frame.toString());
      return { code: m ? codeName(Number(m[1])) : "NoStatus", detail: decodeURIComponent(msg?.[1]?.trim() ?? "") };
    }
  }
  if (res.timedOut) return streaming ? { code: "Open", detail: "stream still open" } : { code: "Timeout", detail: `no answer in ${UNARY_WAIT_MS} ms` };
  return { code: "NoStatus", detail: "no trailer frame" };
}

/** The enveloped messages of a gRPC-Web or Connect streaming body: a flags byte, a 4-byte length, the bytes. */
function* envelopes(bytes: Buffer) {
  for (let off = 0; off + 5 <= bytes.length; ) {
    const len = bytes.readUInt32BE(off + 1);
    yield { flags: bytes[off], frame: bytes.subarray(off + 5, off + 5 + len) };
    off += 5 + len;
  }
}

/** Connect unary: HTTP status 200 is OK, anything else carries a JSON error `{code, message}`. */
async function connectUnary(port: number, path: string, body: Uint8Array, contentType: string, headers: Record<string, string>): Promise<RawAnswer> {
  const res = await http1(port, path, { "content-type": contentType, "connect-protocol-version": "1", ...headers }, body, UNARY_WAIT_MS).catch((e: Error) => e);
  if (res instanceof Error) return { code: "TransportError", detail: String(res) };
  if (res.timedOut) return { code: "Timeout", detail: `no answer in ${UNARY_WAIT_MS} ms` };
  if (res.status === 200) return { code: "OK", detail: "" };
  return connectError(res.status, res.body);
}

function connectError(status: number, body: Buffer): RawAnswer {
  try {
    const err = JSON.parse(body.toString()) as { code: string; message?: string };
    return { code: CONNECT_CODES[err.code] ?? err.code, detail: err.message ?? "" };
  } catch {
    return { code: `HTTP ${status}`, detail: body.toString().slice(0, 200) };
  }
}

/** Connect server streaming: enveloped messages, the last one (flag 0x02) is `{error?}` JSON. */
async function connectStream(port: number, path: string, body: Uint8Array, headers: Record<string, string>): Promise<RawAnswer> {
  const res = await http1(port, path, { "content-type": "application/connect+proto", "connect-protocol-version": "1", ...headers }, body, STREAM_WAIT_MS).catch((e: Error) => e);
  if (res instanceof Error) return { code: "TransportError", detail: String(res) };
  if (res.timedOut && res.status === 0) return { code: "Open", detail: "no headers yet" };
  if (res.status !== 200) return connectError(res.status, res.body);
  for (const { flags, frame } of envelopes(res.body)) {
    if (flags & 0x02) {
      const end = JSON.parse(frame.toString() || "{}") as { error?: { code: string; message?: string } };
      return end.error ? { code: CONNECT_CODES[end.error.code] ?? end.error.code, detail: end.error.message ?? "" } : { code: "OK", detail: "" };
    }
  }
  return res.timedOut ? { code: "Open", detail: "stream still open" } : { code: "NoStatus", detail: "no end-stream message" };
}

/**
 * Sends `body` as the request of `path` (`/mageflow.v1.SignatureService/GetSignature`).
 * `message` is the message bytes; the enveloped protocols frame it (unless `raw`: then
 * `message` is the whole HTTP body, framing included or not).
 */
export function sendRaw(
  ports: Ports,
  protocol: RawProtocol,
  path: string,
  message: Uint8Array,
  o: { headers?: Record<string, string>; raw?: boolean; streaming?: boolean } = {},
): Promise<RawAnswer> {
  const headers = o.headers ?? {};
  const framed = o.raw ? message : envelope(message);
  switch (protocol) {
    case "grpc-port":
      return grpcCall(ports.grpcPort, path, framed, headers, !!o.streaming);
    case "grpc-on-http-port":
      return grpcCall(ports.httpPort, path, framed, headers, !!o.streaming);
    case "grpc-web":
      return grpcWebCall(ports.httpPort, path, framed, headers, !!o.streaming);
    case "connect-proto":
      return o.streaming ? connectStream(ports.httpPort, path, framed, headers) : connectUnary(ports.httpPort, path, message, "application/proto", headers);
    case "connect-json":
      return connectUnary(ports.httpPort, path, message, "application/json", headers);
    case "connect-stream":
      return connectStream(ports.httpPort, path, framed, headers);
  }
}
