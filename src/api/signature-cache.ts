import { create, toBinary, type DescMessage } from "@bufbuild/protobuf";
import { SignatureSchema, type Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { oncePer } from "../core/once-per.js";
import type { SignatureRecord } from "../store/record.js";
import { toSignature } from "./convert.js";
import { field1Then } from "./wire-bytes.js";

/** Bounds the memory held: a page of List is at most 1000; the oldest written entry goes first. */
const DEFAULT_ENTRIES = 4096;

/**
 * The last signature message made for each key. A signature's content is fixed by its key and
 * revision, except whether its lease is still live (read time decides), so a signature read
 * again unchanged (polling, list pages) reuses its message and, on the gRPC port, its encoding.
 * The lease id is never in a shared message (only its holder sees it, from LockSignature).
 */
export class SignatureCache {
  private readonly byKey = new Map<string, { revision: number; leased: boolean; signature: Signature }>();

  constructor(private readonly maxEntries = DEFAULT_ENTRIES) {}

  of(r: SignatureRecord): Signature {
    const hit = this.byKey.get(r.key);
    const leased = r.lock !== undefined;
    if (hit && hit.revision === r.revision && hit.leased === leased) return hit.signature;
    const signature = toSignature(r);
    if (hit) this.byKey.delete(r.key);
    else if (this.byKey.size >= this.maxEntries) this.byKey.delete(this.byKey.keys().next().value!);
    this.byKey.set(r.key, { revision: r.revision, leased, signature });
    return signature;
  }
}

const signatureBytes = oncePer((s: Signature) => toBinary(SignatureSchema, s.$typeName ? s : create(SignatureSchema, s)));

/**
 * An encoder for a response whose field 1 is its signature(s) (Get, BatchGet, List): each
 * signature's bytes are made once per message object and reused; the other fields are encoded
 * as usual.
 */
export function signatureResponseEncoder(desc: DescMessage) {
  const field = desc.fields.find((f) => f.number === 1);
  if (!field || field.message?.typeName !== SignatureSchema.typeName) throw new Error(`${desc.typeName}: field 1 is not a Signature`);
  const repeated = field.fieldKind === "list";
  const onlyField1 = desc.fields.length === 1;
  const none = new Uint8Array(0);
  return (msg: Record<string, unknown>): Buffer => {
    const value = msg[field.localName];
    const signatures = (repeated ? (value as Signature[] | undefined) ?? [] : value ? [value as Signature] : []);
    const rest = onlyField1 ? none : toBinary(desc, create(desc, { ...msg, $typeName: undefined, [field.localName]: repeated ? [] : undefined } as never));
    return field1Then(signatures.map(signatureBytes), rest);
  };
}
