import type http from "node:http";
import type http2 from "node:http2";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { fromBinary, fromJsonString, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, createContextValues, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import {
  compressionBrotli,
  compressionGzip,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import { log } from "../observability/log.js";
import { CALL_INFO, type CallInfo } from "../auth/call-info.js";
import { drainLimit } from "./body-limits.js";

type NodeHandlerFn = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;
type NodeResponse = Parameters<typeof universalResponseToNodeResponse>[1];

export interface ConnectHandlerOptions extends Partial<ConnectRouterOptions> {
  routes: (router: ConnectRouter) => void;
  readMaxBytes: number;
  /**
   * Whether the request's headers admit it (a known token whose role may call the method).
   * A request not admitted is answered by the gate without its body being read or decompressed.
   */
  admits?: (header: Headers, method: DescMethod) => boolean;
}

/**
 * connect-node's request handler (as `connectNodeAdapter`), plus two things the handlers need:
 * - the client connection of each call, in the context values (per-connection limits);
 * - a check of request bodies before Connect parses them: Connect answers an undecodable
 *   protobuf body with INTERNAL ("parse binary"), which would blame the server for a client's
 *   bytes, and answers bad bodies before the handlers, so before authentication. A body that
 *   does not decode (or is over the size limit) is replaced by an empty message and the call
 *   is answered by the gate, after authentication, in each protocol's format:
 *   INVALID_ARGUMENT (or RESOURCE_EXHAUSTED REQUEST_TOO_LARGE).
 * Bodies cost the server nothing before the caller is known: a request whose headers are not
 * admitted (`admits`) gets an empty message and the rest of its body is discarded unread. An
 * admitted body is read up to the size limit and holds exactly one message, decompressed at
 * most once and to at most `readMaxBytes`.
 */
export function connectHandler(opts: ConnectHandlerOptions): NodeHandlerFn {
  const { routes, ...routerOptions } = opts;
  const router = createConnectRouter({ acceptCompression: [compressionGzip, compressionBrotli], ...routerOptions });
  routes(router);
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req, nodeRes) => {
    const res = nodeRes as NodeResponse;
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      res.writeHead(404);
      res.end();
      return;
    }
    const info: CallInfo = { connection: "stream" in req ? req.stream.session : req.socket };
    const uReq = universalRequestFromNodeRequest(req, res, undefined, createContextValues().set(CALL_INFO, info));
    const admitted = opts.admits?.(uReq.header, handler.method) ?? true;
    (admitted ? checkBody(uReq, handler.method.input, opts.readMaxBytes, info, opts.jsonOptions) : Promise.resolve(withoutBody(uReq)))
      .then((checked) => handler(checked))
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch((reason) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        log.error({ method: `${handler.service.typeName}/${handler.method.name}`, err: reason }, "rpc handler failed");
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
  };
}


interface Framing {
  enveloped: boolean;
  encodingHeader: string;
  /** Protobuf binary, else JSON. */
  binary: boolean;
}

function framingOf(contentType: string | null): Framing | undefined {
  const ct = (contentType ?? "").split(";")[0].trim().toLowerCase();
  const m = /^application\/(?:(proto|json)|(connect|grpc|grpc-web)(?:\+(proto|json))?)$/.exec(ct);
  if (!m) return undefined;
  if (m[1]) return { enveloped: false, encodingHeader: "content-encoding", binary: m[1] === "proto" };
  return { enveloped: true, encodingHeader: m[2] === "connect" ? "connect-content-encoding" : "grpc-encoding", binary: (m[3] ?? "proto") === "proto" };
}

/** Throws when the bytes are not a message of the RPC's input type. */
type Decode = (bytes: Uint8Array) => void;

async function checkBody(
  uReq: UniversalServerRequest,
  input: DescMessage,
  readMaxBytes: number,
  info: CallInfo,
  jsonOptions: ConnectRouterOptions["jsonOptions"],
): Promise<UniversalServerRequest> {
  const framing = framingOf(uReq.header.get("content-type"));
  const body = uReq.body;
  if (uReq.method !== "POST" || !framing || typeof body !== "object" || body === null || !(Symbol.asyncIterator in body)) return uReq;
  // Read the whole body. One too large is read to its end and dropped (up to the drain limit), so the
  // client, still sending, can read the answer: RESOURCE_EXHAUSTED REQUEST_TOO_LARGE. (Left unread,
  // an HTTP/1.1 client would see the connection reset instead.) Beyond it, Connect answers.
  const it = (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  const limit = readMaxBytes + (framing.enveloped ? 5 : 0);
  const drain = drainLimit(readMaxBytes);
  let size = 0;
  for (;;) {
    const r = await it.next();
    if (r.done) break;
    size += r.value.byteLength;
    if (size <= limit) chunks.push(r.value);
    else if (size > drain) return { ...uReq, body: replay([], it) };
  }
  let problem: Problem;
  if (size > limit) {
    info.tooLarge = readMaxBytes;
  } else {
    const bytes = Buffer.concat(chunks);
    const encoding = (uReq.header.get(framing.encodingHeader) ?? "identity").trim().toLowerCase();
    const ignoreUnknownFields = jsonOptions?.ignoreUnknownFields ?? true;
    const decode: Decode = framing.binary
      ? (b) => void fromBinary(input, b)
      : (b) => void fromJsonString(input, new TextDecoder().decode(b), { ignoreUnknownFields });
    problem = framing.enveloped ? envelopedProblem(bytes, input, decode, encoding, readMaxBytes) : messageProblem(bytes, input, decode, encoding, readMaxBytes);
    if (problem === undefined) return { ...uReq, body: replay([bytes]) };
    if (problem === TOO_LARGE) info.tooLarge = readMaxBytes;
    else info.badRequest = problem;
  }
  return emptyRequest(uReq, framing);
}

/** An empty message in the request's own format, so that Connect goes on to the gate. */
function emptyRequest(uReq: UniversalServerRequest, framing: Framing): UniversalServerRequest {
  const empty = framing.binary ? new Uint8Array(0) : new TextEncoder().encode("{}");
  const replacement = framing.enveloped ? Buffer.concat([Buffer.from([0, 0, 0, 0, empty.length]), empty]) : empty;
  const header = new Headers(uReq.header);
  header.delete(framing.encodingHeader);
  header.set("content-length", String(replacement.length));
  return { ...uReq, header, body: replay([replacement]) };
}

/** The request with an empty message in place of its body, which is read and dropped in the background (up to the drain limit). */
function withoutBody(uReq: UniversalServerRequest): UniversalServerRequest {
  const framing = framingOf(uReq.header.get("content-type"));
  const body = uReq.body;
  if (uReq.method !== "POST" || !framing || typeof body !== "object" || body === null || !(Symbol.asyncIterator in body)) return uReq;
  void discard((body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]());
  return emptyRequest(uReq, framing);
}

async function discard(it: AsyncIterator<Uint8Array>) {
  let size = 0;
  try {
    while (size <= drainLimit(0)) {
      const r = await it.next();
      if (r.done) return;
      size += r.value.byteLength;
    }
    await it.return?.();
  } catch {
    // the client went away
  }
}

/** A message that decompresses past the size limit. */
const TOO_LARGE = Symbol("too large");
/** Why a body is refused (a description, or TOO_LARGE), or undefined when Connect may parse it. */
type Problem = string | typeof TOO_LARGE | undefined;

/** Why one (possibly compressed) message does not decode, or undefined (also when Connect should judge it). */
function messageProblem(data: Uint8Array, input: DescMessage, decode: Decode, encoding: string, readMaxBytes: number): Problem {
  let bytes = data;
  if (encoding !== "identity") {
    try {
      if (encoding === "gzip") bytes = gunzipSync(data, { maxOutputLength: readMaxBytes });
      else if (encoding === "br") bytes = brotliDecompressSync(data, { maxOutputLength: readMaxBytes });
      else return undefined; // an encoding Connect does not accept: it says so
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") return TOO_LARGE;
      return `the ${encoding} body could not be decompressed`;
    }
  }
  try {
    decode(bytes);
    return undefined;
  } catch (e) {
    return `not a valid ${input.typeName} message: ${e instanceof RangeError ? "nested too deeply" : String((e as Error).message ?? e).slice(0, 200)}`;
  }
}

/**
 * The envelopes are checked first, without decompressing anything: every RPC of the service takes
 * exactly one request message. Only then is that one message decompressed and decoded.
 */
function envelopedProblem(bytes: Uint8Array, input: DescMessage, decode: Decode, encoding: string, readMaxBytes: number): Problem {
  const frames: { flags: number; data: Uint8Array }[] = [];
  for (let off = 0; off < bytes.length; ) {
    const flags = bytes[off];
    // Connect looks at the compressed flag before anything else: it must not meet one it cannot decompress.
    if (flags & 1 && encoding === "identity") return "a compressed message without a message encoding header";
    if (bytes.length - off < 5) return "the body ends inside an envelope header";
    const len = new DataView(bytes.buffer, bytes.byteOffset + off + 1, 4).getUint32(0);
    if (bytes.length - off - 5 < len) return `the body ends inside a message (envelope length ${len}, ${bytes.length - off - 5} bytes follow)`;
    const data = bytes.subarray(off + 5, off + 5 + len);
    off += 5 + len;
    // Requests carry message frames only (flag 0, or 1 compressed); Connect would parse any other as a message too.
    if ((flags & ~1) !== 0) return `envelope flags 0x${flags.toString(16)} are not allowed in a request`;
    frames.push({ flags, data });
    if (frames.length > 1) return "more than one request message (every RPC of this service takes exactly one)";
  }
  if (frames.length === 0) return undefined; // Connect: no message
  return messageProblem(frames[0].data, input, decode, frames[0].flags & 1 ? encoding : "identity", readMaxBytes);
}

async function* replay(chunks: Uint8Array[], rest?: AsyncIterator<Uint8Array>): AsyncIterable<Uint8Array> {
  yield* chunks;
  if (!rest) return;
  for (;;) {
    const r = await rest.next();
    if (r.done) return;
    yield r.value;
  }
}
