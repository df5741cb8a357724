import { create, fromBinary, toBinary, type DescMessage, type DescMethod, type DescService } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { ConnectError, createContextValues, type ContextValues, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { toConnectError } from "./to-connect-error.js";
import { frameOf, frameStreamOf, framesPassThrough } from "./grpc-frames.js";
import { streamSinkKey, type StreamSink } from "./stream-sink.js";

/**
 * Serves a protobuf-es service implementation (the same one Connect serves) on grpc-js:
 * binary (de)serialization from the descriptors, errors with `grpc-status-details-bin`.
 */
export function addGrpcService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: ServiceImpl<S>,
  /** Faster encoders of some methods' responses, by method local name. */
  encoders: Record<string, (msg: never) => Uint8Array> = {},
  /** How many bytes a server stream may have written and not yet taken by its transport. */
  writes: StreamWrites = { perStream: Infinity },
) {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const m of service.methods) {
    const streaming = m.methodKind === "server_streaming";
    const encode = (encoders[m.localName] ? (msg: never) => toBuffer(encoders[m.localName](msg)) : serializer(m.output)) as (v: unknown) => Buffer;
    definition[m.localName] = {
      path: `/${service.typeName}/${m.name}`,
      requestStream: false,
      responseStream: streaming,
      requestSerialize: serializer(m.input) as (v: unknown) => Buffer,
      requestDeserialize: (b: Buffer) => fromBinary(m.input, b),
      // A stream's messages are encoded by its handler, which counts their bytes.
      responseSerialize: (streaming ? (b: Buffer) => b : encode) as (v: unknown) => Buffer,
      responseDeserialize: (b: Buffer) => fromBinary(m.output, b),
    };
    const fn = (impl as unknown as Record<string, (req: unknown, ctx: unknown) => unknown>)[m.localName].bind(impl);
    handlers[m.localName] = streaming ? streamHandler(service, m, fn, encode, writes) : unaryHandler(service, m, fn);
  }
  server.addService(definition as grpc.ServiceDefinition, handlers);
}

const toBuffer = (b: Uint8Array) => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const serializer = (desc: DescMessage) => (msg: object) =>
  toBuffer(toBinary(desc, (msg as { $typeName?: string }).$typeName ? (msg as never) : create(desc, msg as never)));

type GrpcCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>;

/**
 * The handler context of one grpc-js call. Everything is made on first use: most unary calls
 * never look at their headers or signal, and an AbortController per call is measurable.
 */
class GrpcHandlerContext implements HandlerContext {
  readonly protocolName = "grpc";
  readonly requestMethod = "POST";
  private controller?: AbortController;
  private headers?: Headers;
  private response?: { header: Headers; trailer: Headers };
  private contextValues?: ContextValues;

  constructor(
    readonly service: DescService,
    readonly method: DescMethod,
    private readonly call: GrpcCall,
  ) {}

  get url() {
    return `/${this.service.typeName}/${this.method.name}`;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      const c = (this.controller = new AbortController());
      if (this.call.cancelled) c.abort();
      else this.call.once("cancelled", () => c.abort());
    }
    return this.controller.signal;
  }

  /** Ends the signal (a stream is over); free when nobody asked for it. */
  finish() {
    this.controller?.abort();
  }

  timeoutMs() {
    const deadline = this.call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
  }

  get requestHeader(): Headers {
    if (!this.headers) {
      this.headers = new Headers();
      for (const [k, v] of Object.entries(this.call.metadata.getMap())) if (typeof v === "string") this.headers.append(k, v);
    }
    return this.headers;
  }

  get responseHeader() {
    return (this.response ??= { header: new Headers(), trailer: new Headers() }).header;
  }

  get responseTrailer() {
    return (this.response ??= { header: new Headers(), trailer: new Headers() }).trailer;
  }

  get values(): ContextValues {
    return (this.contextValues ??= createContextValues());
  }
}

function unaryHandler(service: DescService, m: DescMethod, fn: (req: unknown, ctx: unknown) => unknown): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const ctx = new GrpcHandlerContext(service, m, call);
    Promise.resolve()
      .then(() => fn(call.request, ctx))
      .then(
        (res) => callback(null, res),
        (err) => callback(toGrpcError(err)),
      );
  };
}

export interface StreamWrites {
  /**
   * Bytes one stream may have written and not yet handed to the network (a client that reads
   * slowly, or never, leaves them in the process): beyond that it waits, and pulls no more
   * messages. A message bigger than this is written alone.
   */
  perStream: number;
  /**
   * Told of every buffer a stream writes (`hold`) and of its being taken by the transport or dropped
   * (`release`), once per stream: the same frame is written to every stream that carries its message.
   */
  hold?(bytes: Uint8Array): void;
  release?(bytes: Uint8Array): void;
}

function streamHandler(
  service: DescService,
  m: DescMethod,
  fn: (req: unknown, ctx: unknown) => unknown,
  encode: (msg: unknown) => Buffer,
  writes: StreamWrites,
): grpc.handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const ctx = new GrpcHandlerContext(service, m, call);
    let pending = 0;
    const inFlight = new Set<Uint8Array>();
    let wake: (() => void) | undefined;
    const done = (bytes: Uint8Array) => {
      if (!inFlight.delete(bytes)) return;
      pending -= bytes.length;
      writes.release?.(bytes);
      wake?.();
    };
    // A cancelled call's writes never complete: what it still held is released at once.
    call.once("cancelled", () => {
      for (const b of inFlight) done(b);
      wake?.();
    });
    const bytesOf = (res: unknown) => {
      const message = encode(res);
      return framesPassThrough ? frameOf(message) : message;
    };
    const room = (bytes: Buffer) => pending === 0 || (pending + bytes.length <= writes.perStream && !inFlight.has(bytes));
    // The first message goes through grpc-js, which sends the headers with it at once; the
    // rest, framed here already, straight to the HTTP/2 stream behind it (in order: nothing waits in between).
    const frames = frameStreamOf(call);
    let headersSent = false;
    const send = (bytes: Buffer) => {
      inFlight.add(bytes);
      pending += bytes.length;
      writes.hold?.(bytes);
      if (frames && headersSent) frames.write(bytes, () => done(bytes));
      else call.write(bytes, () => done(bytes));
      headersSent = true;
    };
    const sink: StreamSink = {
      tryWrite(res) {
        if (call.cancelled) return false;
        const bytes = bytesOf(res);
        if (!room(bytes)) return false;
        send(bytes);
        return true;
      },
    };
    ctx.values.set(streamSinkKey, sink);
    (async () => {
      for await (const res of fn(call.request, ctx) as AsyncIterable<unknown>) {
        if (call.cancelled) break;
        const bytes = bytesOf(res);
        while (!room(bytes) && !call.cancelled) await new Promise<void>((r) => (wake = r));
        if (call.cancelled) break;
        send(bytes);
      }
      call.end();
    })()
      .catch((err) => {
        if (!call.cancelled) call.emit("error", toGrpcError(err));
      })
      .finally(() => ctx.finish());
  };
}

export function toGrpcError(err: unknown): Partial<grpc.StatusObject> {
  const ce: ConnectError = toConnectError(err);
  const status = create(StatusSchema, {
    code: ce.code,
    message: ce.rawMessage,
    details: ce.details.map((d) => ("desc" in d ? anyPack(d.desc, create(d.desc, d.value as never)) : { typeUrl: `type.googleapis.com/${d.type}`, value: d.value })),
  });
  const metadata = new grpc.Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
  return { code: ce.code as number as grpc.status, details: ce.rawMessage, metadata };
}
