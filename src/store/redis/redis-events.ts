import type { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import { decodeRecord } from "../record.js";
import type { EventLog, StoredEvent } from "../store.js";
import { unavailable } from "../../core/service-error.js";
import type { Keys } from "./keys.js";
import type { RedisClient } from "./redis-connection.js";
import { toFlat } from "./scripts.js";
import { execThenWait, type WaitReplicas } from "./wait-replicas.js";

type StreamEntry = [id: string, fields: string[]];

const MAX_SEQ = "18446744073709551615";
const TAIL_COUNT = 1000;

/**
 * The event history: the `{p}:events` stream, one entry per event with id `<revision>-<n>`.
 * Trimming (`MAXLEN ~`) may cut the oldest retained revision in the middle; such a partial
 * revision is never returned.
 *
 * With `waitReplicas`, events are returned only once that many replicas have them (see `replicated`),
 * so no watcher receives a change that a failover can still lose.
 */
export class RedisEventLog implements EventLog {
  constructor(
    private readonly redis: RedisClient,
    /** A dedicated connection for the blocking XREAD of `tail`. */
    private readonly blocking: () => RedisClient,
    private readonly keys: Keys,
    private readonly waitReplicas?: WaitReplicas,
  ) {}

  /** The newest revision this process has seen on `waitReplicas` replicas. */
  private replicatedRevision = 0;

  async oldestRevision() {
    const res = await this.redis.multi().get(this.keys.rev).xrange(this.keys.events, "-", "+", "COUNT", 1).exec();
    const current = Number(res?.[0]?.[1] ?? 0);
    const first = (res?.[1]?.[1] as StreamEntry[] | undefined)?.[0];
    if (!first) return current + 1;
    const [revision, seq] = parseId(first[0]);
    return seq === 0 ? revision : revision + 1;
  }

  async range(fromRevision: number, limit: number) {
    const entries = (await this.redis.xrange(this.keys.events, `${fromRevision}-0`, "+", "COUNT", limit)) as StreamEntry[];
    return this.replicated(await this.complete(entries, limit));
  }

  async tail(afterRevision: number, blockMs: number) {
    const after = `${afterRevision}-${MAX_SEQ}`;
    const conn = blockMs > 0 ? this.blocking() : this.redis;
    const block = blockMs > 0 ? ["BLOCK", blockMs] : [];
    const res = (await conn.call("XREAD", "COUNT", TAIL_COUNT, ...block, "STREAMS", this.keys.events, after)) as
      | [string, StreamEntry[]][]
      | null;
    return this.replicated(await this.complete(res?.[0]?.[1] ?? [], TAIL_COUNT));
  }

  /**
   * Writes the newest revision read to `{p}:replicated` and WAITs for that write (execThenWait): the
   * replicas then have every event read before it. Too few replicas in time: only what was already confirmed is returned (a tail
   * rejects, and its reader retries).
   */
  private async replicated(events: StoredEvent[]): Promise<StoredEvent[]> {
    const w = this.waitReplicas;
    const last = events.at(-1)?.revision ?? 0;
    if (!w || last <= this.replicatedRevision) return events;
    const { replies, replicated, waitError } = await execThenWait(this.redis.pipeline().set(this.keys.replicated, last), w);
    const setError = replies[0][0];
    if (setError ?? waitError) throw setError ?? waitError;
    if (replicated) {
      this.replicatedRevision = Math.max(this.replicatedRevision, last);
      return events;
    }
    const confirmed = events.filter((e) => e.revision <= this.replicatedRevision);
    if (confirmed.length > 0) return confirmed;
    throw unavailable("REPLICATION_TIMEOUT", `events up to revision ${last} are not yet on ${w.count} replicas`);
  }

  /** Drops a leading revision that trimming cut; completes the last revision if `limit` cut it. */
  private async complete(entries: StreamEntry[], limit: number): Promise<StoredEvent[]> {
    if (entries.length === 0) return [];
    if (entries.length >= limit) {
      const last = entries[entries.length - 1][0];
      const [revision] = parseId(last);
      const rest = (await this.redis.xrange(this.keys.events, `(${last}`, `${revision}-${MAX_SEQ}`)) as StreamEntry[];
      entries = [...entries, ...rest];
    }
    const [firstRevision, firstSeq] = parseId(entries[0][0]);
    if (firstSeq !== 0) entries = entries.filter(([id]) => parseId(id)[0] !== firstRevision);
    return entries.map(toEvent);
  }
}

function parseId(id: string): [revision: number, seq: number] {
  const dash = id.indexOf("-");
  return [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}

function toEvent([id, fields]: StreamEntry): StoredEvent {
  const h = toFlat(fields);
  const time = Number(h.time);
  const size = Number(h.sz) || fields.reduce((n, f) => n + f.length, 0);
  return { revision: parseId(id)[0], type: Number(h.type) as EventType, key: h.key, time, record: decodeRecord(h, time), size };
}
