import { createContextKey } from "@connectrpc/connect";

/**
 * A transport's way to write one message of a server stream at once, from outside the handler's
 * own iteration. Only while the handler is waiting for its next message (none of its own in
 * flight), so messages keep their order. False: not written (the stream is gone or its write
 * bound is reached); the handler then yields the message as usual.
 */
export interface StreamSink {
  tryWrite(message: unknown): boolean;
}

/** Set by the gRPC port on each server stream's context; the Connect port has none. */
export const streamSinkKey = createContextKey<StreamSink | undefined>(undefined);
