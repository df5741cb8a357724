/**
 * The measurements behind the capacity model in docs/scaling.md:
 *
 *   npx tsx bench/capacity.ts [--n 20000] [--seconds 2]   → a table and one JSON line
 *
 * 1. What one Redis primary (one shard, so one namespace at most) runs of our scripts: each store
 *    operation from `bench/store-limit.ts` at c=64, phase by phase, with redis-server's CPU over each
 *    phase. `ops per Redis CPU-s` (ops/s ÷ Redis's cores) is the shard's ceiling for that operation
 *    when Redis's one thread is saturated (Redis runs every script on one core).
 * 2. Bytes per stored signature in Redis: `n` signatures created through the store (the Redis store
 *    the server uses), `INFO memory` used_memory before and after ÷ n, with `MEMORY USAGE` of one
 *    signature hash, of the creation indexes and of the event stream (per retained event); for a
 *    small signature (the benchmark's) and one with 1 KiB of kwargs.
 */
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import type { JsonObject } from "../src/core/json.js";
import { createCommand } from "./lib/bodies.js";
import { cpuMeter, pinned, ROOT, round, startRedis } from "./lib/proc.js";
import type { LimitConfig, LimitOp, LimitResult } from "./store-limit.js";

export interface ShardRow {
  op: LimitOp;
  concurrency: number;
  opsPerS: number;
  p50Ms: number;
  redisCpu: number;
  clientCpu: number;
  opsPerRedisCpuS: number;
}

export interface MemoryRow {
  variant: string;
  n: number;
  /** used_memory growth ÷ n: everything one signature adds (hash, index entries, its create event, outbox nothing). */
  bytesPerSignature: number;
  /** MEMORY USAGE of one signature's hash. */
  hashBytes: number;
  /** MEMORY USAGE of the event stream ÷ its length. */
  bytesPerEvent: number;
  /** MEMORY USAGE of the creation indexes ÷ n. */
  indexBytesPerSignature: number;
  /** The flat record's field and value bytes (what the script stores), for reference. */
  payloadBytes: number;
}

async function limitPhase(url: string, redisPid: number, op: LimitOp, concurrency: number, seconds: number): Promise<ShardRow> {
  // start+complete works on the runs a run phase made in the same process.
  const phases = op === "start-complete" ? [{ op: "run" as LimitOp, concurrency }, { op, concurrency }] : [{ op, concurrency }];
  const cfg: LimitConfig = { url, prefix: `cap-${op}-${Date.now()}`, listBase: 1000, runPoolPerS: 20_000, phases, warmupS: 0.5, durationS: seconds };
  const [cmd, args] = pinned("server", process.execPath, ["--import", "tsx", "bench/store-limit.ts", JSON.stringify(cfg)]);
  // Redis's CPU is metered from the phase's first output on: setup (creating the keys) is left out.
  let meter: (() => Record<string, number | undefined>) | undefined;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, STORE_LIMIT_READY: "1" } });
    let o = "";
    let e = "";
    child.stdout.on("data", (d) => (o += d));
    child.stderr.on("data", (d) => {
      e += d;
      if (!meter && e.split("phase-start").length - 1 === phases.length) meter = cpuMeter({ redis: redisPid });
    });
    child.once("exit", (code) => (code === 0 ? resolve(o) : reject(new Error(`store-limit exited ${code}: ${e.slice(-1500)}`))));
  });
  const cpu = meter?.() ?? {};
  const r = JSON.parse(out.trim().split("\n").filter((l) => l.startsWith("{")).pop()!) as LimitResult;
  const redisCpu = cpu.redis ?? 0;
  return { op, concurrency, opsPerS: r.ops, p50Ms: r.p50Ms, redisCpu, clientCpu: r.cpu, opsPerRedisCpuS: redisCpu > 0 ? round(r.ops / redisCpu) : 0 };
}

async function memoryPerSignature(url: string, variant: string, n: number, kwargs: JsonObject): Promise<MemoryRow> {
  const { openRedisStore } = await import("../src/store/redis/index.js");
  const prefix = `mem-${variant}`;
  const store = await openRedisStore(url, { prefix, activeTtlMs: 24 * 3600_000, doneTtlMs: 3 * 3600_000, historyMax: 100_000, requestIdTtlMs: 24 * 3600_000, now: Date.now });
  const r = new Redis(url);
  const used = async () => Number(/used_memory:(\d+)/.exec(await r.info("memory"))![1]);

  const first = (await store.create(createCommand(kwargs))).record.key;
  const before = await used();
  let next = 1;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next++ < n) await store.create(createCommand(kwargs));
  }));
  const after = await used();
  const keys = await r.keys(`*${prefix}*`);
  const sigKey = keys.find((k) => k.endsWith(`:sig:${first}`))!;
  const hash = await r.hgetall(sigKey);
  const mem = async (k: string) => Number((await r.call("MEMORY", "USAGE", k, "SAMPLES", "0")) ?? 0);
  const eventsKey = keys.find((k) => k.endsWith(":events"))!;
  const idx = keys.filter((k) => k.includes(":idx:"));
  let idxBytes = 0;
  for (const k of idx) idxBytes += await mem(k);
  const row: MemoryRow = {
    variant,
    n,
    bytesPerSignature: round((after - before) / (n - 1)),
    hashBytes: await mem(sigKey),
    bytesPerEvent: round((await mem(eventsKey)) / (await r.xlen(eventsKey))),
    indexBytesPerSignature: round(idxBytes / n),
    payloadBytes: Object.entries(hash).reduce((a, [k, v]) => a + k.length + Buffer.byteLength(v), 0),
  };
  r.disconnect();
  await store.close();
  return row;
}

export async function capacity(o: { n: number; seconds: number; log?: (m: string) => void }) {
  const log = o.log ?? (() => {});
  const redis = await startRedis();
  try {
    const shard: ShardRow[] = [];
    for (const op of ["get", "update", "create", "run", "start-complete", "list"] as LimitOp[]) {
      const row = await limitPhase(redis.url, redis.pid, op, 64, o.seconds);
      shard.push(row);
      log(`capacity shard ${op.padEnd(14)} c=64 ${row.opsPerS} ops/s, redis CPU ${row.redisCpu}, client CPU ${row.clientCpu}: ${row.opsPerRedisCpuS} ops per Redis CPU-s`);
    }
    const memory: MemoryRow[] = [];
    const kib = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`field_${i}`, "x".repeat(52)]));
    for (const [variant, kwargs] of [["small", { a: 1, b: "x" }], ["kwargs-1KiB", kib]] as const) {
      const row = await memoryPerSignature(redis.url, variant, o.n, kwargs);
      memory.push(row);
      log(`capacity memory ${variant}: ${JSON.stringify(row)}`);
    }
    return { shard, memory };
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const arg = (n: string, d: number) => (argv.includes(`--${n}`) ? Number(argv[argv.indexOf(`--${n}`) + 1]) : d);
  const res = await capacity({ n: arg("n", 20_000), seconds: arg("seconds", 2), log: (m) => process.stderr.write(`${m}\n`) });
  console.log("one shard (one Redis primary), store calls from one ioredis client at c=64:");
  console.log("  operation        ops/s  p50 ms  redis CPU  client CPU  ops per Redis CPU-s");
  for (const s of res.shard) console.log(`  ${s.op.padEnd(14)} ${String(Math.round(s.opsPerS)).padStart(7)}  ${(s.p50Ms ?? NaN).toFixed(2).padStart(6)}  ${s.redisCpu.toFixed(2).padStart(9)}  ${s.clientCpu.toFixed(2).padStart(10)}  ${String(s.opsPerRedisCpuS).padStart(18)}`);
  console.log("bytes in Redis per stored signature:");
  for (const m of res.memory) console.log(`  ${m.variant.padEnd(12)} ${m.bytesPerSignature} B per signature (used_memory growth over ${m.n}); hash ${m.hashBytes} B (payload ${m.payloadBytes} B); event ${m.bytesPerEvent} B; indexes ${m.indexBytesPerSignature} B`);
  console.log(JSON.stringify(res));
  process.exit(0);
}
