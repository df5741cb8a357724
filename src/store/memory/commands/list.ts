import { decodeRecord, F, type FlatRecord } from "../../record.js";
import { listScanLimit } from "../../list-bounds.js";
import type * as S from "../../store.js";
import { mergedAfter } from "../list-index.js";
import { num, type MemoryState } from "../memory-state.js";

/**
 * ListSignatures (list-1.lua): one page, newest first (creation time desc, then key desc), from the indexes
 * that hold exactly what the filter lists; expired signatures met on the way are dropped.
 */
export function list(db: MemoryState, q: S.ListQuery): S.ListPage {
  const [cTime, cKey] = q.cursor ? (JSON.parse(q.cursor) as [number, string]) : [Infinity, ""];
  const now = db.opts.now();
  const pageSize = Math.max(1, q.pageSize);
  const scanLimit = listScanLimit(pageSize);
  const page: FlatRecord[] = [];
  const stale: string[] = [];
  let next: [number, string] | undefined;
  let scanned = 0;
  const before = q.createdBefore === undefined ? cTime : Math.min(cTime, q.createdBefore);
  const from = before === cTime ? [cTime, cKey] : [before, ""];
  for (const { t, key } of mergedAfter(db.index.of(q.statuses, q.taskName), from[0] as number, from[1] as string)) {
    if (q.createdAfter !== undefined && t < q.createdAfter) break;
    scanned++;
    const h = db.sigs.get(key);
    if (!h || num(h, F.expireTime) <= now) stale.push(key);
    else if (page.length === pageSize) {
      const last = page[page.length - 1];
      next = [num(last, F.creationTime), last[F.key]];
      break;
    } else page.push(h);
    if (scanned >= scanLimit) {
      next = [t, key];
      break;
    }
  }
  for (const key of stale) db.forget(key);
  return { records: page.map((h) => decodeRecord(h, now)), cursor: next && JSON.stringify(next) };
}
