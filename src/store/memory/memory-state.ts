import { decodeRecord, F, type FlatRecord } from "../record.js";
import type * as S from "../store.js";
import { ListIndex } from "./list-index.js";
import { MemoryEventLog } from "./memory-events.js";
import { MemoryOutbox } from "./memory-outbox.js";
import { QuotaUsage } from "./quota.js";

export const num = (h: FlatRecord, f: string) => Number(h[f] || 0);

/**
 * What the memory store holds: the signatures (flat, as in a Redis hash), their list indexes, request ids,
 * the revision, the event log and the outbox. The operations in `commands/` read and change it; each runs
 * synchronously between two awaits, so it is as atomic as a Redis script.
 */
export class MemoryState {
  revision = 0;
  readonly sigs = new Map<string, FlatRecord>();
  readonly index = new ListIndex();
  readonly requests = new Map<string, { key: string; expireAt: number }>();
  readonly log: MemoryEventLog;
  readonly outbox: MemoryOutbox;
  readonly quota: QuotaUsage;

  constructor(readonly opts: S.StoreOptions) {
    this.quota = new QuotaUsage(opts.quota);
    this.log = new MemoryEventLog(opts.historyMax, () => this.revision, opts.historyMaxBytes);
    this.outbox = new MemoryOutbox(opts.now);
  }

  /** The live signature under `key` (an expired one is dropped). */
  find(key: string): FlatRecord | undefined {
    const h = this.sigs.get(key);
    if (h && num(h, F.expireTime) <= this.opts.now()) {
      this.forget(key);
      return undefined;
    }
    return h;
  }

  forget(key: string) {
    const h = this.sigs.get(key);
    if (!h) return;
    this.sigs.delete(key);
    this.index.remove(h);
    this.quota.forget(key);
  }

  /** Refuses QUOTA_EXCEEDED when storing `h` would go over a quota (expired signatures are dropped first). */
  checkQuota(h: FlatRecord, key: string, isNew: boolean) {
    this.quota.check(h, key, isNew, () => this.pruneExpired());
  }

  /** Refuses QUOTA_EXCEEDED when storing all of `hs` would go over a quota (expired signatures are dropped first). */
  checkQuotaAll(hs: FlatRecord[]) {
    this.quota.checkAll(hs, () => this.pruneExpired());
  }

  private pruneExpired() {
    for (const k of [...this.sigs.keys()]) this.find(k);
  }

  /** Commits one mutation's events under the next revision. */
  commit(stamp: (revision: number) => S.StoredEvent[]) {
    const revision = ++this.revision;
    this.log.append(stamp(revision));
    return revision;
  }

  decode(h: FlatRecord) {
    return decodeRecord(h, this.opts.now());
  }

  changed(h: FlatRecord): S.MutationResult {
    return { record: this.decode(h), changed: true };
  }

  unchanged(h: FlatRecord): S.MutationResult {
    return { record: this.decode(h), changed: false };
  }

  /** A worker report's answer: the record and the callbacks its run dispatched. */
  outcome(h: FlatRecord): S.CompleteResult {
    const record = this.decode(h);
    return { record, dispatched: record.run?.dispatchedCallbacks ?? [] };
  }

  /** Drops expired signatures and request ids. */
  sweep() {
    const now = this.opts.now();
    for (const [k, h] of this.sigs) if (num(h, F.expireTime) <= now) this.forget(k);
    for (const [id, r] of this.requests) if (r.expireAt <= now) this.requests.delete(id);
  }
}
