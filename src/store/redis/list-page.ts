import { F, type FlatRecord, type SignatureRecord } from "../record.js";
import type { ListPage, ListQuery } from "../store.js";
import type { Keys } from "./keys.js";
import type { RecordCache } from "./record-cache.js";
import type { RedisClient } from "./redis-connection.js";
import type { ListCursor, Scripts } from "./scripts.js";

/**
 * One page of List. The script answers which signatures the page holds, at which revision (list-1.lua,
 * `heads`); those the cache has at that revision cost nothing more, the others are read in one pipeline.
 * When one of those changed in between, the page is read again whole in one script (`full`), so a page
 * always shows every signature as it was at one instant.
 */
export async function listPage(redis: RedisClient, keys: Keys, scripts: Scripts, cache: RecordCache, q: ListQuery, now: () => number): Promise<ListPage> {
  const cursor = q.cursor ? (JSON.parse(q.cursor) as [number, string]) : undefined;
  const at: ListCursor | undefined = cursor && { time: cursor[0], key: cursor[1] };
  const heads = await scripts.list(q, at, "heads");
  const t = now();
  const records: (SignatureRecord | undefined)[] = heads.rows.map((h) => cache.get(h.key, h.revision, t));
  const missing = records.flatMap((r, i) => (r ? [] : [i]));
  let next = heads.next;
  if (missing.length > 0) {
    const pipeline = redis.pipeline();
    for (const i of missing) pipeline.hgetall(keys.sig(heads.rows[i].key));
    const replies = (await pipeline.exec()) ?? [];
    let moved = false;
    replies.forEach(([err, h], n) => {
      if (err) throw err;
      const flat = h as FlatRecord;
      const i = missing[n];
      if (Number(flat[F.revision]) === heads.rows[i].revision) records[i] = cache.decode(flat, t);
      else moved = true;
    });
    if (moved) {
      const full = await scripts.list(q, at, "full");
      const t2 = now();
      records.length = 0;
      records.push(...full.rows.map((h) => cache.decode(h, t2)));
      next = full.next;
    }
  }
  return {
    records: records as SignatureRecord[],
    cursor: next && JSON.stringify([next.time, next.key]),
  };
}
