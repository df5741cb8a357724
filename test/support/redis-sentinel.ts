import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, startRedisServer, type RedisServer } from "./redis-server.js";

export const SENTINEL_PRIMARY_NAME = "mageflow";

/** A private Sentinel setup on 127.0.0.1: one primary, one replica, three Sentinels (quorum 2). */
export interface RedisSentinel {
  /** `redis-sentinel://` URL naming the three Sentinels and the primary's name. */
  url: string;
  /** The two data nodes (the first starts as primary). */
  nodes: RedisServer[];
  sentinelPorts: number[];
  /** The port of the node the Sentinels currently name primary. */
  primaryPort(): Promise<number>;
  /** `SENTINEL FAILOVER`; resolves once the Sentinels name the other node and it accepts writes with its replica synced. */
  failover(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

/**
 * `min-replicas-to-write 1` on both data nodes: a primary that lost its replica (as the old one
 * does the moment the Sentinels promote the replica) refuses writes instead of accepting ones a
 * failover then drops.
 */
const DATA_ARGS = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];

export async function startRedisSentinel(): Promise<RedisSentinel> {
  const primary = await startRedisServer({ extraArgs: DATA_ARGS });
  const replica = await startRedisServer({ extraArgs: [...DATA_ARGS, "--replicaof", "127.0.0.1", String(primary.port)] });
  const nodes = [primary, replica];
  const dir = mkdtempSync(join(tmpdir(), "mageflow-sentinel-"));
  const procs: ChildProcess[] = [];
  const sentinelPorts: number[] = [];
  const stop = async () => {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(nodes.map((n) => n.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", () => procs.forEach((p) => p.kill("SIGKILL")));
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      writeFileSync(
        conf,
        [
          `port ${port}`,
          "bind 127.0.0.1",
          `dir ${dir}`,
          `sentinel monitor ${SENTINEL_PRIMARY_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_PRIMARY_NAME} 1000`,
          `sentinel failover-timeout ${SENTINEL_PRIMARY_NAME} 5000`,
          "",
        ].join("\n"),
      );
      procs.push(spawn("redis-server", [conf, "--sentinel"], { stdio: "ignore" }));
      sentinelPorts.push(port);
    }
    const ask = async <T>(port: number, ...args: string[]): Promise<T> => {
      const r = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await r.connect();
        return (await r.call(...(args as [string, ...string[]]))) as T;
      } finally {
        r.disconnect();
      }
    };
    const primaryPort = async () => Number((await ask<string[]>(sentinelPorts[0], "SENTINEL", "get-master-addr-by-name", SENTINEL_PRIMARY_NAME))[1]);
    const until = async (what: string, fn: () => Promise<boolean>, ms = 30_000) => {
      const end = Date.now() + ms;
      for (;;) {
        if (await fn().catch(() => false)) return;
        if (Date.now() > end) throw new Error(`Sentinel setup: timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const synced = async (port: number) => /slave0:.*state=online/.test(await ask<string>(port, "INFO", "replication"));
    const settled = async (port: number) => {
      for (const s of sentinelPorts) {
        const known = (await ask<string[][]>(s, "SENTINEL", "replicas", SENTINEL_PRIMARY_NAME)).length;
        const others = (await ask<string[][]>(s, "SENTINEL", "sentinels", SENTINEL_PRIMARY_NAME)).length;
        const named = Number((await ask<string[]>(s, "SENTINEL", "get-master-addr-by-name", SENTINEL_PRIMARY_NAME))[1]);
        if (known < 1 || others < 2 || named !== port) return false;
      }
      return synced(port);
    };
    await until("the Sentinels to see the primary, its replica and each other", () => settled(primary.port));
    return {
      url: `redis-sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(",")}/${SENTINEL_PRIMARY_NAME}`,
      nodes,
      sentinelPorts,
      primaryPort,
      async failover() {
        const from = await primaryPort();
        await ask(sentinelPorts[0], "SENTINEL", "FAILOVER", SENTINEL_PRIMARY_NAME);
        let to = from;
        await until("the failover", async () => {
          to = await primaryPort();
          return to !== from && (await settled(to));
        });
        return { from, to };
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
