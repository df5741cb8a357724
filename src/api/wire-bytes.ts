/** Length-delimited protobuf fields assembled from bytes already encoded. */

export const varintSize = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);

function writeVarint(buf: Buffer, at: number, n: number) {
  while (n >= 0x80) {
    buf[at++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[at++] = n;
  return at;
}

/** `parts` as repeated field 1 (one `0x0a`, length, bytes each), followed by `tail` (the other fields, encoded). */
export function field1Then(parts: Uint8Array[], tail: Uint8Array): Buffer {
  let size = tail.length;
  for (const p of parts) size += 1 + varintSize(p.length) + p.length;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const p of parts) {
    out[at++] = 0x0a;
    at = writeVarint(out, at, p.length);
    out.set(p, at);
    at += p.length;
  }
  out.set(tail, at);
  return out;
}
