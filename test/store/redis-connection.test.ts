/**
 * The store's Redis connection batches commands only while it is busy: a lone command (concurrency 1)
 * is written at once; commands issued while others are in flight are batched into one write.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { duplicateClient, redisClient } from "../../src/store/redis/redis-connection.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";

describe("Redis connection: auto-pipelining while busy", { skip: redisSkipReason() }, () => {
  let server: RedisServer;
  let redis: Redis;
  before(async () => {
    server = await startRedisServer();
    redis = redisClient({ kind: "single", url: server.url }) as Redis;
    await redis.connect();
  });
  after(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("writes a command that finds the connection idle at once, and batches those issued behind it", async () => {
    const first = redis.set("k0", "v0");
    assert.equal(redis.autoPipelineQueueSize, 0, "the lone command was not held for a batch");
    assert.equal(redis.commandQueue.length, 1, "it is on the wire");
    const rest = Array.from({ length: 9 }, (_, i) => redis.set(`k${i + 1}`, `v${i + 1}`));
    assert.equal(redis.autoPipelineQueueSize, 9, "the nine behind it wait for one batched write");
    await Promise.all([first, ...rest]);
    assert.deepEqual(await redis.mget(Array.from({ length: 10 }, (_, i) => `k${i}`)), Array.from({ length: 10 }, (_, i) => `v${i}`));
  });

  it("a duplicate (the blocking reader's connection) behaves the same", async () => {
    const dup = duplicateClient(redis) as Redis;
    try {
      await dup.ping();
      const a = dup.get("k0");
      assert.equal(dup.autoPipelineQueueSize, 0);
      const b = dup.get("k1");
      assert.equal(dup.autoPipelineQueueSize, 1);
      assert.deepEqual(await Promise.all([a, b]), ["v0", "v1"]);
    } finally {
      dup.disconnect();
    }
  });
});
