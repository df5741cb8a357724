import { decodeRecord, F, type FlatRecord } from "../../record.js";
import type * as S from "../../store.js";
import { num, type MemoryState } from "../memory-state.js";

/** ListSignatures (list-1.lua): one page, newest first (creation time desc, then key desc). */
export function list(db: MemoryState, q: S.ListQuery): S.ListPage {
  const [cTime, cKey] = q.cursor ? (JSON.parse(q.cursor) as [number, string]) : [Infinity, ""];
  const now = db.opts.now();
  const page: FlatRecord[] = [];
  let more = false;
  for (const key of db.byCreation.after(cTime, cKey)) {
    const h = db.sigs.get(key);
    if (!h || num(h, F.expireTime) <= now) continue;
    const t = num(h, F.creationTime);
    if (q.createdBefore !== undefined && t >= q.createdBefore) continue;
    if (q.createdAfter !== undefined && t < q.createdAfter) break;
    if (q.statuses.length > 0 && !q.statuses.includes(num(h, F.status))) continue;
    if (q.taskName && h[F.taskName] !== q.taskName) continue;
    if (page.length === q.pageSize) {
      more = true;
      break;
    }
    page.push(h);
  }
  const last = page[page.length - 1];
  return {
    records: page.map((h) => decodeRecord(h, now)),
    cursor: more && last ? JSON.stringify([num(last, F.creationTime), last[F.key]]) : undefined,
  };
}
