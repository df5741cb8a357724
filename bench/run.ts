/**
 * `npm run bench [-- --quick] [-- --skip watch,limit,...] [-- --only redis]`
 *
 * Everything in one run, load from separate processes (h2load and bench/go-noop's loadgen),
 * so that ratios between an operation and its baselines are measured on the same machine
 * state. Prints a table and writes bench/results/<timestamp>.json. See docs/performance.md.
 *
 * Sections: baselines (no-op RPC on grpc-js, connect-node, grpc-go), memory (every operation
 * on the memory store, gRPC port, plus the Connect subset), redis (the same on the Redis
 * store, plus Redis calls per RPC), limit (the store limit: the same store calls straight
 * from ioredis), watch (fan-out to 1/100/1000 watchers at 500 changes/s, Redis store), swarm (a swarm of
 * 1,000 children vs 1,000 single runs: service CPU per child, bench/swarm.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { spawn } from "node:child_process";
import { Redis } from "ioredis";
import { body, decode, PATH, steps } from "./lib/bodies.js";
import { h2load, loadgen, type Cell, type Step, type Timing } from "./lib/drivers.js";
import { busySeconds, cpuMeter, pinned, pinning, ROOT, round, rssMiB, run, sleep, startNoop, startRedis, startService, type NoopStack } from "./lib/proc.js";
import type { LimitConfig, LimitOp, LimitResult } from "./store-limit.js";
import { observabilityCost, observabilityTable, type ObservabilityRow } from "./observability-cost.js";
import { microTable, type MicroRow } from "./observability-micro.js";
import { swarmSection, swarmTable, type SwarmBenchResult } from "./swarm.js";
import { latencyC1, latencyTable, type LatencyResult } from "./latency.js";
import { watchWorkers, watchWorkersTable, workersTable, workersThroughput, type WatchWorkersRow, type WorkersResult } from "./workers.js";
import { capacity } from "./capacity.js";
import { watchersUnderWrites } from "./lib/watchers.js";

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const opt = (name: string) => {
  const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return argv[i].includes("=") ? argv[i].split("=")[1] : argv[i + 1];
};
const QUICK = argv.includes("--quick");
if (argv.includes("--no-pin")) pinning.enabled = false;
const SECTIONS = ["baselines", "memory", "connect", "redis", "calls", "limit", "watch", "observability", "swarm", "latency", "workers", "capacity"] as const;
type Section = (typeof SECTIONS)[number];
const only = opt("only")?.split(",");
const skip = new Set(opt("skip")?.split(",") ?? []);
const on = (s: Section) => (!only || only.includes(s)) && !skip.has(s);

const CONCS = opt("concurrency")?.split(",").map(Number) ?? (QUICK ? [64] : [1, 16, 64]);
const T: Timing = QUICK ? { warmupS: 0.25, durationS: 0.5 } : { warmupS: 0.4, durationS: 1.0 };
/** Untimed load right after a Node server starts, so the first cell does not measure the JIT. */
const SERVER_WARMUP: Timing = { warmupS: 0, durationS: QUICK ? 0.4 : 1 };
const RETRIES = Number(opt("retries") ?? 0);
/** --wait-quiet S: before each section wait (up to S seconds, not counted) until the machine is idle. */
const WAIT_QUIET_S = Number(opt("wait-quiet") ?? 0);
const FOREIGN_MAX = 0.3;
/** No retries after this many seconds, so that a busy machine cannot stretch the run past its budget. */
const RETRY_UNTIL_S = 140;
const BASE = QUICK ? 300 : 1000; // signatures in the store before get/list/update/suspend+resume
const CALLS_N = QUICK ? 50 : 300; // RPCs per operation for the Redis call count
const WATCHERS = opt("watchers")?.split(",").map(Number) ?? (QUICK ? [1000] : [1, 100, 1000]);
const WATCH_RATE = 500;
const WATCH_T = QUICK ? { warmupS: 0.3, durationS: 1 } : { warmupS: 0.7, durationS: 3 };

// ---------------------------------------------------------------- result model

type Generator = "h2load" | "loadgen" | "node";
interface Row {
  kind: "baseline" | "op" | "limit";
  /** memory | redis for operations and the store limit. */
  store?: string;
  /** grpc-js | grpc-js-raw | connect-node | grpc-go (baselines); grpc | connect (operations); ioredis (limit). */
  via: string;
  op: string;
  generator: Generator;
  concurrency: number;
  cell: Cell;
  /** CPU share over the cell (1 = one core). */
  cpu: Record<string, number | undefined>;
  ratios?: Record<string, number | undefined>;
}

const rows: Row[] = [];
const notes: string[] = [];
const started = Date.now();
const log = (m: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${m}\n`);

/**
 * Measures one cell. Another process running on the server's core (other work on a shared
 * machine) shows as `cpu.foreign`; a repeatable cell measured with more than FOREIGN_MAX of
 * a core of interference is measured again (up to RETRIES times) and the least disturbed
 * measurement is kept.
 */
async function cell(row: Omit<Row, "cell" | "cpu">, pids: Record<string, number | undefined>, fn: () => Promise<Cell>, repeatable = true) {
  let best: Row | undefined;
  for (let attempt = 0; attempt <= (repeatable ? RETRIES : 0); attempt++) {
    if (attempt > 0 && Date.now() - started > RETRY_UNTIL_S * 1000) break;
    const meter = cpuMeter(pids);
    const c = await fn();
    const r: Row = { ...row, cell: c, cpu: meter() };
    if (!best || (r.cpu.foreign ?? 0) < (best.cpu.foreign ?? 0)) best = r;
    if ((r.cpu.foreign ?? 0) <= FOREIGN_MAX) break;
  }
  const r = best!;
  const c = r.cell;
  rows.push(r);
  log(
    `${row.kind.padEnd(8)} ${(row.store ?? "").padEnd(6)} ${row.via.padEnd(12)} ${row.op.padEnd(16)} ${row.generator.padEnd(7)} c=${String(row.concurrency).padEnd(3)} ` +
      `${fmt(c.ops)} ops/s p50 ${c.p50Ms} ms p99 ${c.p99Ms} ms, cpu ${JSON.stringify(r.cpu)}${c.errors ? ` ERRORS ${c.errors}` : ""}${c.note ? ` (${c.note})` : ""}`,
  );
  return r;
}

const fmt = (x: number | undefined | null, d = 0) => (x === undefined || x === null || Number.isNaN(x) ? "—" : x >= 100 || d === 0 ? Math.round(x).toLocaleString("en-US") : x.toFixed(d));

// ---------------------------------------------------------------- baselines

async function baselines() {
  const stacks: [NoopStack, string][] = [
    ["grpc-js", "grpc-js"],
    ...(QUICK ? [] : ([["grpc-js-raw", "grpc-js-raw"]] as [NoopStack, string][])),
    ["connect", "connect-node"],
    ["go", "grpc-go"],
  ];
  // All started at once (they idle until their turn): start-up is most of a quick run's fixed cost.
  const servers = stacks.map(([stack]) => startNoop(stack));
  servers.forEach((p) => p.catch(() => undefined));
  for (const [i, [stack, via]] of stacks.entries()) {
    const s = await servers[i];
    const base = `http://127.0.0.1:${s.port}`;
    await h2load({ base, paths: [PATH.noop], protocol: "grpc", bodies: [body.noopGrpc()] }, 16, SERVER_WARMUP);
    // The adapter-less grpc-js no-op only answers one question (what the adapter costs): highest concurrency only.
    for (const c of stack === "grpc-js-raw" ? [Math.max(...CONCS)] : CONCS) {
      const pids = { server: s.pid };
      await cell({ kind: "baseline", via, op: "noop", generator: "h2load", concurrency: c }, pids, () =>
        h2load({ base, paths: [PATH.noop], protocol: "grpc", bodies: [body.noopGrpc()], expectBytes: 5 }, c, T),
      );
      if (stack === "connect") {
        await cell({ kind: "baseline", via: "connect-node/connect", op: "noop", generator: "h2load", concurrency: c }, pids, () =>
          h2load({ base, paths: [PATH.noop], protocol: "connect", bodies: [body.noopConnect()] }, c, T),
        );
      }
      if (stack === "grpc-js" || stack === "go") {
        await cell({ kind: "baseline", via, op: "noop", generator: "loadgen", concurrency: c }, pids, async () => {
          const r = await loadgen({ addr: `127.0.0.1:${s.port}`, concurrency: c, sequences: [[{ path: PATH.noop, body: body.noopGrpc() }]], mode: "cycle", timing: T });
          return r.cell;
        });
      }
    }
    await s.stop();
  }
}

// ---------------------------------------------------------------- operations on the service

interface ServiceCtx {
  store: string;
  addr: string;
  grpcBase: string;
  httpBase: string;
  pids: Record<string, number | undefined>;
  base: string[];
}

/** Creates `n` signatures through the service (untimed); returns their keys. */
async function createMany(addr: string, n: number): Promise<string[]> {
  const r = await loadgen({ addr, concurrency: 32, sequences: Array.from({ length: n }, () => steps.create()), mode: "once", timing: { warmupS: 0, durationS: 120 }, capture: true });
  if (r.cell.errors) throw new Error(`setup: creating signatures failed: ${r.cell.note}`);
  return r.captured.map((res) => decode.createdKey(res[0]));
}

/** One call through loadgen; throws unless it succeeds. Returns the response size as a gRPC DATA frame. */
async function probe(addr: string, path: string, b: Uint8Array): Promise<number> {
  const r = await loadgen({ addr, concurrency: 1, sequences: [[{ path, body: b }]], mode: "once", timing: { warmupS: 0, durationS: 30 }, capture: true });
  if (r.cell.errors || r.captured.length !== 1) throw new Error(`probe ${path} failed: ${r.cell.note ?? "no response"}`);
  return r.captured[0][0].length + 5;
}

async function serviceOps(ctx: ServiceCtx, withConnect: boolean, withGrpc = true) {
  const { addr, base } = ctx;
  await h2load({ base: ctx.grpcBase, paths: [PATH.get], protocol: "grpc", bodies: [body.get(base[0])] }, 16, SERVER_WARMUP);
  const h2ops: { op: string; paths: string[]; bodies: (c: number) => Uint8Array[]; connect: boolean }[] = [
    { op: "get", paths: [PATH.get], bodies: () => [body.get(base[0])], connect: true },
    { op: "list", paths: [PATH.list], bodies: () => [body.list()], connect: false },
    { op: "update", paths: [PATH.update], bodies: (c) => base.slice(0, c).map((k) => body.update(k)), connect: true },
    { op: "suspend+resume", paths: [PATH.suspend, PATH.resume], bodies: (c) => base.slice(64, 64 + c).map(body.suspendOrResume), connect: true },
  ];
  for (const o of h2ops) {
    let expect = 0;
    for (const p of o.paths) expect += await probe(addr, p, o.bodies(1)[0]);
    expect /= o.paths.length;
    for (const c of withGrpc ? CONCS : []) {
      await cell({ kind: "op", store: ctx.store, via: "grpc", op: o.op, generator: "h2load", concurrency: c }, ctx.pids, () =>
        h2load({ base: ctx.grpcBase, paths: o.paths, protocol: "grpc", bodies: o.bodies(c), expectBytes: expect }, c, T),
      );
    }
    if (withConnect && o.connect) {
      for (const c of CONCS) {
        await cell({ kind: "op", store: ctx.store, via: "connect", op: o.op, generator: "h2load", concurrency: c }, ctx.pids, () =>
          h2load({ base: ctx.httpBase, paths: o.paths, protocol: "connect", bodies: o.bodies(c) }, c, T),
        );
      }
    }
  }

  // Non-repeatable operations: each sequence has its own key. Creates feed the runs, runs feed start+complete.
  if (!withGrpc) return;
  let pool: string[] = [];
  for (const c of CONCS) {
    await cell({ kind: "op", store: ctx.store, via: "grpc", op: "create", generator: "loadgen", concurrency: c }, ctx.pids, async () => {
      const r = await loadgen({ addr, concurrency: c, sequences: [steps.create()], mode: "cycle", timing: T, capture: true });
      pool.push(...r.captured.map((res) => decode.createdKey(res[0])));
      return r.cell;
    });
  }
  const ran: { key: string; runId: string; attempt: number }[] = [];
  for (const c of CONCS) {
    await cell({ kind: "op", store: ctx.store, via: "grpc", op: "run", generator: "loadgen", concurrency: c }, ctx.pids, async () => {
      const r = await loadgen({ addr, concurrency: c, sequences: pool.map(steps.run), mode: "once", timing: T, capture: true });
      pool = pool.slice(r.raw.taken);
      for (const res of r.captured) {
        const d = decode.run(res[0]);
        if (d.runId) ran.push(d);
      }
      return r.cell;
    }, false);
  }
  for (const c of CONCS) {
    await cell({ kind: "op", store: ctx.store, via: "grpc", op: "start+complete", generator: "loadgen", concurrency: c }, ctx.pids, async () => {
      const r = await loadgen({ addr, concurrency: c, sequences: ran.map((x) => steps.startComplete(x.key, x.runId, x.attempt)), mode: "once", timing: T });
      ran.splice(0, r.raw.taken);
      return r.cell;
    }, false);
  }
}

async function withService<T>(store: "memory" | "redis", redisUrl: string | undefined, fn: (ctx: ServiceCtx, srv: Awaited<ReturnType<typeof startService>>) => Promise<T>, redisPid?: number): Promise<T> {
  const srv = await startService({ redisUrl });
  if (srv.store !== store) throw new Error(`expected store=${store}, server says ${srv.store}`);
  try {
    const addr = `127.0.0.1:${srv.grpcPort}`;
    const ctx: ServiceCtx = {
      store,
      addr,
      grpcBase: `http://${addr}`,
      httpBase: `http://127.0.0.1:${srv.httpPort}`,
      pids: { server: srv.pid, redis: redisPid },
      base: [],
    };
    return await fn(ctx, srv);
  } finally {
    await srv.stop();
  }
}

// ---------------------------------------------------------------- Redis calls per RPC

interface CallCount {
  op: string;
  /** RPCs measured (two per pair). */
  rpcs: number;
  /** Commands sent to Redis per RPC (round trips), idle background subtracted. */
  roundTripsPerRpc: number;
  /** The same without the background readers (the watch hub's XREAD, the dispatch loop's XREADGROUP/XAUTOCLAIM). */
  requestPathPerRpc: number;
  /** Store revisions per RPC: the state changes the RPC made (a run is queued, then dispatched). */
  mutationsPerRpc: number;
  /** Request-path round trips per state change: the target's measure (null for reads). */
  requestPathPerMutation: number | null;
  /** Script invocations (EVALSHA/EVAL) per RPC. */
  scriptsPerRpc: number;
  /** Commands run inside scripts per RPC (Redis work, not round trips). */
  inScriptPerRpc: number;
  /** Round trips per RPC by command. */
  byCommand: Record<string, number>;
}

const BACKGROUND = new Set(["xread", "xreadgroup", "xautoclaim", "xpending"]);
const HARNESS = new Set(["info", "config", "monitor", "config|resetstat"]);

async function commandStats(r: Redis): Promise<Record<string, number>> {
  const info = await r.info("commandstats");
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (HARNESS.has(m[1])) continue;
    out[m[1]] = Number(m[2]);
  }
  return out;
}

/**
 * Redis calls per RPC. MONITOR shows every command with its source: a client address for
 * round trips, "lua" for commands a script runs; INFO commandstats counts both.
 */
async function redisCalls(ctx: ServiceCtx, redisUrl: string): Promise<{ idlePerS: Record<string, number>; ops: CallCount[] }> {
  const r = new Redis(redisUrl);
  const mon = await new Redis(redisUrl).monitor();
  let top: Record<string, number> = {};
  let counting = false;
  mon.on("monitor", (_time: string, args: string[], source: string) => {
    if (!counting || source === "lua") return;
    const cmd = String(args[0]).toLowerCase();
    if (!HARNESS.has(cmd)) top[cmd] = (top[cmd] ?? 0) + 1;
  });
  const measure = async (settleMs: number, fn: () => Promise<void>) => {
    await sleep(QUICK ? 150 : 300);
    await r.config("RESETSTAT");
    top = {};
    counting = true;
    const t0 = Date.now();
    await fn();
    await sleep(settleMs);
    counting = false;
    const elapsedS = (Date.now() - t0) / 1000;
    return { top: { ...top }, all: await commandStats(r), elapsedS };
  };
  /** The store revisions so far, summed over the namespaces' stores. */
  const revisions = async () => {
    let n = 0;
    for (const k of await r.keys("*}:rev")) n += Number(await r.get(k));
    return n;
  };
  const idle = await measure(QUICK ? 500 : 1000, async () => {});
  const idlePerS = Object.fromEntries(Object.entries(idle.top).map(([k, v]) => [k, round(v / idle.elapsedS, 2)]));

  const drive = async (seqs: Step[][], capture = false) =>
    loadgen({ addr: ctx.addr, concurrency: 1, sequences: seqs, mode: "once", timing: { warmupS: 0, durationS: 120 }, capture });
  const N = CALLS_N;
  const out: CallCount[] = [];
  let created: string[] = [];
  let ran: { key: string; runId: string; attempt: number }[] = [];
  const plans: [string, number, () => Promise<number>][] = [
    ["get", 1, async () => (await drive(Array.from({ length: N }, () => [{ path: PATH.get, body: body.get(ctx.base[0]) }]))).raw.taken],
    ["list", 1, async () => (await drive(Array.from({ length: N }, () => [{ path: PATH.list, body: body.list() }]))).raw.taken],
    ["update", 1, async () => (await drive(Array.from({ length: N }, () => [{ path: PATH.update, body: body.update(ctx.base[0]) }]))).raw.taken],
    [
      "suspend+resume",
      2,
      async () =>
        (
          await drive(
            Array.from({ length: N }, () => [
              { path: PATH.suspend, body: body.suspendOrResume(ctx.base[64]) },
              { path: PATH.resume, body: body.suspendOrResume(ctx.base[64]) },
            ]),
          )
        ).raw.taken,
    ],
    [
      "create",
      1,
      async () => {
        const res = await drive(Array.from({ length: N }, () => steps.create()), true);
        created = res.captured.map((x) => decode.createdKey(x[0]));
        return res.raw.taken;
      },
    ],
    [
      "run",
      1,
      async () => {
        const res = await drive(created.map(steps.run), true);
        ran = res.captured.map((x) => decode.run(x[0])).filter((x) => x.runId);
        return res.raw.taken;
      },
    ],
    ["start+complete", 2, async () => (await drive(ran.map((x) => steps.startComplete(x.key, x.runId, x.attempt)))).raw.taken],
  ];
  for (const [op, callsPerOp, fn] of plans) {
    let ops = 0;
    const rev0 = await revisions();
    const m = await measure(QUICK ? 150 : 300, async () => {
      ops = await fn();
    });
    const rpcs = ops * callsPerOp;
    const mutations = (await revisions()) - rev0;
    const net = (n: number, cmd: string) => Math.max(0, n - (idlePerS[cmd] ?? 0) * m.elapsedS);
    const byCommand: Record<string, number> = {};
    let total = 0;
    let requestPath = 0;
    let scripts = 0;
    for (const [cmd, n] of Object.entries(m.top)) {
      const v = net(n, cmd);
      if (v < 0.5) continue;
      byCommand[cmd] = round(v / rpcs, 2);
      total += v;
      if (!BACKGROUND.has(cmd)) requestPath += v;
      if (cmd === "evalsha" || cmd === "eval") scripts += v;
    }
    let all = 0;
    for (const [cmd, n] of Object.entries(m.all)) all += cmd in idlePerS ? net(n, cmd) : n;
    const cc: CallCount = {
      op,
      rpcs,
      roundTripsPerRpc: round(total / rpcs, 2),
      requestPathPerRpc: round(requestPath / rpcs, 2),
      mutationsPerRpc: round(mutations / rpcs, 2),
      requestPathPerMutation: mutations > 0 ? round(requestPath / mutations, 2) : null,
      scriptsPerRpc: round(scripts / rpcs, 2),
      inScriptPerRpc: round(Math.max(0, all - total) / rpcs, 2),
      byCommand,
    };
    out.push(cc);
    log(
      `calls    redis  ${op.padEnd(16)} ${cc.requestPathPerRpc} request-path / ${cc.roundTripsPerRpc} total round trips per RPC, ${cc.mutationsPerRpc} mutations per RPC, ${cc.inScriptPerRpc} in scripts ${JSON.stringify(byCommand)}`,
    );
  }
  mon.disconnect();
  r.disconnect();
  return { idlePerS, ops: out };
}

// ---------------------------------------------------------------- store limit

async function storeLimit(redisUrl: string, redisPid: number) {
  const ops: LimitOp[] = ["ping", "get", "list", "update", "suspend-resume", "create", "run", "start-complete"];
  const cfg: LimitConfig = {
    url: redisUrl,
    prefix: `limit${Date.now()}`,
    listBase: BASE,
    runPoolPerS: 20_000,
    phases: ops.flatMap((op) => CONCS.map((concurrency) => ({ op, concurrency }))),
    warmupS: T.warmupS,
    durationS: T.durationS,
  };
  const meter = cpuMeter({ redis: redisPid });
  const out = await new Promise<string>((resolve, reject) => {
    const [cmd, args] = pinned("server", process.execPath, ["--import", "tsx", "bench/store-limit.ts", JSON.stringify(cfg)]);
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let o = "";
    let e = "";
    child.stdout.on("data", (d) => {
      o += d;
      for (const line of String(d).split("\n")) if (line.startsWith("{")) log(`limit    redis  ioredis      ${line}`);
    });
    child.stderr.on("data", (d) => (e += d));
    child.once("exit", (code) => (code === 0 ? resolve(o) : reject(new Error(`store-limit exited ${code}: ${e.slice(-2000)}`))));
  });
  const redisCpu = meter().redis;
  const name: Record<LimitOp, string> = { ping: "ping", get: "get", list: "list", update: "update", "suspend-resume": "suspend+resume", create: "create", run: "run", "start-complete": "start+complete" };
  for (const line of out.split("\n")) {
    if (!line.startsWith("{")) continue;
    const r = JSON.parse(line) as LimitResult;
    rows.push({
      kind: "limit",
      store: "redis",
      via: "ioredis",
      op: name[r.op],
      generator: "node",
      concurrency: r.concurrency,
      cell: { ops: r.ops, calls: r.calls, p50Ms: r.p50Ms, p99Ms: r.p99Ms, samples: r.samples, errors: r.errors, note: [r.exhausted ? "ran out of prepared keys" : "", r.firstError ?? ""].filter(Boolean).join("; ") || undefined },
      cpu: { client: r.cpu, redisAvg: redisCpu },
    });
  }
}

// ---------------------------------------------------------------- watch fan-out

interface WatchRow {
  watchers: number;
  store: string;
  targetRate: number;
  writerRate: number;
  writerP99Ms: number;
  writerErrors: number;
  deliveredPerS: number;
  expectedPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  streamErrors: Record<string, number>;
  firstError?: string;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  serverCpu?: number;
  redisCpu?: number;
  /** The whole machine (2.00 = both cores busy). */
  machineCpu?: number;
  openMs: number;
}

async function watchFanout(redisUrl: string | undefined, redisPid: number | undefined): Promise<WatchRow[]> {
  const out: WatchRow[] = [];
  for (const n of WATCHERS) {
    const srv = await startService({ redisUrl });
    try {
      const addr = `127.0.0.1:${srv.grpcPort}`;
      const keys = await createMany(addr, QUICK ? 32 : 100);
      await sleep(200);
      const rssBefore = rssMiB(srv.pid);
      let peak = rssBefore;
      let sampler: NodeJS.Timeout | undefined;
      let meter: (() => Record<string, number | undefined>) | undefined;
      const { report: res, writer } = await watchersUnderWrites({
        addr,
        watchers: n,
        keys,
        rate: WATCH_RATE,
        timing: WATCH_T,
        onReady: () => {
          sampler = setInterval(() => (peak = Math.max(peak, rssMiB(srv.pid))), 200);
          meter = cpuMeter({ server: srv.pid, redis: redisPid });
        },
      });
      const cpu = meter!();
      clearInterval(sampler);
      const row: WatchRow = {
        watchers: n,
        store: srv.store,
        targetRate: WATCH_RATE,
        writerRate: writer.ops,
        writerP99Ms: writer.p99Ms,
        writerErrors: writer.errors,
        deliveredPerS: round(res.eventsPerS),
        expectedPerS: round(writer.ops * n),
        p50Ms: res.p50Ms,
        p99Ms: res.p99Ms,
        maxMs: res.maxMs,
        streamErrors: res.streamErrors,
        firstError: res.firstError,
        rssBeforeMiB: round(rssBefore, 1),
        rssPeakMiB: round(peak, 1),
        serverCpu: cpu.server,
        redisCpu: cpu.redis,
        machineCpu: cpu.machine,
        openMs: round(res.openMs),
      };
      out.push(row);
      log(
        `watch    ${row.store.padEnd(6)} ${String(n).padStart(4)} watchers: writer ${row.writerRate}/s, delivered ${fmt(row.deliveredPerS)}/s of ${fmt(row.expectedPerS)}/s, ` +
          `p50 ${row.p50Ms} ms p99 ${row.p99Ms} ms, RSS ${row.rssBeforeMiB}→${row.rssPeakMiB} MiB, server CPU ${row.serverCpu}, machine ${row.machineCpu}${Object.keys(row.streamErrors).length ? ` stream errors ${JSON.stringify(row.streamErrors)}` : ""}`,
      );
    } finally {
      await srv.stop();
    }
  }
  return out;
}

// ---------------------------------------------------------------- ratios and report

function addRatios() {
  const find = (kind: Row["kind"], via: string, op: string, gen: Generator, c: number, store?: string) =>
    rows.find((r) => r.kind === kind && r.via === via && r.op === op && r.generator === gen && r.concurrency === c && (store === undefined || r.store === store));
  for (const r of rows) {
    if (r.kind !== "op") continue;
    const calls = r.cell.calls;
    const ratio = (b?: Row) => (b && b.cell.calls > 0 ? round(calls / b.cell.calls, 3) : undefined);
    const grpcjs = find("baseline", "grpc-js", "noop", r.generator, r.concurrency);
    const go = find("baseline", "grpc-go", "noop", r.generator, r.concurrency);
    const connect = find("baseline", r.via === "connect" ? "connect-node/connect" : "connect-node", "noop", r.generator, r.concurrency);
    const limit = r.store === "redis" ? find("limit", "ioredis", r.op, "node", r.concurrency) : undefined;
    const memory = r.store === "redis" ? find("op", r.via, r.op, r.generator, r.concurrency, "memory") : undefined;
    const perCore = (x?: Row) => (x && x.cpu.server && x.cpu.server > 0.05 ? x.cell.calls / x.cpu.server : undefined);
    const cpuRatio = (b?: Row) => {
      const a = perCore(r);
      const c = perCore(b);
      return a && c ? round(a / c, 3) : undefined;
    };
    r.ratios = {
      grpcJsPerCpu: cpuRatio(grpcjs),
      grpcGoPerCpu: cpuRatio(go),
      grpcJs: ratio(grpcjs),
      grpcGo: ratio(go),
      connectNode: ratio(connect),
      storeLimit: limit && limit.cell.ops > 0 ? round(r.cell.ops / limit.cell.ops, 3) : undefined,
      vsMemory: memory && memory.cell.ops > 0 ? round(r.cell.ops / memory.cell.ops, 3) : undefined,
    };
  }
}

const pct = (x: number | undefined) => (x === undefined ? "—" : `${Math.round(x * 100)}%`);

function table(): string {
  const head = ["kind", "store", "via", "operation", "gen", "c", "ops/s", "calls/s", "p50 ms", "p99 ms", "err", "cpu srv", "foreign", "cpu redis", "cpu all", "calls/core", "÷grpc-js", "÷grpc-go", "÷connect", "÷store", "÷memory", "÷js/core", "÷go/core"];
  const body = rows.map((r) => [
    r.kind,
    r.store ?? "",
    r.via,
    r.op,
    r.generator,
    String(r.concurrency),
    fmt(r.cell.ops),
    fmt(r.cell.calls),
    fmt(r.cell.p50Ms, 2),
    fmt(r.cell.p99Ms, 2),
    String(r.cell.errors || ""),
    r.cpu.server !== undefined ? r.cpu.server.toFixed(2) : r.cpu.client !== undefined ? `${r.cpu.client.toFixed(2)}c` : "",
    r.cpu.foreign !== undefined ? r.cpu.foreign.toFixed(2) : "",
    r.cpu.redis !== undefined ? r.cpu.redis.toFixed(2) : "",
    r.cpu.machine !== undefined ? r.cpu.machine.toFixed(2) : "",
    r.cpu.server && r.cpu.server > 0.05 ? fmt(r.cell.calls / r.cpu.server) : "",
    pct(r.ratios?.grpcJs),
    pct(r.ratios?.grpcGo),
    pct(r.ratios?.connectNode),
    pct(r.ratios?.storeLimit),
    pct(r.ratios?.vsMemory),
    pct(r.ratios?.grpcJsPerCpu),
    pct(r.ratios?.grpcGoPerCpu),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

interface Target {
  what: string;
  target: string;
  measured: string;
  met: boolean | undefined;
}

interface ScaleOut {
  latency?: LatencyResult;
  workers?: WorkersResult;
  watchAcrossWorkers?: WatchWorkersRow[];
}

function targets(calls: CallCount[] | undefined, watch: WatchRow[] | undefined, scale: ScaleOut = {}): Target[] {
  const out: Target[] = [];
  const c = Math.max(...CONCS);
  for (const r of rows.filter((x) => x.kind === "op" && x.via === "grpc" && x.concurrency === c)) {
    const js = r.ratios?.grpcJs;
    const go = r.ratios?.grpcGo;
    out.push({
      what: `${r.store} ${r.op} (${r.generator}) c=${c}`,
      target: "≥ 60% of grpc-js no-op, ≥ 40% of grpc-go no-op",
      measured: `${pct(js)} / ${pct(go)} of the no-ops' throughput; per server CPU second ${pct(r.ratios?.grpcJsPerCpu)} / ${pct(r.ratios?.grpcGoPerCpu)}${(r.cpu.foreign ?? 0) > 0.2 ? ` (interference ${r.cpu.foreign} of a core)` : ""}`,
      met: js === undefined || go === undefined ? undefined : js >= 0.6 && go >= 0.4,
    });
  }
  for (const store of ["memory", "redis"]) {
    const find = (kind: string, op: string) => rows.find((x) => x.kind === kind && x.store === store && x.op === op && x.concurrency === c && (kind === "limit" || x.via === "grpc"));
    const [get, list] = [find("op", "get"), find("op", "list")];
    if (!get || !list) continue;
    const perCpu = (r: Row) => r.cell.ops / Math.max(r.cpu.server ?? 1, 0.01);
    const [lget, llist] = [find("limit", "get"), find("limit", "list")];
    const limit = lget && llist ? `; store limit ${fmt(llist.cell.ops)} pages/s = ${pct(llist.cell.ops / lget.cell.ops)} of its get` : "";
    out.push({
      what: `${store} list (page of 50) vs get, gRPC, c=${c}`,
      target: "list pages/s ≥ 25% of get's ops/s",
      measured: `${fmt(list.cell.ops)} pages/s = ${pct(list.cell.ops / get.cell.ops)} of get's ${fmt(get.cell.ops)}/s; per server CPU second ${pct(perCpu(list) / perCpu(get))}${limit}`,
      met: list.cell.ops >= 0.25 * get.cell.ops,
    });
  }
  for (const cc of calls ?? []) {
    if (cc.op === "get" || cc.op === "list") continue;
    out.push({
      what: `redis ${cc.op}: Redis round trips per mutation`,
      target: "≤ 1.2",
      measured: `${cc.requestPathPerMutation} on the request path per state change (${cc.requestPathPerRpc} per RPC, which makes ${cc.mutationsPerRpc}; ${cc.roundTripsPerRpc} per RPC with the watch hub's and dispatch loop's reads)`,
      met: cc.requestPathPerMutation !== null && cc.requestPathPerMutation <= 1.2,
    });
  }
  const w = watch?.find((x) => x.watchers === 1000);
  if (w) {
    const errs = Object.values(w.streamErrors).reduce((a, b) => a + b, 0);
    out.push({
      what: `1000 watchers at ${w.targetRate} changes/s (${w.store})`,
      target: "p99 delivery ≤ 50 ms",
      measured: `p99 ${w.p99Ms} ms, writer ${w.writerRate}/s, ${fmt(w.deliveredPerS)} of ${fmt(w.expectedPerS)} events/s delivered${errs ? `, ${errs} streams ended with errors` : ""}`,
      met: w.p99Ms <= 50 && w.writerRate >= 0.95 * w.targetRate && errs === 0,
    });
  }
  return [...out, ...scaleOutTargets(scale)];
}

/** The targets of the scale-out work: worker processes, the fan-out across them, latency at c=1. */
function scaleOutTargets({ latency, workers, watchAcrossWorkers }: ScaleOut): Target[] {
  const out: Target[] = [];
  for (const r of workers?.ratios ?? []) {
    out.push({
      what: `redis ${r.op}, 2 worker processes vs 1`,
      target: "≥ 1.6× ops/s while Redis is not saturated",
      measured: `${r.throughput}× ops/s, ${r.perServerCpu}× per server CPU second (Redis at ${r.redisCpu2} of its core)`,
      met: r.throughput >= 1.6,
    });
  }
  for (const n of [1, 2]) {
    const runs = (watchAcrossWorkers ?? []).filter((r) => r.workers === n);
    if (runs.length === 0) continue;
    const ok = (r: WatchWorkersRow) => r.p99Ms <= 50 && r.busiestProcessCpu < 0.7 && r.streamErrors === 0;
    out.push({
      what: `1000 watchers at ${WATCH_RATE} changes/s, ${n} worker${n > 1 ? "s" : ""}, ${runs.length} runs`,
      target: "p99 ≤ 50 ms in every run, each server process below 70 % of its core",
      measured: `p99 ${runs.map((r) => r.p99Ms.toFixed(1)).join(" / ")} ms; busiest process ${runs.map((r) => r.busiestProcessCpu.toFixed(2)).join(" / ")}`,
      met: runs.every(ok),
    });
  }
  if (latency) {
    const get = latency.rows.find((r) => r.what === "get");
    out.push({ what: "redis get, c=1, p50", target: `≤ 2 × no-op p50 + HGETALL p50 = ${latency.targetMs} ms`, measured: `${get?.p50Ms} ms`, met: latency.met });
  }
  return out;
}

// ---------------------------------------------------------------- main

async function versions() {
  const v = async (cmd: string, args: string[]) => (await run(cmd, args).catch((e) => String(e.message))).split("\n")[0].trim();
  const [h2load, redis, go] = await Promise.all([v("h2load", ["--version"]), v("redis-server", ["--version"]), v("go", ["version"])]);
  return { node: process.version, h2load, redis, go };
}

/** Waits until the whole machine used less than 0.25 cores for 3 s in a row (other work on a shared machine). */
async function waitQuiet(name: string) {
  if (!WAIT_QUIET_S) return;
  const t0 = Date.now();
  let quiet = 0;
  while (quiet < 3 && Date.now() - t0 < WAIT_QUIET_S * 1000) {
    const a = busySeconds().cpu;
    await sleep(1000);
    quiet = busySeconds().cpu - a < 0.25 ? quiet + 1 : 0;
  }
  const waited = (Date.now() - t0) / 1000;
  waitedS += waited;
  log(`${name}: waited ${waited.toFixed(0)} s for a quiet machine${quiet < 3 ? " (gave up)" : ""}`);
}
let waitedS = 0;

/** A failing section is reported and the run goes on with the next one. */
async function section(name: string, fn: () => Promise<void>) {
  await waitQuiet(name);
  try {
    await fn();
  } catch (e) {
    notes.push(`section ${name} failed: ${(e as Error).message.slice(0, 600)}`);
    log(`ERROR in ${name}: ${(e as Error).message}`);
  }
}

async function revision() {
  const commit = await run("git", ["rev-parse", "HEAD"]).then((x) => x.trim(), () => process.env.BENCH_COMMIT ?? "unknown");
  const dirty = await run("git", ["status", "--porcelain", "src", "gen", "proto"]).then((x) => x.trim().split("\n").filter(Boolean).length, () => 0);
  return { commit, uncommittedSrcFiles: dirty };
}

async function main() {
  const date = new Date();
  log(`mode ${QUICK ? "quick" : "full"}, concurrency ${CONCS.join("/")}, ${T.warmupS}s warm-up + ${T.durationS}s per cell`);
  await run("go", ["build", "-o", `${ROOT}bench/go-noop/bin/`, "./cmd/..."], { cwd: `${ROOT}bench/go-noop` });
  const source = await revision();
  const loadBefore = os.loadavg().map((x) => round(x, 2));
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: round(os.totalmem() / 2 ** 30, 1), kernel: os.release(), ...(await versions()) };

  if (on("baselines")) await section("baselines", baselines);
  if (on("memory") || on("connect")) {
    await section("memory", () =>
      withService("memory", undefined, async (ctx) => {
        ctx.base = await createMany(ctx.addr, BASE);
        await serviceOps(ctx, on("connect"), on("memory"));
      }),
    );
  }
  let calls: Awaited<ReturnType<typeof redisCalls>> | undefined;
  let watch: WatchRow[] | undefined;
  if (on("redis") || on("calls") || on("limit") || on("watch")) {
    const redis = await startRedis();
    try {
      if (on("redis") || on("calls")) {
        await section("redis", () =>
          withService(
            "redis",
            redis.url,
            async (ctx) => {
              ctx.base = await createMany(ctx.addr, BASE);
              if (on("redis")) await serviceOps(ctx, false);
              if (on("calls")) calls = await redisCalls(ctx, redis.url);
            },
            redis.pid,
          ),
        );
      }
      if (on("limit")) await section("limit", () => storeLimit(redis.url, redis.pid));
      if (on("watch")) {
        await section("watch", async () => {
          const r = new Redis(redis.url);
          await r.flushall();
          r.disconnect();
          watch = await watchFanout(redis.url, redis.pid);
        });
      }
    } finally {
      await redis.stop();
    }
  }

  let observability: { rows: ObservabilityRow[]; otlpRequests: number } | undefined;
  let observabilityCpu: { rows: MicroRow[]; exports: number } | undefined;
  if (on("observability")) {
    await section("observability", async () => void (observability = await observabilityCost(CONCS, T, log)));
    // In a child process: the tracing SDK it starts must not stay in this one.
    await section("observability-cpu", async () => void (observabilityCpu = JSON.parse(await run(process.execPath, ["--import", "tsx", "bench/observability-micro.ts", "--json"], { role: "server" }))));
  }

  let swarm: SwarmBenchResult[] | undefined;
  if (on("swarm")) await section("swarm", async () => void (swarm = await swarmSection(QUICK)));
  // Sections with servers of their own (bench/latency.ts, bench/workers.ts, bench/capacity.ts).
  let latency: LatencyResult | undefined;
  let workers: WorkersResult | undefined;
  let watchAcrossWorkers: WatchWorkersRow[] | undefined;
  let capacityRes: Awaited<ReturnType<typeof capacity>> | undefined;
  if (on("latency")) await section("latency", async () => void (latency = await latencyC1({ rounds: QUICK ? 2 : 3, timing: QUICK ? { warmupS: 0.3, durationS: 0.7 } : { warmupS: 0.3, durationS: 1 }, log })));
  if (on("workers")) {
    await section("workers", async () => void (workers = await workersThroughput({ concurrency: Math.max(...CONCS), timing: QUICK ? { warmupS: 0.3, durationS: 0.8 } : { warmupS: 0.5, durationS: 1.5 }, rounds: 2, log })));
    await section("workers-watch", async () => void (watchAcrossWorkers = await watchWorkers({ watchers: Math.max(...WATCHERS), rate: WATCH_RATE, runs: QUICK ? 1 : 5, timing: WATCH_T, log })));
  }
  if (on("capacity")) await section("capacity", async () => void (capacityRes = await capacity({ n: QUICK ? 5000 : 20_000, seconds: QUICK ? 1 : 2, log })));

  addRatios();
  const tgt = targets(calls?.ops, watch, { latency, workers, watchAcrossWorkers });
  const elapsedS = round((Date.now() - started) / 1000 - waitedS, 1);
  const loadAfter = os.loadavg().map((x) => round(x, 2));
  const result = { date: date.toISOString(), mode: QUICK ? "quick" : "full", elapsedS, source, machine, loadavg: { before: loadBefore, after: loadAfter }, timing: T, concurrency: CONCS, baseSignatures: BASE, rows, redisCalls: calls, watch, observability, observabilityCpu, swarm, latency, workers, watchAcrossWorkers, capacity: capacityRes, targets: tgt, notes };
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  const file = `${ROOT}bench/results/${date.toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(file, JSON.stringify(result, null, 2));

  const out: string[] = [];
  out.push(`\nmageflow bench — ${date.toISOString()} — ${machine.cpus} cores (${machine.cpuModel}), ${machine.node}, ${QUICK ? "quick" : "full"} run, ${elapsedS} s${waitedS ? ` (+${round(waitedS)} s waiting for a quiet machine)` : ""}, load average ${loadBefore[0]} before / ${loadAfter[0]} after, source ${source.commit.slice(0, 12)}${source.uncommittedSrcFiles ? ` + ${source.uncommittedSrcFiles} uncommitted files in src/gen/proto` : ""}`);
  out.push(
    "cpu columns: cores busy during the cell. srv: the server process (pinned to core 0; for the store limit, the ioredis client process, marked c); foreign: anything else on core 0 (other work on the machine); redis: redis-server; all: the whole machine.\n" +
      "calls/core: calls per second of server CPU. ÷X: calls/s over the X no-op's calls/s with the same load generator and concurrency (÷store and ÷memory: operations/s); ÷js/core, ÷go/core: the same per server CPU second.\n",
  );
  out.push(table());
  if (calls) {
    out.push(`\nRedis calls per RPC (${CALLS_N} operations at c=1; MONITOR for round trips, INFO commandstats for commands inside scripts; idle background ${JSON.stringify(calls.idlePerS)} per s subtracted)`);
    out.push("  operation        request path  all round trips  mutations  per mutation  scripts  in scripts  round trips by command");
    for (const c of calls.ops) {
      out.push(
        `  ${c.op.padEnd(16)} ${String(c.requestPathPerRpc).padStart(12)}  ${String(c.roundTripsPerRpc).padStart(15)}  ${String(c.mutationsPerRpc).padStart(9)}  ${String(c.requestPathPerMutation ?? "—").padStart(12)}  ${String(c.scriptsPerRpc).padStart(7)}  ${String(c.inScriptPerRpc).padStart(10)}  ${JSON.stringify(c.byCommand)}`,
      );
    }
  }
  if (watch) {
    out.push(`\nWatch fan-out (${watch[0]?.store} store, writer at ${WATCH_RATE} updates/s, ${WATCH_T.durationS}s window)`);
    out.push("  watchers  writer/s  delivered ev/s  expected ev/s  p50 ms  p99 ms  max ms  RSS MiB (idle→peak)  cpu srv  stream errors");
    for (const w of watch) {
      out.push(
        `  ${String(w.watchers).padStart(8)}  ${fmt(w.writerRate).padStart(8)}  ${fmt(w.deliveredPerS).padStart(14)}  ${fmt(w.expectedPerS).padStart(13)}  ${fmt(w.p50Ms, 1).padStart(6)}  ${fmt(w.p99Ms, 1).padStart(6)}  ${fmt(w.maxMs, 1).padStart(6)}  ${`${w.rssBeforeMiB}→${w.rssPeakMiB}`.padStart(19)}  ${String(w.serverCpu ?? "").padStart(7)}  ${JSON.stringify(w.streamErrors)}`,
      );
    }
  }
  if (observability) {
    out.push(`\nCost of metrics and tracing (memory store, gRPC port; off: MAGEFLOW_UNINSTRUMENTED=1; tracing: OTLP/HTTP to a local sink, ${observability.otlpRequests} exports)`);
    out.push(observabilityTable(observability.rows));
  }
  if (observabilityCpu) {
    out.push(`\nCPU per call added by the metric and trace wrappers (handlers over the memory store in one process, no network; median of 5 rounds of 4,000 calls; ${observabilityCpu.exports} OTLP exports)`);
    out.push(microTable(observabilityCpu.rows));
  }
  if (swarm) {
    out.push(`\nA swarm of ${swarm[0]?.n} children vs as many single runs (create, dispatch, StartTask + CompleteTask, end; a no-op engine whose worker reports at once; CPU medians of ${swarm[0]?.rounds} alternating rounds; bench/swarm.ts)`);
    out.push(swarmTable(swarm));
  }
  if (latency) out.push(`\nLatency at concurrency 1 (median of rounds; h2load for the RPCs, an ioredis client process for HGETALL/PING)\n${latencyTable(latency)}`);
  if (workers) out.push(`\nThroughput with 1 and 2 worker processes (Redis store, nothing pinned: servers, Redis and load generators share the cores)\n${workersTable(workers)}`);
  if (watchAcrossWorkers) out.push(`\nWatch fan-out with 1 and 2 worker processes (writer at ${WATCH_RATE} changes/s)\n${watchWorkersTable(watchAcrossWorkers)}`);
  if (capacityRes) {
    out.push("\nOne shard (bench/capacity.ts): " + capacityRes.shard.map((x) => `${x.op} ${Math.round(x.opsPerS)}/s at Redis CPU ${x.redisCpu} (${x.opsPerRedisCpuS} per Redis CPU-s)`).join("; "));
    out.push("Bytes per signature: " + capacityRes.memory.map((m) => `${m.variant} ${m.bytesPerSignature} B (hash ${m.hashBytes}, event ${m.bytesPerEvent}, indexes ${m.indexBytesPerSignature})`).join("; "));
  }
  if (tgt.length) {
    out.push("\nTargets");
    for (const t of tgt) out.push(`  ${t.met === undefined ? "?" : t.met ? "MET " : "MISS"}  ${t.what}: ${t.measured}  (target ${t.target})`);
  }
  for (const n of notes) out.push(`\nNOTE: ${n}`);
  out.push(`\nwritten ${file}`);
  console.log(out.join("\n"));
}

await main();
process.exit(0);
