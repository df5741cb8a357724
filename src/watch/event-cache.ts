import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { SignatureEventSchema, type SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb.js";
import { toEvent } from "../api/convert.js";
import type { StoredEvent } from "../store/store.js";
import { field1Then } from "../api/wire-bytes.js";

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

type WatchReply = { events?: SignatureEvent[]; revision?: bigint; bookmark?: boolean };
const replies = new WeakMap<StoredEvent[], WatchReply>();
const shared = new WeakSet<WatchReply>();
const encodedReplies = new WeakMap<WatchReply, Buffer>();

/** The reply carrying a whole hub batch: the same object (and so the same bytes) for every watcher that gets all of it. */
export function batchResponse(batch: StoredEvent[]): WatchReply {
  let r = replies.get(batch);
  if (!r) {
    r = { events: batch.map(eventMessage), revision: BigInt(batch[batch.length - 1].revision) };
    replies.set(batch, r);
    shared.add(r);
  }
  return r;
}

/** WatchSignaturesResponse in wire format, reusing each event's encoding: one buffer, one copy per event. */
export function encodeWatchResponse(msg: WatchReply): Buffer {
  let out = encodedReplies.get(msg);
  if (!out) {
    out = encodeReply(msg);
    if (shared.has(msg)) encodedReplies.set(msg, out);
  }
  return out;
}

function encodeReply(msg: WatchReply): Buffer {
  const parts = (msg.events ?? []).map((e) => {
    let bytes = encoded.get(e);
    if (!bytes) {
      bytes = toBinary(SignatureEventSchema, e);
      encoded.set(e, bytes);
    }
    return bytes;
  });
  const tail = new BinaryWriter();
  if (msg.revision) tail.tag(2, WireType.Varint).int64(msg.revision);
  if (msg.bookmark) tail.tag(3, WireType.Varint).bool(true);
  return field1Then(parts, tail.finish());
}
