import type { JsonObject, JsonValue } from "../../core/json.js";
import type { TransitionRule } from "../../core/status.js";
import { decodeRecord, F, type FlatRecord, type SignatureRecord } from "../record.js";
import type * as S from "../store.js";
import { Keys } from "./keys.js";
import { RedisEventLog } from "./redis-events.js";
import { duplicateClient, redisClient, type RedisClient } from "./redis-connection.js";
import { RedisOutbox } from "./redis-outbox.js";
import { parseRedisTarget } from "../../core/redis-target.js";
import { Scripts, type FlatResult } from "./scripts.js";
import { listPage } from "./list-page.js";
import { RecordCache } from "./record-cache.js";

/** Index entries one call of the index build (indexBuild-1.lua) reads. */
const INDEX_BUILD_SLICE = 1000;

/**
 * The Redis store: every mutation is one Lua script (src/store/redis/commands), so each is atomic
 * and bumps the store revision once. Blocking reads (event tail, outbox read) use their own connections.
 */
export class RedisStore implements S.Store {
  readonly kind = "redis";
  readonly events: RedisEventLog;
  readonly outbox: RedisOutbox;
  private readonly keys: Keys;
  private readonly scripts: Scripts;
  private readonly blockingConnections: RedisClient[] = [];
  private readonly listed = new RecordCache();
  private closing = false;
  /** Settles once the list indexes of signatures stored before them are built (true) or the build stopped. */
  readonly indexesBuilt: Promise<boolean>;

  private constructor(
    private readonly redis: RedisClient,
    private readonly opts: S.StoreOptions,
  ) {
    this.keys = new Keys(opts.prefix);
    this.scripts = new Scripts(redis, this.keys, opts);
    this.events = new RedisEventLog(redis, this.dedicated(), this.keys, opts.waitReplicas);
    this.outbox = new RedisOutbox(redis, this.dedicated(), this.keys);
    this.indexesBuilt = this.buildIndexes();
  }

  /** `url`: any REDIS_URL form (src/core/redis-target.ts). */
  static async open(url: string, opts: S.StoreOptions): Promise<RedisStore> {
    const redis = redisClient(parseRedisTarget(url));
    let cause: unknown;
    const remember = (e: unknown) => (cause = e);
    redis.on("error", remember);
    try {
      await redis.connect();
    } catch (e) {
      // No client left reconnecting in the background; the caller retries. ioredis rejects with
      // "Connection is closed." and says why (a wrong password, a certificate) in an error event.
      redis.disconnect();
      throw cause ?? e;
    } finally {
      redis.off("error", remember);
    }
    const store = new RedisStore(redis, opts);
    try {
      await store.outbox.ensureGroup();
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
    return store;
  }

  async get(key: string) {
    return this.decode(await this.redis.hgetall(this.keys.sig(key)));
  }

  async getMany(keys: string[]) {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const k of keys) pipeline.hgetall(this.keys.sig(k));
    const res = (await pipeline.exec()) ?? [];
    return res.map(([err, h]) => {
      if (err) throw err;
      return this.decode(h as FlatRecord);
    });
  }

  async list(q: S.ListQuery): Promise<S.ListPage> {
    return listPage(this.redis, this.keys, this.scripts, this.listed, q, () => this.opts.now());
  }

  async create(c: S.CreateCommand) {
    return this.result(await this.scripts.create(c));
  }

  async createContainer(c: S.CreateContainerCommand) {
    return this.result(await this.scripts.createContainer(c));
  }

  async addChildren(c: S.AddChildrenCommand) {
    const r = await this.scripts.addChildren(c);
    return { ...this.result(r), added: r.added };
  }

  async update(u: S.UpdateCommand) {
    return this.result(await this.scripts.update(u));
  }

  async delete(key: string, guard: S.Guard) {
    return this.scripts.delete(key, guard);
  }

  async remove(key: string, withError: boolean, withSuccess: boolean, guard: S.Guard) {
    return this.scripts.remove(key, withError, withSuccess, guard);
  }

  async transition(key: string, rule: TransitionRule, guard: S.Guard) {
    return this.result(await this.scripts.transition(key, rule, guard));
  }

  async run(c: S.RunCommand): Promise<S.RunResult> {
    const r = await this.scripts.run(c);
    return r.validate ? { ...this.result(r), validate: true } : this.result(r);
  }

  async lock(c: S.LockCommand) {
    return this.result(await this.scripts.lock(c));
  }

  async unlock(key: string, lockId: string) {
    return this.result(await this.scripts.unlock(key, lockId));
  }

  async startTask(key: string, runId: string, _attempt: number, guard: S.Guard): Promise<S.StartDecision> {
    const d = await this.scripts.startTask(key, runId, guard);
    const record = this.record(d.flat);
    return d.run ? { run: true, record } : { run: false, reason: d.reason, record };
  }

  async completeTask(key: string, runId: string, result: JsonValue, guard: S.Guard) {
    return this.outcome(await this.scripts.completeTask(key, runId, result, guard));
  }

  async failTask(key: string, runId: string, error: S.TaskErrorInput, final: boolean, guard: S.Guard) {
    return this.outcome(await this.scripts.failTask(key, runId, error, final, guard));
  }

  async markDispatched(key: string, attempt: number, runId: string, input: JsonObject | undefined, outboxId?: string) {
    const r = await this.scripts.markDispatched(key, attempt, runId, input, outboxId);
    return r && this.result(r);
  }

  async failDispatch(key: string, attempt: number, error: S.TaskErrorInput, outboxId?: string) {
    const h = await this.scripts.failDispatch(key, attempt, error, outboxId);
    return h && this.outcome(h);
  }

  async currentRevision() {
    return Number((await this.redis.get(this.keys.rev)) ?? 0);
  }

  async ping() {
    await this.redis.ping();
  }

  async close() {
    this.closing = true;
    this.listed.clear();
    for (const c of this.blockingConnections) c.disconnect();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * Builds, a bounded slice per script call, the list indexes that signatures stored by an older version
   * lack; List serves every filter meanwhile (a task and status filter then reads the task's index).
   */
  private async buildIndexes(): Promise<boolean> {
    try {
      while (!this.closing) if (await this.scripts.indexBuild(INDEX_BUILD_SLICE)) return true;
    } catch {
      // Retried at the next start; until then List reads the task's index for a task and status filter.
    }
    return false;
  }

  /** A connection of its own, opened on first use (a blocked connection can serve nobody else). */
  private dedicated(): () => RedisClient {
    let conn: RedisClient | undefined;
    return () => {
      if (!conn) {
        conn = duplicateClient(this.redis);
        this.blockingConnections.push(conn);
      }
      return conn;
    };
  }

  private decode(h: FlatRecord): SignatureRecord | undefined {
    const now = this.opts.now();
    if (!h || Object.keys(h).length === 0 || Number(h[F.expireTime] || 0) <= now) return undefined;
    return decodeRecord(h, now);
  }

  private record(h: FlatRecord) {
    return decodeRecord(h, this.opts.now());
  }

  private result(r: FlatResult): S.MutationResult {
    return { record: this.record(r.flat), changed: r.changed };
  }

  private outcome(h: FlatRecord): S.CompleteResult {
    const record = this.record(h);
    return { record, dispatched: record.run?.dispatchedCallbacks ?? [] };
  }
}
