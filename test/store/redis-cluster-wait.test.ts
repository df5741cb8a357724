/**
 * The Redis store on a private Redis Cluster (three primaries, one replica each): namespaces land on
 * different shards, and REDIS_WAIT_REPLICAS makes every mutation wait for its shard's replica.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { Cluster, Redis } from "ioredis";
import { openRedisStore, type RedisStore } from "../../src/store/redis/index.js";
import { createCmd } from "../support/commands.js";
import { startRedisCluster, type RedisCluster } from "../support/redis-cluster.js";
import { redisSkipReason } from "../support/redis-server.js";
import { defaultOptions } from "../conformance/backends.js";

describe("Redis Cluster: shards and WAIT for replicas", { skip: redisSkipReason(), timeout: 120_000 }, () => {
  let cluster: RedisCluster;
  const stores: RedisStore[] = [];
  const open = async (o: Parameters<typeof defaultOptions>[0] = {}) => {
    const s = await openRedisStore(cluster.url, defaultOptions(o));
    stores.push(s);
    return s;
  };
  before(async () => {
    cluster = await startRedisCluster();
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
  });

  /** A cluster client that has read the slot map. */
  const clusterProbe = async () => {
    const probe = new Cluster([{ host: "127.0.0.1", port: cluster.nodes[0].port }]);
    await new Promise((r) => probe.once("ready", r));
    return probe;
  };

  it("keeps each namespace on one slot and spreads namespaces over the three primaries", async () => {
    const prefixes = Array.from({ length: 12 }, (_, i) => `mageflow:ns${i}`);
    for (const prefix of prefixes) await (await open({ prefix })).create(createCmd());
    const probe = await clusterProbe();
    try {
      const owners = new Set<string>();
      for (const prefix of prefixes) {
        const slot = Number(await probe.call("CLUSTER", "KEYSLOT", `{${prefix}}:rev`));
        const shard = probe.slots[slot][0];
        const owner = new Redis(Number(shard.split(":")[1]), "127.0.0.1");
        const keys = Number(await owner.call("CLUSTER", "COUNTKEYSINSLOT", slot));
        owner.disconnect();
        assert.ok(keys >= 4, `slot ${slot} of ${prefix} holds the signature, its indexes, revision and events (${keys} keys)`);
        owners.add(shard);
      }
      assert.equal(owners.size, 3, `namespaces on ${[...owners].join(", ")}`);
    } finally {
      probe.disconnect();
    }
  });

  it("with WAIT for one replica, a mutation is answered only once its shard's replica has it", async () => {
    const prefix = "mageflow:waited";
    const store = await open({ prefix, waitReplicas: { count: 1, timeoutMs: 2000 } });
    const probe = await clusterProbe();
    const slot = Number(await probe.call("CLUSTER", "KEYSLOT", `{${prefix}}:rev`));
    // A replica may join its primary's slot map a moment after the cluster forms: wait until the slot has
    // a replica and the replica's link to its primary is up.
    let ports: number[] = [];
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
      const ranges = (await probe.call("CLUSTER", "SLOTS")) as [number, number, ...[string, number][]][];
      const range = ranges.find(([from, to]) => from <= slot && slot <= to);
      ports = range ? (range.slice(2) as [string, number][]).map((n) => Number(n[1])) : [];
      if (ports.length >= 2) {
        const candidate = new Redis(ports[1], "127.0.0.1");
        const link = await candidate.info("replication").finally(() => candidate.disconnect());
        if (/master_link_status:up/.test(link)) break;
      }
    }
    probe.disconnect();
    assert.ok(ports.length >= 2, `slot ${slot} has a replica`);
    const [primary, replica] = ports.slice(0, 2).map((port) => new Redis(port, "127.0.0.1"));
    try {
      await replica.call("READONLY");
      const waits = async () => Number(/cmdstat_wait:calls=(\d+)/.exec(String(await primary.info("commandstats")))?.[1] ?? 0);
      const waitsBefore = await waits();
      for (let i = 0; i < 20; i++) {
        const { record } = await store.create(createCmd({ kwargs: { i } }));
        const updated = await store.update({ key: record.key, kwargs: { j: i }, guard: {} });
        assert.equal(await replica.hget(`{${prefix}}:sig:${record.key}`, "rev"), String(updated.record.revision));
      }
      assert.ok((await waits()) >= waitsBefore + 40, "one WAIT per mutation, on the key's primary");
    } finally {
      primary.disconnect();
      replica.disconnect();
    }
  });

  it("when fewer replicas acknowledge than asked, the change is answered UNAVAILABLE REPLICATION_TIMEOUT (and is on the primary)", async () => {
    const store = await open({ waitReplicas: { count: 2, timeoutMs: 200 } });
    const cmd = createCmd();
    const err = (await store.create(cmd).then(
      () => assert.fail("answered without two replicas"),
      (e: unknown) => e,
    )) as { code: number; reason: string; message: string };
    assert.equal(err.reason, "REPLICATION_TIMEOUT");
    assert.equal(err.code, Code.Unavailable);
    assert.match(err.message, /1 of 2 replicas/);
    assert.ok(await store.get(cmd.key), "the primary has the change");
  });

  it("with WAIT, the event log gives watchers only the changes the replicas have", async () => {
    const prefix = "mageflow:watched-waited";
    const asksTwo = await open({ prefix, waitReplicas: { count: 2, timeoutMs: 200 } });
    const cmd = createCmd();
    await assert.rejects(asksTwo.create(cmd), { reason: "REPLICATION_TIMEOUT" });
    assert.ok(await asksTwo.get(cmd.key), "the primary has the change");
    await assert.rejects(asksTwo.events.tail(0, 0), { reason: "REPLICATION_TIMEOUT" }, "not on two replicas: not delivered");
    await assert.rejects(asksTwo.events.range(1, 100), { reason: "REPLICATION_TIMEOUT" });
    const asksOne = await open({ prefix, waitReplicas: { count: 1, timeoutMs: 2000 } });
    const events = await asksOne.events.tail(0, 0);
    assert.deepEqual(events.map((e) => e.key), [cmd.key], "on the one replica: delivered");
  });
});
