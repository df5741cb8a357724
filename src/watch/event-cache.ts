import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { SignatureEventSchema, type SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb.js";
import { toEvent } from "../api/convert.js";
import type { StoredEvent } from "../store/store.js";

/**
 * One event goes to every watcher that matches it: it is converted once and, on the gRPC
 * port, encoded once, however many streams carry it.
 */
const messages = new WeakMap<StoredEvent, SignatureEvent>();
const encoded = new WeakMap<SignatureEvent, Uint8Array>();

export function eventMessage(e: StoredEvent): SignatureEvent {
  let m = messages.get(e);
  if (!m) {
    m = create(SignatureEventSchema, toEvent(e));
    messages.set(e, m);
  }
  return m;
}

/** WatchSignaturesResponse in wire format, reusing each event's encoding. */
export function encodeWatchResponse(msg: { events?: SignatureEvent[]; revision?: bigint; bookmark?: boolean }): Uint8Array {
  const w = new BinaryWriter();
  for (const e of msg.events ?? []) {
    let bytes = encoded.get(e);
    if (!bytes) {
      bytes = toBinary(SignatureEventSchema, e);
      encoded.set(e, bytes);
    }
    w.tag(1, WireType.LengthDelimited).bytes(bytes);
  }
  if (msg.revision) w.tag(2, WireType.Varint).int64(msg.revision);
  if (msg.bookmark) w.tag(3, WireType.Varint).bool(true);
  return w.finish();
}
