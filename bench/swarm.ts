/**
 * What a swarm costs per child, as a ratio to a single run: the service creates, dispatches and ends N
 * children of one swarm (CreateSwarm with N inline children, RunSignature, each child's StartTask and
 * CompleteTask, the swarm's end), against N single signatures each created, run and reported the same way
 * (CreateSignature, RunSignature, StartTask, CompleteTask), both with C runs in flight (the swarm's
 * `max_concurrency`, the singles' client concurrency).
 *
 * The service runs in this process with a dispatcher that hands each trigger (over the IPC channel) to a worker
 * that reports at once; the client and that worker run in a child process and call the service over Connect
 * (HTTP/1.1, loopback). `service ms` is the service process's CPU time (user + system; the same one IPC message
 * per run in both modes), `redis ms` redis-server's, `driver ms` the child's, `wall ms` the elapsed time. Rounds alternate singles and
 * swarm; medians are reported.
 * Run by the `swarm` section of `npm run bench`; `tsx bench/swarm.ts [--n 1000] [--c 50] [--rounds 3]
 * [--redis-url URL]` prints it alone (`--json` for the bench).
 */
import { fork, type ChildProcess } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { cpuSeconds, run, startRedis } from "./lib/proc.js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ContainerService } from "../gen/ts/mageflow/v1/container_service_pb.js";
import { Status } from "../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../gen/ts/mageflow/v1/worker_service_pb.js";

type Mode = "singles" | "swarm";
interface Sample {
  wallMs: number;
  serviceMs: number;
  driverMs: number;
  redisMs: number;
}
export interface SwarmBenchRow {
  store: string;
  mode: Mode;
  /** Medians over the rounds, for all N children / signatures. */
  wallMs: number;
  serviceMs: number;
  driverMs: number;
  /** redis-server's CPU (0 on the memory store). */
  redisMs: number;
  /** Service CPU (with redis-server's) per child / signature, µs. */
  serviceUsPer: number;
  /** Each round's service + redis CPU ms, in order. */
  rounds: number[];
}
export interface SwarmBenchResult {
  n: number;
  concurrency: number;
  rounds: number;
  rows: SwarmBenchRow[];
  /** swarm ÷ singles, per store. */
  ratios: { store: string; wall: number; service: number }[];
}

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1]! : dflt;
};

// ---------------------------------------------------------------- the client and worker (child process)

async function driver() {
  const httpPort = Number(process.env.SWARM_BENCH_HTTP_PORT);
  const send = (m: object) => process.send!(m);
  const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${httpPort}` });
  const sigs = createClient(SignatureService, transport);
  const containers = createClient(ContainerService, transport);
  const workers = createClient(WorkerService, transport);
  let completed = 0;
  let onCompleted: (() => void) | undefined;

  /** The worker: a triggered run is started and completed at once. */
  const work = async (key: string, runId: string) => {
    await workers.startTask({ key, runId, attempt: 1 });
    await workers.completeTask({ key, runId, result: { kind: { case: "numberValue", value: 1 } } });
    completed++;
    onCompleted?.();
  };
  const allCompleted = (n: number) => new Promise<void>((resolve) => (onCompleted = () => completed >= n && resolve()));
  const pool = async <T>(items: T[], c: number, fn: (x: T) => Promise<unknown>) => {
    let next = 0;
    await Promise.all(Array.from({ length: c }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }));
  };

  const phases: Record<Mode, (n: number, c: number) => Promise<void>> = {
    singles: async (n, c) => {
      const done = allCompleted(n);
      await pool(Array.from({ length: n }, (_, i) => i), c, async (i) => {
        const { signature } = await sigs.createSignature({ taskName: "bench.single", kwargs: { i } });
        await sigs.runSignature({ key: signature!.key, message: {} });
      });
      await done;
    },
    swarm: async (n, c) => {
      const done = allCompleted(n);
      const tasks = Array.from({ length: n }, (_, i) => ({ source: { case: "signature" as const, value: { taskName: "bench.child", kwargs: { i } } } }));
      const { swarm } = await containers.createSwarm({ tasks, config: { maxConcurrency: c }, close: true });
      const key = swarm!.signature!.key;
      await sigs.runSignature({ key, message: {} });
      await done;
      while ((await sigs.getSignature({ key })).signature!.taskStatus!.status !== Status.DONE) await new Promise((r) => setTimeout(r, 2));
    },
  };

  process.on("message", (m: { run?: string; runId?: string; phase?: Mode; n?: number; c?: number }) => {
    if (m.run) void work(m.run, m.runId!);
    if (m.phase) {
      completed = 0;
      const cpu = process.cpuUsage();
      void phases[m.phase](m.n!, m.c!).then(() => {
        const d = process.cpuUsage(cpu);
        send({ phaseDone: true, cpuMs: (d.user + d.system) / 1000 });
      });
    }
  });
  send({ ready: true });
}

// ---------------------------------------------------------------- the service (this process)

export async function swarmBench(o: { n: number; c: number; rounds: number; redisUrl?: string; redisPid?: number }): Promise<SwarmBenchResult> {
  const { loadConfig } = await import("../src/config.js");
  const { startServer } = await import("../src/server/server.js");
  let worker: ChildProcess | undefined;
  let runs = 0;
  const dispatcher = {
    name: "bench",
    async trigger(req: { key: string }) {
      const runId = `bench-${++runs}`;
      worker!.send({ run: req.key, runId });
      return { runId };
    },
    async cancel() {},
    async close() {},
  };
  const flags = { port: "0", httpPort: "0", host: "127.0.0.1", dispatchWait: "2s", quotaSignatures: "0", quotaBytes: "0", ...(o.redisUrl ? { redisUrl: o.redisUrl } : {}) };
  const server = await startServer(loadConfig(flags, {}), { dispatcher, log: () => {}, env: {} });
  const store = o.redisUrl ? "redis" : "memory";
  worker = fork(fileURLToPath(import.meta.url), [], { execArgv: ["--import", "tsx"], env: { ...process.env, SWARM_BENCH_HTTP_PORT: String(server.httpPort) } });
  const fromWorker = (what: string) =>
    new Promise<Record<string, number>>((resolve) => {
      const on = (m: Record<string, number>) => {
        if (!m[what]) return;
        worker!.off("message", on);
        resolve(m);
      };
      worker!.on("message", on);
    });
  await fromWorker("ready");
  const phase = async (mode: Mode, n: number): Promise<Sample> => {
    const cpu = process.cpuUsage();
    const redis0 = o.redisPid ? cpuSeconds(o.redisPid) : 0;
    const t0 = performance.now();
    const done = fromWorker("phaseDone");
    worker!.send({ phase: mode, n, c: o.c });
    const { cpuMs: driverMs } = await done;
    const wallMs = performance.now() - t0;
    const c = process.cpuUsage(cpu);
    const redisMs = o.redisPid ? (cpuSeconds(o.redisPid) - redis0) * 1000 : 0;
    return { wallMs, serviceMs: (c.user + c.system) / 1000, driverMs: driverMs!, redisMs };
  };
  const samples: Record<Mode, Sample[]> = { singles: [], swarm: [] };
  try {
    await phase("singles", Math.min(200, o.n)); // warm-up: JIT and connections, not counted
    await phase("swarm", Math.min(200, o.n));
    for (let r = 0; r < o.rounds; r++) {
      for (const mode of (r % 2 ? ["swarm", "singles"] : ["singles", "swarm"]) as Mode[]) samples[mode].push(await phase(mode, o.n));
    }
  } finally {
    worker.kill();
    await server.close(1000);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const rows = (["singles", "swarm"] as Mode[]).map((mode) => {
    const m = (f: keyof Sample) => r1(median(samples[mode].map((s) => s[f])));
    const rounds = samples[mode].map((x) => Math.round(x.serviceMs + x.redisMs));
    return { store, mode, wallMs: m("wallMs"), serviceMs: m("serviceMs"), driverMs: m("driverMs"), redisMs: m("redisMs"), serviceUsPer: r1(((m("serviceMs") + m("redisMs")) * 1000) / o.n), rounds };
  });
  const [s, w] = rows as [SwarmBenchRow, SwarmBenchRow];
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { n: o.n, concurrency: o.c, rounds: o.rounds, rows, ratios: [{ store, wall: r2(w.wallMs / s.wallMs), service: r2((w.serviceMs + w.redisMs) / (s.serviceMs + s.redisMs)) }] };
}

export function swarmTable(results: SwarmBenchResult[]): string {
  const out = ["  store   what                         wall ms  service CPU ms  redis CPU ms  service+redis CPU µs each  driver CPU ms   swarm ÷ singles: wall  service+redis CPU   service+redis CPU ms by round"];
  for (const r of results) {
    const ratio = r.ratios[0]!;
    for (const row of r.rows) {
      const what = row.mode === "swarm" ? `one swarm of ${r.n} (c=${r.concurrency})` : `${r.n} single runs (c=${r.concurrency})`;
      const ratios = row.mode === "swarm" ? `${String(ratio.wall).padStart(24)}  ${String(ratio.service).padStart(17)}` : " ".repeat(43);
      out.push(`  ${row.store.padEnd(6)}  ${what.padEnd(27)}  ${String(row.wallMs).padStart(7)}  ${String(row.serviceMs).padStart(14)}  ${String(row.redisMs).padStart(12)}  ${String(row.serviceUsPer).padStart(25)}  ${String(row.driverMs).padStart(13)}${ratios}   ${row.rounds.join(" ")}`);
    }
  }
  return out.join("\n");
}

/** The `swarm` section of `npm run bench`: the memory store, then the Redis store (a private redis-server). */
export async function swarmSection(quick: boolean): Promise<SwarmBenchResult[]> {
  const args = ["--import", "tsx", "bench/swarm.ts", "--json", "--rounds", quick ? "1" : "5"];
  const out = [JSON.parse(await run(process.execPath, args, { timeoutMs: 300_000 })) as SwarmBenchResult];
  const redis = await startRedis();
  try {
    out.push(JSON.parse(await run(process.execPath, [...args, "--redis-url", redis.url, "--redis-pid", String(redis.pid)], { timeoutMs: 300_000 })));
  } finally {
    await redis.stop();
  }
  return out;
}

if (process.send && process.env.SWARM_BENCH_HTTP_PORT) {
  await driver();
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await swarmBench({ n: Number(opt("n", "1000")), c: Number(opt("c", "50")), rounds: Number(opt("rounds", "3")), redisUrl: argv.includes("--redis-url") ? opt("redis-url", "") : undefined, redisPid: argv.includes("--redis-pid") ? Number(opt("redis-pid", "0")) : undefined });
  if (argv.includes("--json")) console.log(JSON.stringify(r));
  else console.log(swarmTable([r]));
  process.exit(0);
}
