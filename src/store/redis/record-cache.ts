import { decodeRecord, type FlatRecord, type SignatureRecord } from "../record.js";

/** Bounds per namespace: a page of List is at most 1000 signatures; 2 Mi code units is about 4 MB of text. */
const DEFAULT_ENTRIES = 4096;
const DEFAULT_TEXT = 2 * 1024 * 1024;

/** The text all of a process's caches hold together, whatever the number of namespaces it serves. */
export class SharedText {
  used = 0;
  constructor(readonly max: number) {}
}

/** 16 Mi code units (about 32 MB) for every namespace's cache in the process. */
const PROCESS_TEXT = new SharedText(16 * 1024 * 1024);

/**
 * Decoded signatures by key and revision, so that List pages of unchanged signatures neither move nor decode
 * them again. A key at a revision always has the same fields (every change writes a new revision); only
 * whether the lease is live depends on the time of reading, so a hit drops a lease that has since expired.
 * Bounded by entries and by the text of their fields (UTF-16 code units), per namespace and for the whole
 * process (`SharedText`); the oldest written goes first.
 */
export class RecordCache {
  private readonly byKey = new Map<string, { record: SignatureRecord; size: number }>();
  private text = 0;

  constructor(
    private readonly maxEntries = DEFAULT_ENTRIES,
    private readonly maxText = DEFAULT_TEXT,
    private readonly shared = PROCESS_TEXT,
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
    while (this.byKey.size >= this.maxEntries || this.text + size > this.maxText || this.shared.used + size > this.shared.max) {
      // The process's share is held by other namespaces' caches: this one does not grow.
      if (this.byKey.size === 0) return record;
      this.forget(this.byKey.keys().next().value!);
    }
    this.byKey.set(record.key, { record, size });
    this.text += size;
    this.shared.used += size;
    return record;
  }

  /** Forgets everything, giving its text back to the process's share. */
  clear() {
    for (const key of [...this.byKey.keys()]) this.forget(key);
  }

  get size() {
    return { entries: this.byKey.size, text: this.text };
  }

  private forget(key: string) {
    const old = this.byKey.get(key);
    if (!old) return;
    this.byKey.delete(key);
    this.text -= old.size;
    this.shared.used -= old.size;
  }
}
