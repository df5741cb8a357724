import type { Outbox, OutboxEntry } from "../store.js";
import { decodeRecord, F } from "../record.js";
import { OUTBOX_GROUP, type Keys } from "./keys.js";
import type { RedisClient } from "./redis-connection.js";
import { toFlat } from "./scripts.js";

type StreamEntry = [id: string, fields: string[]];
/** XPENDING extended form: id, consumer, idle ms, delivery count. */
type PendingRow = [id: string, consumer: string, idleMs: number, deliveries: number];

/** The outbox: the `{p}:outbox` stream read through the consumer group `dispatch`. */
export class RedisOutbox implements Outbox {
  constructor(
    private readonly redis: RedisClient,
    /** A dedicated connection for the blocking XREADGROUP of `read`. */
    private readonly blocking: () => RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Creates the consumer group (and the stream) unless they exist. */
  async ensureGroup() {
    try {
      await this.redis.xgroup("CREATE", this.keys.outbox, OUTBOX_GROUP, "0", "MKSTREAM");
    } catch (e) {
      if (!String((e as Error).message).includes("BUSYGROUP")) throw e;
    }
  }

  async read(consumer: string, count: number, blockMs: number) {
    try {
      return await this.readGroup(consumer, count, blockMs);
    } catch (e) {
      if (!String((e as Error).message).includes("NOGROUP")) throw e;
      await this.ensureGroup();
      return this.readGroup(consumer, count, blockMs);
    }
  }

  /**
   * Claims entries another consumer was delivered and has not acknowledged for idleMs (a crashed
   * dispatcher). Like the memory outbox, a consumer never reclaims its own entries.
   */
  async claimStale(consumer: string, idleMs: number, count: number) {
    const out: OutboxEntry[] = [];
    let start = "-";
    while (out.length < count) {
      const rows = (await this.redis.call("XPENDING", this.keys.outbox, OUTBOX_GROUP, "IDLE", idleMs, start, "+", 100)) as PendingRow[];
      const ids = rows.filter((r) => r[1] !== consumer).map((r) => r[0]).slice(0, count - out.length);
      if (ids.length > 0) {
        const claimed = (await this.redis.call("XCLAIM", this.keys.outbox, OUTBOX_GROUP, consumer, idleMs, ...ids)) as (StreamEntry | null)[];
        out.push(...claimed.filter((e): e is StreamEntry => e !== null).map(toEntry));
      }
      if (rows.length < 100) break;
      start = `(${rows[rows.length - 1][0]}`;
    }
    return out;
  }

  async ack(ids: string[]) {
    if (ids.length === 0) return;
    await this.redis.multi().xack(this.keys.outbox, OUTBOX_GROUP, ...ids).xdel(this.keys.outbox, ...ids).exec();
  }

  /** The stream holds exactly the unacknowledged entries (ack deletes them); an entry id starts with the Redis time it was added. */
  async stats() {
    const [len, first] = (await this.redis.multi().xlen(this.keys.outbox).xrange(this.keys.outbox, "-", "+", "COUNT", 1).exec()) ?? [];
    const entries = Number(len?.[1] ?? 0);
    const firstId = (first?.[1] as StreamEntry[] | undefined)?.[0]?.[0];
    return { entries, oldestAgeMs: firstId ? Math.max(0, Date.now() - Number(firstId.split("-")[0])) : 0 };
  }

  private async readGroup(consumer: string, count: number, blockMs: number) {
    const conn = blockMs > 0 ? this.blocking() : this.redis;
    const block = blockMs > 0 ? ["BLOCK", blockMs] : [];
    const res = (await conn.call("XREADGROUP", "GROUP", OUTBOX_GROUP, consumer, "COUNT", count, ...block, "STREAMS", this.keys.outbox, ">")) as
      | [string, StreamEntry[]][]
      | null;
    return (res?.[0]?.[1] ?? []).map(toEntry);
  }
}

function toEntry([id, fields]: StreamEntry): OutboxEntry {
  const h = toFlat(fields);
  if (h.kind === "cancel") return { id, kind: "cancel", key: h.key, runId: h.run_id };
  const record = h[F.key] ? decodeRecord(h, Date.now()) : undefined;
  return { id, kind: "trigger", key: h.key, attempt: Number(h.attempt), ...(record && { record }) };
}
