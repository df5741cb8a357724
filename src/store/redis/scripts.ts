import { unavailable } from "../../core/service-error.js";
import type { JsonObject, JsonValue } from "../../core/json.js";
import { containerRule, type TransitionRule } from "../../core/status.js";
import { F, newContainerFlatRecord, newFlatRecord, type FlatRecord } from "../record.js";
import type { AddChildrenCommand, ChildSpec, CreateCommand, CreateContainerCommand, Guard, ListQuery, LockCommand, RunCommand, StoreOptions, TaskErrorInput, UpdateCommand } from "../store.js";
import type { Keys } from "./keys.js";
import { listScanLimit } from "../list-bounds.js";
import { loadLuaCommands } from "./lua-source.js";
import type { RedisClient } from "./redis-connection.js";
import { refusalError, type RefusalContext } from "./script-refusal.js";
import { execThenWait, type WaitReplicas } from "./wait-replicas.js";

const str = JSON.stringify;
type Arg = string | number;
type Reply = unknown[];
type ScriptFn = (...args: Arg[]) => Promise<Reply>;

export interface FlatResult {
  flat: FlatRecord;
  changed: boolean;
}

export interface ListCursor {
  time: number;
  key: string;
}

export interface ListHead {
  key: string;
  revision: number;
}

export interface ListRows<T> {
  rows: T[];
  /** Where the next page starts (after this creation time and key); absent on the last page. */
  next?: ListCursor;
}


/**
 * The one place that knows the scripts' argument and reply orders (see each script's opening comment).
 * Each script is loaded once per connection (EVAL, then EVALSHA).
 */
export class Scripts {
  private readonly fns = new Map<string, ScriptFn>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly opts: StoreOptions,
  ) {
    for (const c of loadLuaCommands()) {
      const name = `mageflow_${c.name}`;
      redis.defineCommand(name, { numberOfKeys: c.numberOfKeys, lua: c.lua });
      const fn = (redis as unknown as Record<string, ScriptFn>)[name].bind(redis);
      this.fns.set(c.name, fn);
    }
  }

  async create(c: CreateCommand): Promise<FlatResult> {
    const record = newFlatRecord(c);
    const args = [c.requestId, this.opts.requestIdTtlMs, str([...c.successCallbacks, ...c.errorCallbacks])];
    return flatResult(await this.mutate("create", c.key, [...args, ...Object.entries(record).flat()]));
  }

  async createContainer(c: CreateContainerCommand): Promise<FlatResult> {
    const record = Object.entries(newContainerFlatRecord(c)).flat();
    const args = [c.requestId, this.opts.requestIdTtlMs, str([...c.successCallbacks, ...c.errorCallbacks]), record.length, ...record];
    return flatResult(await this.mutate("createContainer", c.key, [...args, ...childArgs(c.children)]));
  }

  async addChildren(c: AddChildrenCommand): Promise<FlatResult & { added: string[] }> {
    const reply = await this.mutate("addChildren", c.key, [...guardArgs(c.guard), flag(c.close), ...childArgs(c.children)]);
    return { ...flatResult(reply), added: reply[3] as string[] };
  }

  async update(u: UpdateCommand): Promise<FlatResult> {
    const fields: Arg[] = [];
    const how = (f: "kwargs" | "metadata") => (u.replace?.includes(f) ? "set" : "merge");
    if (u.kwargs) fields.push(F.kwargs, how("kwargs"), str(u.kwargs));
    if (u.metadata) fields.push(F.metadata, how("metadata"), str(u.metadata));
    if (u.inputSchema !== undefined) fields.push(F.inputSchema, "set", u.inputSchema ? str(u.inputSchema) : "");
    if (u.returnFieldName !== undefined) fields.push(F.returnFieldName, "set", u.returnFieldName);
    return flatResult(await this.mutate("update", u.key, [...guardArgs(u.guard), ...fields]));
  }

  /** Returns the revision of the deletion. */
  async delete(key: string, guard: Guard): Promise<number> {
    const reply = await this.mutate("delete", key, guardArgs(guard));
    return Number(reply[1]);
  }

  async remove(key: string, withError: boolean, withSuccess: boolean, guard: Guard) {
    const reply = await this.mutate("remove", key, [...guardArgs(guard), flag(withError), flag(withSuccess)]);
    return { keys: reply[2] as string[], revision: Number(reply[1]) };
  }

  async transition(key: string, rule: TransitionRule, guard: Guard): Promise<FlatResult> {
    return flatResult(await this.mutate("transition", key, [...guardArgs(guard), str(rule), str(containerRule(rule))], { op: rule.name }));
  }

  /** `validate`: the signature has an input schema and the command carried a message; nothing was written. */
  async run(c: RunCommand): Promise<FlatResult & { validate?: true }> {
    const input = c.input ? ["input", str(c.input)] : ["message", str(c.message ?? {})];
    const reply = await this.mutate("run", c.key, [...guardArgs(c.guard), c.requestId, ...input, str(c.metadata)], { op: "run" });
    return reply[0] === "VALIDATE" ? { changed: false, flat: toFlat(reply[1]), validate: true } : flatResult(reply);
  }

  async lock(c: LockCommand): Promise<FlatResult> {
    return flatResult(await this.mutate("lock", c.key, [c.newLockId, c.renewLockId, c.ttlMs, c.owner]));
  }

  async unlock(key: string, lockId: string): Promise<FlatResult> {
    return flatResult(await this.mutate("unlock", key, [lockId]));
  }

  async startTask(key: string, runId: string, guard: Guard) {
    const reply = await this.mutate("startTask", key, [guard.lockId ?? "", runId], { runId });
    return { run: reply[1] === 1, reason: String(reply[2]), flat: toFlat(reply[3]) };
  }

  async completeTask(key: string, runId: string, result: JsonValue, guard: Guard): Promise<FlatRecord> {
    const reply = await this.mutate("completeTask", key, [guard.lockId ?? "", runId, str(result)], { op: "report", runId });
    return toFlat(reply[1]);
  }

  async failTask(key: string, runId: string, error: TaskErrorInput, final: boolean, guard: Guard): Promise<FlatRecord> {
    const args = [guard.lockId ?? "", runId, str(error), flag(final)];
    return toFlat((await this.mutate("failTask", key, args, { op: "report", runId }))[1]);
  }

  async markDispatched(key: string, attempt: number, runId: string, input: JsonObject | undefined, outboxId = "") {
    const reply = await this.mutate("markDispatched", key, [attempt, runId, input ? str(input) : "", outboxId]);
    return reply[0] === "NONE" ? undefined : flatResult(reply);
  }

  async failDispatch(key: string, attempt: number, error: TaskErrorInput, outboxId = "") {
    const reply = await this.mutate("failDispatch", key, [attempt, str(error), outboxId]);
    return reply[0] === "NONE" ? undefined : toFlat(reply[1]);
  }

  /**
   * One page of List (list-1.lua). `heads`: each row is a key and its revision; `full`: each row is the
   * record, all read at one instant.
   */
  async list(q: ListQuery, cursor: ListCursor | undefined, mode: "heads"): Promise<ListRows<ListHead>>;
  async list(q: ListQuery, cursor: ListCursor | undefined, mode: "full"): Promise<ListRows<FlatRecord>>;
  async list(q: ListQuery, cursor: ListCursor | undefined, mode: "heads" | "full"): Promise<ListRows<ListHead | FlatRecord>> {
    const min = q.createdAfter === undefined ? "-inf" : String(q.createdAfter);
    let max = q.createdBefore === undefined ? "+inf" : `(${q.createdBefore}`;
    if (cursor && (q.createdBefore === undefined || cursor.time < q.createdBefore)) max = String(cursor.time);
    const pageSize = Math.max(1, q.pageSize);
    const scanLimit = listScanLimit(pageSize);
    const reply = await this.fn("list")(
      this.keys.idxVersion,
      this.keys.base,
      this.opts.now(),
      str(q.statuses),
      q.taskName,
      min,
      max,
      cursor ? cursor.time : "",
      cursor ? cursor.key : "",
      pageSize,
      scanLimit,
      mode,
    );
    const [time, key, rows] = reply as [string, string, unknown[]];
    const next = time === "" ? undefined : { time: Number(time), key };
    if (mode === "full") return { rows: rows.map(toFlat), next };
    const heads: ListHead[] = [];
    for (let i = 0; i + 1 < rows.length; i += 2) heads.push({ key: rows[i] as string, revision: Number(rows[i + 1]) });
    return { rows: heads, next };
  }

  /** One bounded slice of the index build (indexBuild-1.lua); true once the namespace's indexes are complete. */
  async indexBuild(entries: number): Promise<boolean> {
    const [built] = await this.fn("indexBuild")(this.keys.idxVersion, this.keys.base, this.opts.now(), entries);
    return built === 1;
  }

  private async mutate(name: string, key: string, args: Arg[], ctx: Omit<RefusalContext, "key"> = {}): Promise<Reply> {
    const { keys, opts } = this;
    const args2 = [
      keys.sig(key),
      keys.rev,
      keys.events,
      keys.outbox,
      keys.base,
      opts.now(),
      opts.activeTtlMs,
      opts.doneTtlMs,
      `${opts.historyMax} ${opts.historyMaxBytes ?? 0} ${opts.quota?.signatures ?? 0} ${opts.quota?.bytes ?? 0}`,
      key,
      ...args,
    ];
    const reply = opts.waitReplicas ? await this.mutateAndWait(name, args2, opts.waitReplicas) : await this.fn(name)(...args2);
    if (reply[0] === "ERR") throw refusalError(reply, { key, ...ctx });
    return reply;
  }

  /**
   * The script, then WAIT on the same connection (one pipeline, so on the key's shard in a cluster):
   * the change is answered only once `count` replicas have it. Fewer within the timeout: UNAVAILABLE
   * `REPLICATION_TIMEOUT` (the primary has the change; a failover before the replicas catch up may lose it).
   */
  private async mutateAndWait(name: string, args: Arg[], w: WaitReplicas): Promise<Reply> {
    const pipeline = this.redis.pipeline();
    (pipeline as unknown as Record<string, (...a: Arg[]) => unknown>)[`mageflow_${name}`](...args);
    const { replies, replicated, waitError, acked } = await execThenWait(pipeline, w);
    const [scriptErr, reply] = replies[0];
    if (scriptErr) throw scriptErr;
    if ((reply as Reply)[0] === "ERR") return reply as Reply;
    if (waitError) throw waitError;
    if (!replicated) {
      throw unavailable(
        "REPLICATION_TIMEOUT",
        `the change is on the Redis primary but ${acked} of ${w.count} replicas acknowledged it within ${w.timeoutMs} ms; a failover may lose it`,
      );
    }
    return reply as Reply;
  }

  private fn(name: string): ScriptFn {
    const fn = this.fns.get(name);
    if (!fn) throw new Error(`no Lua command ${name}`);
    return fn;
  }
}

/** Children as CT.add_children reads them: n, then `key, <key>` or `new, <m>, <m values>` each. */
function childArgs(children: ChildSpec[]): Arg[] {
  const out: Arg[] = [children.length];
  for (const c of children) {
    if ("key" in c) out.push("key", c.key);
    else {
      const flat = Object.entries(newFlatRecord(c.create)).flat();
      out.push("new", flat.length, ...flat);
    }
  }
  return out;
}

const flag = (b: boolean) => (b ? "1" : "0");

const guardArgs = (g: Guard): Arg[] => [g.lockId ?? "", g.expectedRevision ?? 0];

/** `{'OK', changed, flat}` */
const flatResult = (reply: Reply): FlatResult => ({ changed: reply[1] === 1, flat: toFlat(reply[2]) });

export function toFlat(pairs: unknown): FlatRecord {
  const a = pairs as string[];
  const out: FlatRecord = {};
  for (let i = 0; i + 1 < a.length; i += 2) out[a[i]] = a[i + 1];
  return out;
}
