import { createRequire } from "node:module";
import { oncePer } from "../core/once-per.js";

/**
 * gRPC messages framed once (the 5-byte prefix, then the message) and written as they are to every
 * stream that carries them. grpc-js copies each message into a fresh frame per call; a watch message
 * sent to a thousand streams made that a thousand allocations and copies of the same bytes (measured:
 * about 40% of a 1,000-watcher fan-out's CPU, most of it page faults on the fresh memory).
 */
const framed = new WeakSet<Uint8Array>();

function frame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.length + 5);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  framed.add(out);
  return out;
}

/** The frame of `message`: the same buffer for the same message object, for as long as it lives. */
export const frameOf = oncePer(frame);

/**
 * Whether grpc-js passes frames made here through unchanged: its call's `serializeMessage`
 * (grpc-js 1.14, pinned) is wrapped to return them as they are. False if that class is not
 * where it was: then messages are written unframed and grpc-js frames them as usual.
 */
export const framesPassThrough: boolean = (() => {
  try {
    const { BaseServerInterceptingCall } = createRequire(import.meta.url)("@grpc/grpc-js/build/src/server-interceptors.js");
    const proto = BaseServerInterceptingCall?.prototype;
    const serialize = proto?.serializeMessage;
    if (typeof serialize !== "function") return false;
    proto.serializeMessage = function (this: unknown, value: unknown) {
      return value instanceof Uint8Array && framed.has(value) ? value : serialize.call(this, value);
    };
    return true;
  } catch {
    return false;
  }
})();

/** What a frame is written to once its call has sent its headers: the call's own HTTP/2 stream. */
export interface FrameStream {
  write(frame: Buffer, done: (err?: Error | null) => void): boolean;
}

/**
 * The HTTP/2 stream under a grpc-js server call (grpc-js 1.14: the call's `call.stream`, when no
 * interceptor wraps it in another object), or undefined. Frames written straight to it skip two
 * Writable layers and grpc-js's per-message bookkeeping: about a fifth of a watch fan-out's CPU.
 */
export function frameStreamOf(call: object): FrameStream | undefined {
  if (!framesPassThrough) return undefined;
  const stream = (call as { call?: { stream?: unknown } }).call?.stream as { write?: unknown; respond?: unknown } | undefined;
  return typeof stream?.write === "function" && typeof stream.respond === "function" ? (stream as unknown as FrameStream) : undefined;
}
