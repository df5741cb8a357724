import { F, type FlatRecord } from "../record.js";
import { refusals } from "../refusal-errors.js";
import type { StoreOptions } from "../store.js";

/** A signature's size for the quota: the bytes of its fields and values (quota.lua's flat_size). */
export function flatSize(h: FlatRecord): number {
  let n = 0;
  for (const [f, v] of Object.entries(h)) n += Buffer.byteLength(f) + Buffer.byteLength(v);
  return n;
}

/**
 * The namespace's quotas (QUOTA_SIGNATURES, QUOTA_BYTES), the twin of quota.lua: each stored
 * signature's size, their sum and count.
 */
export class QuotaUsage {
  private readonly sizes = new Map<string, number>();
  private bytes = 0;

  constructor(private readonly quota: StoreOptions["quota"]) {}

  /** Before any write: refuses QUOTA_EXCEEDED when storing `h` (new: not stored yet) would go over a quota. */
  check(h: FlatRecord, key: string, isNew: boolean, pruneExpired: () => void) {
    if (!this.bounded()) return;
    this.refuseOver(isNew ? 1 : 0, flatSize(h) - (isNew ? 0 : (this.sizes.get(key) ?? 0)), pruneExpired);
  }

  /**
   * Before any write of a step that stores several signatures (a container and its children): refuses
   * QUOTA_EXCEEDED when storing all of `hs`, as they will be, would go over a quota. A signature the quota does
   * not count yet is new.
   */
  checkAll(hs: FlatRecord[], pruneExpired: () => void) {
    if (!this.bounded()) return;
    let added = 0;
    let grow = 0;
    for (const h of hs) {
      const old = this.sizes.get(h[F.key]!);
      if (old === undefined) added++;
      grow += flatSize(h) - (old ?? 0);
    }
    this.refuseOver(added, grow, pruneExpired);
  }

  private bounded() {
    return !!this.quota && (this.quota.signatures > 0 || this.quota.bytes > 0);
  }

  /** Refuses QUOTA_EXCEEDED when `added` more signatures and `grow` more bytes would go over a quota. */
  private refuseOver(added: number, grow: number, pruneExpired: () => void) {
    const q = this.quota!;
    const over = (): ["signatures" | "bytes", number] | undefined => {
      if (added > 0 && q.signatures > 0 && this.sizes.size + added > q.signatures) return ["signatures", q.signatures];
      if (grow > 0 && q.bytes > 0 && this.bytes + grow > q.bytes) return ["bytes", q.bytes];
      return undefined;
    };
    if (!over()) return;
    pruneExpired();
    const still = over();
    if (still) throw refusals.quotaExceeded(...still);
  }

  /** After a write: the signature's size as it is now. */
  account(key: string, h: FlatRecord) {
    const size = flatSize(h);
    this.bytes += size - (this.sizes.get(key) ?? 0);
    this.sizes.set(key, size);
  }

  forget(key: string) {
    this.bytes -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }
}
