import { decodeRecord, type FlatRecord, type SignatureRecord } from "../record.js";

/** Bounds per namespace: a page of List is at most 1000 signatures; 2 Mi code units is about 4 MB of text. */
const DEFAULT_ENTRIES = 4096;
const DEFAULT_TEXT = 2 * 1024 * 1024;

/**
 * Decoded signatures by key and revision, so that List pages of unchanged signatures neither move nor decode
 * them again. A key at a revision always has the same fields (every change writes a new revision); only
 * whether the lease is live depends on the time of reading, so a hit drops a lease that has since expired.
 * Bounded by entries and by the text of their fields (UTF-16 code units); the oldest written goes first.
 */
export class RecordCache {
  private readonly byKey = new Map<string, { record: SignatureRecord; size: number }>();
  private text = 0;

  constructor(
    private readonly maxEntries = DEFAULT_ENTRIES,
    private readonly maxText = DEFAULT_TEXT,
  ) {}

  get(key: string, revision: number, now: number): SignatureRecord | undefined {
    const hit = this.byKey.get(key);
    if (!hit || hit.record.revision !== revision) return undefined;
    const r = hit.record;
    return r.lock && r.lock.expireTime <= now ? { ...r, lock: undefined } : r;
  }

  /** Decodes `h` and remembers it. */
  decode(h: FlatRecord, now: number): SignatureRecord {
    const record = decodeRecord(h, now);
    let size = 0;
    for (const f in h) size += f.length + h[f].length;
    this.forget(record.key);
    if (size > this.maxText) return record;
    while (this.byKey.size >= this.maxEntries || this.text + size > this.maxText) this.forget(this.byKey.keys().next().value!);
    this.byKey.set(record.key, { record, size });
    this.text += size;
    return record;
  }

  get size() {
    return { entries: this.byKey.size, text: this.text };
  }

  private forget(key: string) {
    const old = this.byKey.get(key);
    if (!old) return;
    this.byKey.delete(key);
    this.text -= old.size;
  }
}
