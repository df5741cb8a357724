/**
 * The store limit: the Redis calls each RPC makes, made directly from one Node process with
 * ioredis (through the store class the server uses, so the same scripts with the same
 * arguments), at the same concurrency, without gRPC. One process, like the server: what one
 * service process could reach if the transport and handlers were free.
 *
 *   node --import tsx bench/store-limit.ts '<json Config>'   → one JSON line per phase on stdout
 *
 * Each operation does what its handler does against the store:
 *   get: get · list: list(page 50) · update: update (kwargs merged by the script) ·
 *   suspend+resume: transition ×2 · create: create · run: run (input composed by the script) +
 *   markDispatched (the dispatch loop's step, which RunSignature waits for) ·
 *   start+complete: startTask + completeTask · ping: a bare PING (the Redis round trip).
 * Runs use keys prepared in setup; start+complete uses the keys the run phases ran.
 */
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { TRANSITIONS } from "../src/core/status.js";
import type { Store } from "../src/store/store.js";
import { createCommand } from "./lib/bodies.js";
import type { Cell } from "./lib/drivers.js";

/** The engine run id the store limit records for a run it made. */
const limitRunId = (key: string) => `limit-${key.slice(-12)}`;

export type LimitOp = "get" | "list" | "update" | "suspend-resume" | "create" | "run" | "start-complete" | "ping";

export interface LimitConfig {
  url: string;
  prefix: string;
  listBase: number;
  /** Fresh signatures prepared before each run phase, per second of the phase (capped at 40000). */
  runPoolPerS: number;
  phases: { op: LimitOp; concurrency: number }[];
  warmupS: number;
  durationS: number;
}

export interface LimitResult extends Cell {
  op: LimitOp;
  concurrency: number;
  cpu: number;
  exhausted?: boolean;
  firstError?: string;
}


async function main() {
  const cfg = JSON.parse(process.argv[2]) as LimitConfig;
  const { openRedisStore } = await import("../src/store/redis/index.js");
  const store: Store = await openRedisStore(cfg.url, {
    prefix: cfg.prefix,
    activeTtlMs: 24 * 3600_000,
    doneTtlMs: 3 * 3600_000,
    historyMax: 100_000,
    requestIdTtlMs: 24 * 3600_000,
    now: Date.now,
  });
  const redis = new Redis(cfg.url);

  const pmap = async <T>(n: number, conc: number, fn: (i: number) => Promise<T>) => {
    const out: T[] = new Array(n);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(conc, n) }, async () => {
      for (let i = next++; i < n; i = next++) out[i] = await fn(i);
    }));
    return out;
  };

  // Setup, untimed.
  const base = await pmap(Math.max(cfg.listBase, 64), 64, async () => (await store.create(createCommand())).record.key);
  const updKeys = base.slice(0, 64);
  const pairKeys = (await pmap(64, 64, async () => (await store.create(createCommand())).record.key));
  let runPool: string[] = [];
  const ranKeys: { key: string }[] = [];
  let runNext = 0;
  let ranNext = 0;

  const opFns: Record<LimitOp, (slot: number) => (() => Promise<unknown>)[] | undefined> = {
    ping: () => [() => redis.ping()],
    get: (s) => [() => store.get(base[s % base.length])],
    list: () => [() => store.list({ statuses: [], taskName: "", pageSize: 50 })],
    update: (s) => [() => store.update({ key: updKeys[s], kwargs: { n: s }, guard: { lockId: "" } })],
    "suspend-resume": (s) => [
      () => store.transition(pairKeys[s], TRANSITIONS.suspend, { lockId: "" }),
      () => store.transition(pairKeys[s], TRANSITIONS.resume, { lockId: "" }),
    ],
    create: () => [() => store.create(createCommand())],
    run: () => {
      if (runNext >= runPool.length) return undefined;
      const key = runPool[runNext++];
      return [
        () => store.run({ key, message: {}, metadata: {}, requestId: "", guard: { lockId: "" } }),
        async () => {
          await store.markDispatched(key, 1, limitRunId(key), undefined);
          ranKeys.push({ key });
        },
      ];
    },
    "start-complete": () => {
      if (ranNext >= ranKeys.length) return undefined;
      const { key } = ranKeys[ranNext++];
      const runId = limitRunId(key);
      return [() => store.startTask(key, runId, 1, { lockId: "" }), () => store.completeTask(key, runId, { ok: true }, { lockId: "" })];
    },
  };

  for (const ph of cfg.phases) {
    if (ph.op === "run") {
      const n = Math.min(40_000, Math.ceil(cfg.runPoolPerS * (cfg.warmupS + cfg.durationS)));
      runPool = await pmap(n, 64, async () => (await store.create(createCommand())).record.key);
      runNext = 0;
    }
    if (process.env.STORE_LIMIT_READY) process.stderr.write("phase-start\n");
    const lat: number[] = [];
    let seqs = 0;
    let errors = 0;
    let firstError: string | undefined;
    let exhausted = false;
    let lastEnd = 0;
    const t0 = performance.now();
    const warmEnd = t0 + cfg.warmupS * 1000;
    const deadline = warmEnd + cfg.durationS * 1000;
    const cpu0 = process.cpuUsage();
    await Promise.all(
      Array.from({ length: ph.concurrency }, async (_, slot) => {
        while (performance.now() < deadline) {
          const steps = opFns[ph.op](slot);
          if (!steps) {
            exhausted = true;
            return;
          }
          const s0 = performance.now();
          const own: number[] = [];
          try {
            for (const step of steps) {
              const c0 = performance.now();
              await step();
              own.push(performance.now() - c0);
            }
          } catch (e) {
            errors++;
            firstError ??= String((e as Error).message ?? e).slice(0, 200);
            continue;
          }
          const s1 = performance.now();
          lastEnd = Math.max(lastEnd, s1);
          if (s0 >= warmEnd && s1 <= deadline) {
            seqs++;
            lat.push(...own);
          }
        }
      }),
    );
    const end = exhausted ? Math.min(deadline, lastEnd) : deadline;
    const window = Math.max(1e-3, (end - warmEnd) / 1000);
    const cpu = process.cpuUsage(cpu0);
    lat.sort((a, b) => a - b);
    const q = (f: number) => (lat.length ? Math.round(lat[Math.min(lat.length - 1, Math.floor(f * lat.length))] * 100) / 100 : NaN);
    const res: LimitResult = {
      op: ph.op,
      concurrency: ph.concurrency,
      ops: Math.round((seqs / window) * 10) / 10,
      calls: Math.round((lat.length / window) * 10) / 10,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      samples: seqs,
      errors,
      cpu: Math.round(((cpu.user + cpu.system) / 1e6 / ((performance.now() - t0) / 1000)) * 100) / 100,
      ...(exhausted ? { exhausted } : {}),
      ...(firstError ? { firstError } : {}),
    };
    console.log(JSON.stringify(res));
  }
  redis.disconnect();
  await store.close();
  process.exit(0);
}

await main();
