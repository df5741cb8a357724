/**
 * List on the Redis store: what a page costs in Redis commands (the same for a namespace of 120 signatures and
 * one of 10,000, on one Redis and on a Cluster), the index build for signatures stored before the task-and-status sets existed, and a page
 * whose signatures change between the script and the read of their fields.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { openRedisStore, type RedisStore } from "../../src/store/redis/index.js";
import { listPage } from "../../src/store/redis/list-page.js";
import { RecordCache } from "../../src/store/redis/record-cache.js";
import type { Scripts } from "../../src/store/redis/scripts.js";
import type { ListQuery } from "../../src/store/store.js";
import { defaultOptions } from "../conformance/backends.js";
import { createCmd } from "../support/commands.js";
import { startRedisCluster, type RedisCluster } from "../support/redis-cluster.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";

interface Internals {
  redis: Redis;
  scripts: Scripts;
  keys: { base: string; sig(k: string): string };
}
const inside = (s: RedisStore) => s as unknown as Internals;

/** Commands run so far, by name, summed over the primaries given. */
async function commandCalls(primaries: Redis[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const redis of primaries) {
    for (const m of (await redis.info("commandstats")).matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)) out.set(m[1], (out.get(m[1]) ?? 0) + Number(m[2]));
  }
  return out;
}

/** The script calls themselves, the probes', the clients' and the replicas' own commands. */
const HOUSEKEEPING = /^(evalsha|eval|info|ping|role|replconf|psync|(cluster|client|command|config)(\|.*)?)$/;

/** The Redis commands (those run inside scripts included) that `fn` made, by name; EVALSHA left out. */
async function commandsOf(primaries: Redis[], fn: () => Promise<unknown>) {
  const before = await commandCalls(primaries);
  await fn();
  const after = await commandCalls(primaries);
  const diff: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d > 0 && !HOUSEKEEPING.test(k)) diff[k] = d;
  }
  return diff;
}

const pmap = async (n: number, conc: number, fn: (i: number) => Promise<unknown>) => {
  let next = 0;
  await Promise.all(Array.from({ length: conc }, async () => {
    for (let i = next++; i < n; i = next++) await fn(i);
  }));
};

async function pageCost(open: () => Promise<RedisStore>, primaries: Redis[]) {
  const t0 = Date.now() - 1_000_000;
  const namespace = async (n: number) => {
    const store = await open();
    await pmap(n, 64, (i) => store.create(createCmd({ taskName: i % 7 === 0 ? "rare" : "common", creationTime: t0 + i, status: i % 2 ? Status.SUSPENDED : Status.PENDING })));
    return store;
  };
  const queries: Record<string, Omit<ListQuery, "pageSize">> = {
    all: { statuses: [], taskName: "" },
    "one status": { statuses: [Status.SUSPENDED], taskName: "" },
    "two statuses of a task": { statuses: [Status.PENDING, Status.SUSPENDED], taskName: "common" },
    "a status nothing has": { statuses: [Status.CANCELED], taskName: "" },
    "a task nothing has": { statuses: [Status.PENDING], taskName: "none" },
  };
  const cost = async (store: RedisStore) => {
    const out: Record<string, { cold: Record<string, number>; warm: Record<string, number> }> = {};
    for (const [name, q] of Object.entries(queries)) {
      const cold = await commandsOf(primaries, () => store.list({ ...q, pageSize: 50 }));
      const warm = await commandsOf(primaries, () => store.list({ ...q, pageSize: 50 }));
      out[name] = { cold, warm };
    }
    return out;
  };
  const small = await cost(await namespace(120));
  const large = await cost(await namespace(10_000));
  assert.deepEqual(large, small);
  // A full page: its 50 signatures and one look-ahead checked, one range read per index set; the 50
  // records moved once, then reused while unchanged.
  assert.deepEqual(large.all, { cold: { zrevrangebyscore: 1, hmget: 51, hgetall: 50 }, warm: { zrevrangebyscore: 1, hmget: 51 } });
  assert.deepEqual(large["two statuses of a task"].warm, { get: 1, zrevrangebyscore: 2, hmget: 51 });
  assert.deepEqual(large["a status nothing has"].warm, { zrevrangebyscore: 1 });
  assert.deepEqual(large["a task nothing has"].warm, { get: 1, zrevrangebyscore: 1 });
}

describe("List on the Redis store", { skip: redisSkipReason(), timeout: 300_000 }, () => {
  let server: RedisServer;
  let probe: Redis;
  const stores: RedisStore[] = [];
  const open = async (o: Parameters<typeof defaultOptions>[0] = {}) => {
    const s = await openRedisStore(server.url, defaultOptions(o));
    stores.push(s);
    await s.indexesBuilt;
    return s;
  };
  before(async () => {
    server = await startRedisServer();
    probe = new Redis(server.url);
  });
  after(async () => {
    probe?.disconnect();
    await Promise.all(stores.map((s) => s.close()));
    await server?.stop();
  });

  it("costs the same Redis commands per page for a namespace of 120 signatures and one of 10,000", () => pageCost(open, [probe]));

  it("builds the task-and-status index sets of older signatures at start, a bounded slice per call, and lists them meanwhile", async () => {
    const store = await open();
    const { keys, scripts } = inside(store);
    const t0 = Date.now() - 1_000_000;
    const made: { key: string; task: string; status: Status }[] = [];
    for (let i = 0; i < 30; i++) {
      const c = createCmd({ taskName: `task-${i % 2}`, creationTime: t0 + (i >> 1), status: i % 3 ? Status.PENDING : Status.SUSPENDED });
      await store.create(c);
      made.push({ key: c.key, task: c.taskName, status: c.status });
    }
    const sets = [0, 1].flatMap((t) => [Status.PENDING, Status.SUSPENDED].map((s) => `${keys.base}idx:ts:${s}:task-${t}`));
    const expected = (task: string, status: Status) =>
      made
        .filter((m) => m.task === task && m.status === status)
        .map((m) => m.key)
        .reverse();
    const listed = async (s: RedisStore, task: string, status: Status) => (await s.list({ statuses: [status], taskName: task, pageSize: 4 })).records.map((r) => r.key);
    // What a namespace written before these sets looks like: no sets, no version.
    const forget = () => probe.del(...sets, `${keys.base}idx:version`, `${keys.base}idx:version:cursor`);
    await forget();
    assert.deepEqual(await listed(store, "task-1", Status.SUSPENDED), expected("task-1", Status.SUSPENDED).slice(0, 4));

    // Slices of 7 index entries: 30 signatures take 5 calls; changes in between keep the sets right.
    const answers: boolean[] = [];
    answers.push(await scripts.indexBuild(7));
    const late = made.at(-1)!; // the newest, not built yet
    await store.transition(late.key, TRANSITIONS.suspend, {});
    late.status = Status.SUSPENDED;
    const gone = made.splice(made.length - 3, 1)[0];
    await store.delete(gone.key, {});
    while (!answers.at(-1)) answers.push(await scripts.indexBuild(7));
    assert.deepEqual(answers, [false, false, false, false, true]);
    for (const t of ["task-0", "task-1"]) {
      for (const s of [Status.PENDING, Status.SUSPENDED]) assert.deepEqual(await probe.zrevrange(`${keys.base}idx:ts:${s}:${t}`, 0, -1), expected(t, s), `${t} ${s}`);
    }
    assert.equal(await probe.get(`${keys.base}idx:version`), "2");
    assert.equal(await scripts.indexBuild(7), true);

    // A store opened on such a namespace builds them itself.
    await forget();
    const reopened = await open({ prefix: keys.base.slice(1, -2) });
    assert.equal(await reopened.indexesBuilt, true);
    assert.equal(await probe.get(`${keys.base}idx:version`), "2");
    assert.deepEqual(await listed(reopened, "task-0", Status.PENDING), expected("task-0", Status.PENDING).slice(0, 4));
  });

  it("reads a page again in one script when a signature changed between the script and the read of its fields", async () => {
    const store = await open();
    const { redis, keys, scripts } = inside(store);
    const task = "changing";
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await store.create(createCmd({ taskName: task, creationTime: Date.now() - 1000 + i }))).record.key);
    const modes: string[] = [];
    const racing = {
      list: async (...a: Parameters<Scripts["list"]>) => {
        modes.push(a[2]);
        const rows = await (scripts.list as (...x: unknown[]) => Promise<unknown>)(...a);
        if (modes.length === 1) await store.update({ key: made[2], kwargs: { changed: true }, guard: {} });
        return rows;
      },
    } as unknown as Scripts;
    const page = await listPage(redis, keys as never, racing, new RecordCache(), { statuses: [], taskName: task, pageSize: 10 }, Date.now);
    assert.deepEqual(modes, ["heads", "full"]);
    assert.deepEqual(
      page.records.map((r) => r.key),
      [...made].reverse(),
    );
    assert.deepEqual(page.records.find((r) => r.key === made[2])!.kwargs, { changed: true });
  });
});

describe("List on a Redis Cluster", { skip: redisSkipReason(), timeout: 300_000 }, () => {
  let cluster: RedisCluster;
  const clients: Redis[] = [];
  const stores: RedisStore[] = [];
  before(async () => {
    cluster = await startRedisCluster();
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
  });

  it("costs the same Redis commands per page, on the namespace's shard, for 120 signatures and for 10,000", async () => {
    const primaries: Redis[] = [];
    for (const node of cluster.nodes) {
      const c = new Redis(node.url);
      clients.push(c);
      if (((await c.role()) as unknown[])[0] === "master") primaries.push(c);
    }
    assert.equal(primaries.length, 3);
    const open = async () => {
      const s = await openRedisStore(cluster.url, defaultOptions());
      stores.push(s);
      await s.indexesBuilt;
      return s;
    };
    await pageCost(open, primaries);
  });
});
