import { Cluster, Redis, type RedisOptions } from "ioredis";
import type { RedisTarget } from "../../core/redis-target.js";

/** One Redis server, the primary Sentinel names, or a Redis Cluster: the store speaks to each alike. */
export type RedisClient = Redis | Cluster;

// RESP2: the stream replies the events and outbox code reads have their classic shapes.
// Few retries per command: while Redis is away, calls fail fast as UNAVAILABLE instead of queueing.
const COMMON: RedisOptions = { protocol: 2, maxRetriesPerRequest: 2 };

/** A client for `target`, not yet connected (`connect()` it). */
export function redisClient(target: RedisTarget): RedisClient {
  if (target.kind === "single") return pipelineWhenBusy(new Redis(target.url, { ...COMMON, lazyConnect: true }));
  const auth = { ...(target.username && { username: target.username }), ...(target.password !== undefined && { password: target.password }) };
  const tls = target.tls ? { tls: {} } : {};
  if (target.kind === "cluster") {
    return new Cluster(target.nodes, {
      lazyConnect: true,
      enableAutoPipelining: true,
      redisOptions: { ...COMMON, ...auth, ...tls },
    });
  }
  return pipelineWhenBusy(new Redis({
    ...COMMON,
    ...auth,
    ...tls,
    sentinels: target.sentinels,
    name: target.name,
    db: target.db,
    lazyConnect: true,
    // A primary that Sentinel demoted answers READONLY, one that lost its replica (min-replicas-to-write)
    // NOREPLICAS: reconnect, asking the Sentinels which node is the primary now.
    reconnectOnError: (e) => /READONLY|NOREPLICAS/.test(e.message),
    failoverDetector: true,
  }));
}

/**
 * Auto-pipelining only while the connection is busy: a command that finds no other in flight and
 * none waiting to be batched is written at once; one issued while others are in flight joins the
 * next batch. At concurrency 1 a batch of one bought nothing and cost a Pipeline and an event-loop
 * turn (measured: GetSignature p50 0.39 → 0.35 ms, server CPU per call 366 → 299 µs); under load
 * commands still go out in batches.
 */
function pipelineWhenBusy(r: Redis): Redis {
  Object.defineProperty(r.options, "enableAutoPipelining", {
    configurable: true,
    enumerable: true,
    get: () => r.commandQueue.length > 0 || r.autoPipelineQueueSize > 0,
  });
  return r;
}

/** A second connection to the same place (for blocking reads, which hold their connection). */
export function duplicateClient(c: RedisClient): RedisClient {
  return c instanceof Cluster ? c.duplicate() : pipelineWhenBusy(c.duplicate());
}
