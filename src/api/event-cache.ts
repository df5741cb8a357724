import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { SignatureEventSchema, type SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb.js";
import { toEvent } from "./convert.js";
import { field1Then } from "./wire-bytes.js";
import { oncePer } from "../core/once-per.js";
import type { StoredEvent } from "../store/store.js";

/**
 * One event goes to every watcher that matches it: it is converted once and, on the gRPC
 * port, encoded once, however many streams carry it.
 */
export const eventMessage = oncePer((e: StoredEvent): SignatureEvent => create(SignatureEventSchema, toEvent(e)));
const eventBytes = oncePer((m: SignatureEvent) => toBinary(SignatureEventSchema, m));

type WatchReply = { events?: SignatureEvent[]; revision?: bigint; bookmark?: boolean };
const shared = new WeakSet<WatchReply>();

/** The reply carrying a whole hub batch: the same object (and so the same bytes) for every watcher that gets all of it. */
export const batchResponse = oncePer((batch: StoredEvent[]): WatchReply => {
  const r = { events: batch.map(eventMessage), revision: BigInt(batch[batch.length - 1].revision) };
  shared.add(r);
  return r;
});

const sharedBytes = oncePer(encodeReply);

/** WatchSignaturesResponse in wire format, reusing each event's encoding: one buffer, one copy per event. */
export function encodeWatchResponse(msg: WatchReply): Buffer {
  return shared.has(msg) ? sharedBytes(msg) : encodeReply(msg);
}

function encodeReply(msg: WatchReply): Buffer {
  const parts = (msg.events ?? []).map(eventBytes);
  const tail = new BinaryWriter();
  if (msg.revision) tail.tag(2, WireType.Varint).int64(msg.revision);
  if (msg.bookmark) tail.tag(3, WireType.Varint).bool(true);
  return field1Then(parts, tail.finish());
}
