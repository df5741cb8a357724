/**
 * Throughput with 1 and 2 worker processes (`mageflow serve --workers N`) on the Redis store, side
 * by side in one run: both servers run at once on one Redis and are loaded in turn, cell by cell
 * (get, update with h2load; create with loadgen; c connections of one stream each, so the cluster
 * module spreads them over the workers).
 *
 *   npx tsx bench/workers.ts [--concurrency 64] [--seconds 1.5] [--rounds 2]   → a table and one JSON line
 *   npx tsx bench/workers.ts --watch [--watchers 1000] [--runs 5] [--seconds 3]   → the watch fan-out, 1 and 2 workers
 *
 * Nothing is pinned: the workers, redis-server and the load generators share every core, as they
 * would on a machine of their own. Each cell records the CPU of every server process (the cluster
 * primary, which accepts the connections and hands them over, and each worker, from /proc), of
 * redis-server, and of the whole machine; "load" is what is left (the load generators, mostly).
 * Ops per server CPU-second (ops/s ÷ the server processes' cores) is the figure that does not depend
 * on who else had the cores.
 */
import { execFileSync } from "node:child_process";
import { body, decode, PATH, steps } from "./lib/bodies.js";
import { h2load, loadgen, type Cell, type Timing } from "./lib/drivers.js";
import { cpuSeconds, launch, pinning, round, sleep, startRedis, type Proc } from "./lib/proc.js";
import { watchersUnderWrites } from "./lib/watchers.js";

export type WorkersOp = "get" | "update" | "create";

export interface WorkersRow {
  workers: number;
  op: WorkersOp;
  concurrency: number;
  cell: Cell;
  /** Cores: the server processes together, the primary alone, each worker, redis-server, the machine, the rest (load generators). */
  cpu: { server: number; primary: number; workers: number[]; redis: number; machine: number; load: number };
  /** ops/s ÷ server cores. */
  opsPerServerCpuS: number;
}

export interface WorkersResult {
  rows: WorkersRow[];
  /** Per operation: 2 workers' ops/s ÷ 1 worker's, and the same per server CPU-second. */
  ratios: { op: WorkersOp; throughput: number; perServerCpu: number; redisCpu2: number }[];
}

interface Server extends Proc {
  grpcPort: number;
  workers: number;
  pids: () => { primary: number; workers: number[] };
}

const children = (pid: number) => {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
};

async function startServer(redisUrl: string, workers: number): Promise<Server> {
  const env = { ...process.env };
  delete env.REDIS_URL;
  delete env.HATCHET_CLIENT_TOKEN;
  const args = ["--import", "tsx", "src/main.ts", "serve", "--port", "0", "--http-port", "0", "--redis-url", redisUrl, ...(workers > 1 ? ["--workers", String(workers)] : [])];
  const { proc, match } = await launch(process.execPath, args, /mageflow listening grpc=[\d.]+:(\d+) http=[\d.]+:(\d+) store=(\w+)/, { env, timeoutMs: 60_000 });
  if (match[3] !== "redis") throw new Error(`expected store=redis, got ${match[3]}`);
  return { ...proc, grpcPort: Number(match[1]), workers, pids: () => (workers > 1 ? { primary: proc.pid, workers: children(proc.pid) } : { primary: 0, workers: [proc.pid] }) };
}

/** CPU of the server's processes, redis and the machine over one cell. */
function meter(s: Server, redisPid: number) {
  const { primary, workers } = s.pids();
  const t0 = process.hrtime.bigint();
  const cpu0 = [primary, ...workers, redisPid].map((p) => (p ? cpuSeconds(p) : 0));
  const m0 = machineBusy();
  return () => {
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu1 = [primary, ...workers, redisPid].map((p) => (p ? cpuSeconds(p) : 0));
    const share = cpu1.map((c, i) => round((c - cpu0[i]) / dt, 2));
    const machine = round((machineBusy() - m0) / dt, 2);
    const [p, ...rest] = share;
    const redis = rest.pop()!;
    const server = round(p + rest.reduce((a, b) => a + b, 0), 2);
    return { server, primary: p, workers: rest, redis, machine, load: round(Math.max(0, machine - server - redis), 2) };
  };
}

function machineBusy(): number {
  const [, ...f] = execFileSync("head", ["-1", "/proc/stat"]).toString().trim().split(/\s+/).map(Number);
  return (f.slice(0, 8).reduce((a, b) => a + b, 0) - f[3] - f[4]) / 100;
}

export async function workersThroughput(o: { concurrency: number; timing: Timing; rounds: number; ops?: WorkersOp[]; log?: (m: string) => void }): Promise<WorkersResult> {
  const log = o.log ?? (() => {});
  const ops = o.ops ?? ["get", "update", "create"];
  const c = o.concurrency;
  const wasPinning = pinning.enabled;
  pinning.enabled = false;
  const redis = await startRedis();
  const servers: Server[] = [];
  try {
    servers.push(...(await Promise.all([startServer(redis.url, 1), startServer(redis.url, 2)])));
    const two = servers[1].pids();
    if (two.workers.length !== 2) throw new Error(`--workers 2 runs ${two.workers.length} workers`);
    const addr = (s: Server) => `127.0.0.1:${s.grpcPort}`;
    const created = await loadgen({ addr: addr(servers[0]), concurrency: 32, sequences: Array.from({ length: Math.max(c, 64) }, () => steps.create()), mode: "once", timing: { warmupS: 0, durationS: 60 }, capture: true });
    const keys = created.captured.map((r) => decode.createdKey(r[0]));
    const getBytes = (
      await loadgen({ addr: addr(servers[0]), concurrency: 1, sequences: [[{ path: PATH.get, body: body.get(keys[0]) }]], mode: "once", timing: { warmupS: 0, durationS: 30 }, capture: true })
    ).captured[0][0].length + 5;
    const cellFor = (s: Server, op: WorkersOp): Promise<Cell> => {
      const base = `http://${addr(s)}`;
      if (op === "get") return h2load({ base, paths: [PATH.get], protocol: "grpc", bodies: [body.get(keys[0])], expectBytes: getBytes }, c, o.timing);
      if (op === "update") return h2load({ base, paths: [PATH.update], protocol: "grpc", bodies: keys.slice(0, c).map((k) => body.update(k)) }, c, o.timing);
      return loadgen({ addr: addr(s), concurrency: c, sequences: [steps.create()], mode: "cycle", timing: o.timing }).then((r) => r.cell);
    };
    // Untimed: the JIT of every worker.
    for (const s of servers) for (const op of ops) await cellFor(s, op);

    const rows: WorkersRow[] = [];
    for (let round_ = 0; round_ < o.rounds; round_++) {
      for (const op of ops) {
        for (const s of round_ % 2 === 0 ? servers : [...servers].reverse()) {
          const m = meter(s, redis.pid);
          const cell = await cellFor(s, op);
          const cpu = m();
          const row: WorkersRow = { workers: s.workers, op, concurrency: c, cell, cpu, opsPerServerCpuS: cpu.server > 0 ? round(cell.ops / cpu.server) : 0 };
          rows.push(row);
          log(
            `workers  ${s.workers}w ${op.padEnd(7)} c=${c} ${Math.round(cell.ops)} ops/s p50 ${cell.p50Ms} ms p99 ${cell.p99Ms} ms, cpu server ${cpu.server} (primary ${cpu.primary}, workers ${cpu.workers.join("+")}) redis ${cpu.redis} load ${cpu.load} machine ${cpu.machine}, ${row.opsPerServerCpuS} ops per server CPU-s${cell.errors ? ` ERRORS ${cell.errors} ${cell.note ?? ""}` : ""}`,
          );
        }
      }
    }
    const best = (w: number, op: WorkersOp) => rows.filter((r) => r.workers === w && r.op === op).sort((a, b) => b.cell.ops - a.cell.ops)[0];
    const ratios = ops.map((op) => {
      const [a, b] = [best(1, op), best(2, op)];
      return { op, throughput: round(b.cell.ops / a.cell.ops, 2), perServerCpu: round(b.opsPerServerCpuS / a.opsPerServerCpuS, 2), redisCpu2: b.cpu.redis };
    });
    return { rows, ratios };
  } finally {
    await Promise.all(servers.map((s) => s.stop(10_000)));
    await redis.stop();
    pinning.enabled = wasPinning;
  }
}

export function workersTable(res: WorkersResult): string {
  const out = ["  workers  operation  c   ops/s  p50 ms  p99 ms  server CPU (primary; workers)  redis CPU  load CPU  machine  ops per server CPU-s"];
  for (const r of res.rows) {
    out.push(
      `  ${String(r.workers).padStart(7)}  ${r.op.padEnd(9)}  ${String(r.concurrency).padEnd(2)}  ${String(Math.round(r.cell.ops)).padStart(6)}  ${r.cell.p50Ms.toFixed(2).padStart(6)}  ${r.cell.p99Ms.toFixed(1).padStart(6)}  ${`${r.cpu.server.toFixed(2)} (${r.cpu.primary.toFixed(2)}; ${r.cpu.workers.map((x) => x.toFixed(2)).join(" + ")})`.padStart(29)}  ${r.cpu.redis.toFixed(2).padStart(9)}  ${r.cpu.load.toFixed(2).padStart(8)}  ${r.cpu.machine.toFixed(2).padStart(7)}  ${String(r.opsPerServerCpuS).padStart(20)}${r.cell.errors ? `  ERRORS ${r.cell.errors}` : ""}`,
    );
  }
  out.push("  2 workers ÷ 1 worker (best round of each): " + res.ratios.map((x) => `${x.op} ${x.throughput}× ops/s, ${x.perServerCpu}× per server CPU-s (redis CPU ${x.redisCpu2})`).join("; "));
  return out.join("\n");
}

export interface WatchWorkersRow {
  workers: number;
  run: number;
  watchers: number;
  writerRate: number;
  deliveredPerS: number;
  expectedPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  streamErrors: number;
  cpu: ReturnType<ReturnType<typeof meter>>;
  /** The busiest server process's CPU (1 = its one core: each process is single-threaded). */
  busiestProcessCpu: number;
}

/**
 * The watch fan-out of `bench/run.ts` (N watchers, 100 streams per connection, a writer at `rate`
 * changes/s on 100 signatures) against 1 and 2 worker processes, `runs` times each in turn; the
 * connections are spread over the workers by the cluster module, so each worker serves about half.
 */
export async function watchWorkers(o: { watchers: number; rate: number; runs: number; timing: Timing; log?: (m: string) => void }): Promise<WatchWorkersRow[]> {
  const log = o.log ?? (() => {});
  const wasPinning = pinning.enabled;
  pinning.enabled = false;
  const redis = await startRedis();
  const rows: WatchWorkersRow[] = [];
  try {
    for (let run = 1; run <= o.runs; run++) {
      for (const workers of [1, 2]) {
        const s = await startServer(redis.url, workers);
        try {
          const addr = `127.0.0.1:${s.grpcPort}`;
          const created = await loadgen({ addr, concurrency: 32, sequences: Array.from({ length: 100 }, () => steps.create()), mode: "once", timing: { warmupS: 0, durationS: 60 }, capture: true });
          const keys = created.captured.map((r) => decode.createdKey(r[0]));
          await sleep(300);
          let m: ReturnType<typeof meter> | undefined;
          const { report: r, writer } = await watchersUnderWrites({ addr, watchers: o.watchers, keys, rate: o.rate, timing: o.timing, onReady: () => (m = meter(s, redis.pid)) });
          const cpu = m!();
          const row: WatchWorkersRow = {
            workers,
            run,
            watchers: o.watchers,
            writerRate: writer.ops,
            deliveredPerS: round(r.eventsPerS),
            expectedPerS: round(writer.ops * o.watchers),
            p50Ms: r.p50Ms,
            p99Ms: r.p99Ms,
            maxMs: r.maxMs,
            streamErrors: Object.values(r.streamErrors).reduce((a, b) => a + b, 0),
            cpu,
            busiestProcessCpu: Math.max(...cpu.workers),
          };
          rows.push(row);
          log(
            `watch    ${workers}w run ${run}: ${o.watchers} watchers, writer ${row.writerRate}/s, delivered ${row.deliveredPerS}/s of ${row.expectedPerS}/s, p50 ${row.p50Ms} ms p99 ${row.p99Ms} ms max ${row.maxMs} ms, ` +
              `server CPU ${cpu.server} (workers ${cpu.workers.join("+")}), redis ${cpu.redis}, machine ${cpu.machine}${row.streamErrors ? `, ${row.streamErrors} stream errors` : ""}`,
          );
        } finally {
          await s.stop(10_000);
        }
      }
    }
    return rows;
  } finally {
    await redis.stop();
    pinning.enabled = wasPinning;
  }
}

export function watchWorkersTable(rows: WatchWorkersRow[]): string {
  const out = ["  workers  run  writer/s  delivered ev/s  expected ev/s  p50 ms  p99 ms  max ms  server CPU (workers)  busiest process  redis  machine  stream errors"];
  for (const r of rows) {
    out.push(
      `  ${String(r.workers).padStart(7)}  ${String(r.run).padStart(3)}  ${String(Math.round(r.writerRate)).padStart(8)}  ${String(r.deliveredPerS).padStart(14)}  ${String(r.expectedPerS).padStart(13)}  ${r.p50Ms.toFixed(1).padStart(6)}  ${r.p99Ms.toFixed(1).padStart(6)}  ${r.maxMs.toFixed(1).padStart(6)}  ${`${r.cpu.server.toFixed(2)} (${r.cpu.workers.map((x) => x.toFixed(2)).join(" + ")})`.padStart(20)}  ${r.busiestProcessCpu.toFixed(2).padStart(15)}  ${r.cpu.redis.toFixed(2).padStart(5)}  ${r.cpu.machine.toFixed(2).padStart(7)}  ${r.streamErrors}`,
    );
  }
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const arg = (n: string, d: number) => (argv.includes(`--${n}`) ? Number(argv[argv.indexOf(`--${n}`) + 1]) : d);
  if (argv.includes("--watch")) {
    const rows = await watchWorkers({ watchers: arg("watchers", 1000), rate: 500, runs: arg("runs", 5), timing: { warmupS: 0.7, durationS: arg("seconds", 3) }, log: (m) => process.stderr.write(`${m}\n`) });
    console.log(watchWorkersTable(rows));
    console.log(JSON.stringify(rows));
    process.exit(0);
  }
  const res = await workersThroughput({ concurrency: arg("concurrency", 64), timing: { warmupS: 0.5, durationS: arg("seconds", 1.5) }, rounds: arg("rounds", 2), log: (m) => process.stderr.write(`${m}\n`) });
  console.log(workersTable(res));
  console.log(JSON.stringify(res));
  process.exit(0);
}
