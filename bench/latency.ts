/**
 * Latency at concurrency 1: a Redis-backed GetSignature next to what it is made of, in one run.
 *
 *   npx tsx bench/latency.ts [--rounds 3] [--seconds 1]      → a table and one JSON line
 *
 * Rows, each measured `rounds` times in turn (interleaved, so that a noisy moment hits every row
 * alike) and reported as the median of the rounds' p50 and p99:
 *   - noop:           the grpc-js no-op (`bench/noop-server.ts`, mounted like the service), h2load c=1
 *   - get:            GetSignature on a Redis-backed `mageflow serve`, h2load c=1
 *   - get-memory:     the same on the embedded store (what the server costs without Redis)
 *   - hgetall:        the same HGETALL (the record of the key the get reads) from one ioredis client in
 *                     its own process, pinned like the server, c=1
 *   - hgetall+ap:     the same with `enableAutoPipelining` (as the store's connection has it)
 *   - ping:           a bare PING from ioredis (the Redis round trip)
 * The target: get p50 ≤ 2 × noop p50 + hgetall p50.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { Redis } from "ioredis";
import { body, decode, PATH, steps } from "./lib/bodies.js";
import { h2load, loadgen, percentiles, type Cell, type Timing } from "./lib/drivers.js";
import { cpuMeter, pinned, ROOT, round, startNoop, startRedis, startService } from "./lib/proc.js";

export interface LatencyRow {
  what: "noop" | "get" | "get-memory" | "hgetall" | "hgetall+ap" | "ping";
  p50Ms: number;
  p99Ms: number;
  callsPerS: number;
  /** p50 of every round, in order. */
  rounds: number[];
  /** CPU µs per call of the process answering (the server; for hgetall and ping, the ioredis client process), median of the rounds. */
  cpuUsPerCall?: number;
  /** What else ran on the server's core (cores), median of the rounds. */
  foreign?: number;
  errors: number;
}

export interface LatencyResult {
  rows: LatencyRow[];
  /** 2 × noop p50 + hgetall p50. */
  targetMs: number;
  met: boolean;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** In a child process: `--probe <url> <key> <ms> <autopipelining 0|1> <cmd>` times one command in a loop, c=1. */
async function probeMain(url: string, key: string, ms: number, ap: boolean, cmd: "hgetall" | "ping") {
  const r = new Redis(url, { enableAutoPipelining: ap, protocol: 2 });
  const call = cmd === "ping" ? () => r.ping() : () => r.hgetall(key);
  const warmEnd = performance.now() + 300;
  while (performance.now() < warmEnd) await call();
  const lat: number[] = [];
  const cpu0 = process.cpuUsage();
  const end = performance.now() + ms;
  let errors = 0;
  while (performance.now() < end) {
    const t = performance.now();
    const res = await call();
    if (cmd === "hgetall" && Object.keys(res as object).length === 0) errors++;
    lat.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  r.disconnect();
  const cell: Cell & { cpuUs: number } = {
    cpuUs: round((cpu.user + cpu.system) / lat.length), ops: round(lat.length / (ms / 1000), 1), calls: round(lat.length / (ms / 1000), 1), ...percentiles(lat), samples: lat.length, errors };
  console.log(JSON.stringify(cell));
}

function probe(url: string, key: string, ms: number, ap: boolean, cmd: "hgetall" | "ping"): Promise<Cell> {
  const [c, a] = pinned("server", process.execPath, ["--import", "tsx", "bench/latency.ts", "--probe", url, key, String(ms), ap ? "1" : "0", cmd]);
  return new Promise((resolve, reject) => {
    const child = spawn(c, a, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`probe exited ${code}: ${err.slice(-1000)}`))));
  });
}

export async function latencyC1(o: { rounds: number; timing: Timing; log?: (m: string) => void; serverExtra?: string[]; serverEnv?: NodeJS.ProcessEnv }): Promise<LatencyResult> {
  const log = o.log ?? (() => {});
  const redis = await startRedis();
  const [noop, srv, mem] = await Promise.all([
    startNoop("grpc-js"),
    startService({ redisUrl: redis.url, extra: o.serverExtra, env: o.serverEnv }),
    startService({ extra: o.serverExtra, env: o.serverEnv }),
  ]);
  try {
    const addr = `127.0.0.1:${srv.grpcPort}`;
    const created = await loadgen({ addr, concurrency: 1, sequences: [steps.create()], mode: "once", timing: { warmupS: 0, durationS: 30 }, capture: true });
    const key = decode.createdKey(created.captured[0][0]);
    const memAddr = `127.0.0.1:${mem.grpcPort}`;
    const memCreated = await loadgen({ addr: memAddr, concurrency: 1, sequences: [steps.create()], mode: "once", timing: { warmupS: 0, durationS: 30 }, capture: true });
    const memKey = decode.createdKey(memCreated.captured[0][0]);
    const r = new Redis(redis.url);
    const redisKey = (await r.keys(`*:sig:${key}`))[0];
    r.disconnect();
    if (!redisKey) throw new Error(`no Redis key for ${key}`);
    const grpcBase = `http://${addr}`;
    const noopBase = `http://127.0.0.1:${noop.port}`;
    const warm: Timing = { warmupS: 0, durationS: 1 };
    await h2load({ base: noopBase, paths: [PATH.noop], protocol: "grpc", bodies: [body.noopGrpc()] }, 16, warm);
    await h2load({ base: grpcBase, paths: [PATH.get], protocol: "grpc", bodies: [body.get(key)] }, 16, warm);
    await h2load({ base: `http://${memAddr}`, paths: [PATH.get], protocol: "grpc", bodies: [body.get(memKey)] }, 16, warm);

    const ms = o.timing.durationS * 1000;
    const pids: Partial<Record<LatencyRow["what"], number>> = { noop: noop.pid, get: srv.pid, "get-memory": mem.pid };
    const cells: Record<LatencyRow["what"], () => Promise<Cell>> = {
      noop: () => h2load({ base: noopBase, paths: [PATH.noop], protocol: "grpc", bodies: [body.noopGrpc()], expectBytes: 5 }, 1, o.timing),
      get: () => h2load({ base: grpcBase, paths: [PATH.get], protocol: "grpc", bodies: [body.get(key)], expectBytes: 50 }, 1, o.timing),
      "get-memory": () => h2load({ base: `http://${memAddr}`, paths: [PATH.get], protocol: "grpc", bodies: [body.get(memKey)], expectBytes: 50 }, 1, o.timing),
      hgetall: () => probe(redis.url, redisKey, ms, false, "hgetall"),
      "hgetall+ap": () => probe(redis.url, redisKey, ms, true, "hgetall"),
      ping: () => probe(redis.url, redisKey, ms, false, "ping"),
    };
    const got = new Map<LatencyRow["what"], (Cell & { cpuUs?: number; foreign?: number })[]>();
    for (let i = 0; i < o.rounds; i++) {
      for (const [what, fn] of Object.entries(cells) as [LatencyRow["what"], () => Promise<Cell>][]) {
        const meter = cpuMeter({ server: pids[what] });
        const c = await fn();
        const cpu = meter();
        // h2load's cell covers warm-up + duration; the meter the whole cell: CPU share × window ÷ calls in the window.
        const cpuUs = pids[what] && c.calls > 0 ? round(((cpu.server ?? 0) * 1e6) / c.calls, 0) : (c as Cell & { cpuUs?: number }).cpuUs;
        got.set(what, [...(got.get(what) ?? []), { ...c, cpuUs, foreign: pids[what] ? cpu.foreign : undefined }]);
        log(`latency  round ${i + 1} ${what.padEnd(10)} c=1 p50 ${c.p50Ms} ms p99 ${c.p99Ms} ms, ${Math.round(c.calls)} calls/s${cpuUs ? `, ${cpuUs} µs CPU per call, foreign ${cpu.foreign}` : ""}${c.errors ? ` ERRORS ${c.errors}` : ""}`);
      }
    }
    const rows: LatencyRow[] = [...got].map(([what, cs]) => ({
      what,
      p50Ms: median(cs.map((c) => c.p50Ms)),
      p99Ms: median(cs.map((c) => c.p99Ms)),
      callsPerS: median(cs.map((c) => c.calls)),
      rounds: cs.map((c) => c.p50Ms),
      errors: cs.reduce((a, c) => a + c.errors, 0),
      ...(cs[0].cpuUs !== undefined && { cpuUsPerCall: median(cs.map((c) => c.cpuUs ?? 0)) }),
      ...(cs[0].foreign !== undefined && { foreign: median(cs.map((c) => c.foreign ?? 0)) }),
    }));
    const p = (w: LatencyRow["what"]) => rows.find((x) => x.what === w)!.p50Ms;
    const targetMs = round(2 * p("noop") + p("hgetall"), 3);
    return { rows, targetMs, met: p("get") <= targetMs };
  } finally {
    await Promise.all([noop.stop(), srv.stop(), mem.stop()]);
    await redis.stop();
  }
}

export function latencyTable(res: LatencyResult): string {
  const lines = ["  what        p50 ms  p99 ms  calls/s  server CPU µs/call  foreign  p50 of each round"];
  for (const r of res.rows) {
    lines.push(
      `  ${r.what.padEnd(10)}  ${r.p50Ms.toFixed(3).padStart(6)}  ${r.p99Ms.toFixed(2).padStart(6)}  ${String(Math.round(r.callsPerS)).padStart(7)}  ${String(r.cpuUsPerCall ?? "").padStart(18)}  ${String(r.foreign ?? "").padStart(7)}  ${r.rounds.join(" / ")}${r.errors ? `  ERRORS ${r.errors}` : ""}`,
    );
  }
  lines.push(`  target: get p50 ≤ 2 × noop p50 + hgetall p50 = ${res.targetMs} ms: ${res.met ? "MET" : "MISSED"}`);
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  if (argv[0] === "--probe") {
    await probeMain(argv[1], argv[2], Number(argv[3]), argv[4] === "1", argv[5] as "hgetall" | "ping");
  } else {
    const arg = (n: string, d: number) => (argv.includes(`--${n}`) ? Number(argv[argv.indexOf(`--${n}`) + 1]) : d);
    const res = await latencyC1({ rounds: arg("rounds", 3), timing: { warmupS: 0.3, durationS: arg("seconds", 1) }, log: (m) => process.stderr.write(`${m}\n`) });
    console.log(latencyTable(res));
    console.log(JSON.stringify(res));
  }
  process.exit(0);
}
