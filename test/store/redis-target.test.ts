import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config.js";
import { parseRedisTarget, RedisTargetError } from "../../src/core/redis-target.js";

describe("REDIS_URL forms", () => {
  it("keeps a single-server URL as it is", () => {
    assert.deepEqual(parseRedisTarget("redis://u:p@host:6380/2"), { kind: "single", url: "redis://u:p@host:6380/2" });
    assert.deepEqual(parseRedisTarget("rediss://host"), { kind: "single", url: "rediss://host" });
  });

  it("reads cluster seed nodes, credentials and TLS", () => {
    assert.deepEqual(parseRedisTarget("rediss-cluster://app:s%40cret@10.0.0.1:7000,10.0.0.2,[::1]:7002"), {
      kind: "cluster",
      tls: true,
      username: "app",
      password: "s@cret",
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 6379 },
        { host: "::1", port: 7002 },
      ],
    });
  });

  it("reads sentinels, the primary's name and the database", () => {
    assert.deepEqual(parseRedisTarget("redis-sentinel://:pw@s1:26379,s2:26380/mymaster/3"), {
      kind: "sentinel",
      tls: false,
      password: "pw",
      name: "mymaster",
      db: 3,
      sentinels: [
        { host: "s1", port: 26379 },
        { host: "s2", port: 26380 },
      ],
    });
  });

  for (const bad of [
    "localhost:6379",
    "http://host",
    "redis-sentinel://s1:26379",
    "redis-sentinel://s1:26379/name/x",
    "redis-cluster://h1:7000,h2:99999",
    "redis-cluster://h1:7000/0",
    "redis-cluster://h1:7000,,h2:7001",
  ]) {
    it(`refuses ${bad}, saying what it expects`, () => {
      assert.throws(() => parseRedisTarget(bad), RedisTargetError);
      assert.throws(() => loadConfig({}, { REDIS_URL: bad }), /invalid setting REDIS_URL=.*expected/);
    });
  }

  it("WAIT for replicas needs the Redis store", () => {
    assert.throws(() => loadConfig({}, { REDIS_WAIT_REPLICAS: "1" }), /invalid setting REDIS_WAIT_REPLICAS/);
    assert.deepEqual(loadConfig({}, { REDIS_URL: "redis-cluster://h:7000", REDIS_WAIT_REPLICAS: "1", REDIS_WAIT_TIMEOUT: "250ms" }).redisWait, { count: 1, timeoutMs: 250 });
    assert.equal(loadConfig({}, { REDIS_URL: "redis://h" }).redisWait, undefined);
  });
});
