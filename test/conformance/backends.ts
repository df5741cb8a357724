import { randomUUID } from "node:crypto";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import type { Store, StoreOptions } from "../../src/store/store.js";
import type { RedisCluster } from "../support/redis-cluster.js";
import { redisSkipReason, type RedisServer } from "../support/redis-server.js";

export interface Backend {
  name: "memory" | "redis" | "redis-cluster";
  open(opts?: Partial<StoreOptions>): Promise<Store>;
  /** Stops what the backend started (the private redis-server). */
  shutdown(): Promise<void>;
  /** The private redis-server's URL (Redis only), for tests that look at Redis itself. */
  redisUrl?(): Promise<string>;
}

export const defaultOptions = (o: Partial<StoreOptions> = {}): StoreOptions => ({
  prefix: `t${randomUUID().slice(0, 8)}`,
  activeTtlMs: 24 * 3600_000,
  doneTtlMs: 3 * 3600_000,
  historyMax: 10_000,
  requestIdTtlMs: 24 * 3600_000,
  now: Date.now,
  ...o,
});

function memoryBackend(): Backend {
  const stores: Store[] = [];
  return {
    name: "memory",
    async open(o) {
      const s = new MemoryStore(defaultOptions(o));
      stores.push(s);
      return s;
    },
    async shutdown() {
      await Promise.all(stores.map((s) => s.close()));
    },
  };
}

function redisBackend(): Backend {
  let server: Promise<RedisServer> | undefined;
  const stores: Store[] = [];
  const redisUrl = async () => {
    server ??= import("../support/redis-server.js").then((m) => m.startRedisServer());
    return (await server).url;
  };
  return {
    name: "redis",
    redisUrl,
    async open(o) {
      const url = await redisUrl();
      const { openRedisStore } = await import("../../src/store/redis/index.js");
      const s = await openRedisStore(url, defaultOptions(o));
      stores.push(s);
      return s;
    },
    async shutdown() {
      await Promise.all(stores.map((s) => s.close()));
      if (server) await (await server).stop();
    },
  };
}

/** A private Redis Cluster (three primaries, three replicas); namespaces spread across its shards. */
function redisClusterBackend(): Backend {
  let cluster: Promise<RedisCluster> | undefined;
  const stores: Store[] = [];
  return {
    name: "redis-cluster",
    async open(o) {
      cluster ??= import("../support/redis-cluster.js").then((m) => m.startRedisCluster());
      const { openRedisStore } = await import("../../src/store/redis/index.js");
      const s = await openRedisStore((await cluster).url, defaultOptions(o));
      stores.push(s);
      return s;
    },
    async shutdown() {
      await Promise.all(stores.map((s) => s.close()));
      if (cluster) await (await cluster).stop();
    },
  };
}

/** Every conformance test runs once per backend: `for (const b of backends()) describe(b.name, ...)`. */
export function backends(): Backend[] {
  const only = process.env.MAGEFLOW_TEST_BACKENDS?.split(",");
  // Without redis-server (locally) the Redis backends' tests skip themselves; the cluster one is left out.
  const cluster = redisSkipReason() ? [] : [redisClusterBackend()];
  return [memoryBackend(), redisBackend(), ...cluster].filter((b) => !only || only.includes(b.name));
}
