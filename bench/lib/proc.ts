/** Processes of a benchmark run: the service, the baselines, redis-server; /proc readings. */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GO_BIN = `${ROOT}bench/go-noop/bin/`;

export type Role = "server" | "load" | "redis";

/**
 * CPU pinning (taskset): the process under test on core 0, the load generators on core 1,
 * redis-server with them (on a 2-core machine there is no third core). Without it, 64 h2load
 * processes and the server share both cores and the server gets whatever the scheduler leaves.
 * `--no-pin` turns it off.
 */
export const pinning = {
  enabled: os.cpus().length >= 2,
  cpus: { server: "0", load: "1", redis: os.cpus().length >= 3 ? "2" : "1" } as Record<Role, string>,
};

export function pinned(role: Role | undefined, cmd: string, args: string[]): [string, string[]] {
  if (!role || !pinning.enabled) return [cmd, args];
  return ["taskset", ["-c", pinning.cpus[role], cmd, ...args]];
}

/** Everything launched and not yet stopped: killed if the harness exits early (a crash, Ctrl-C). */
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.once(sig, () => {
    for (const c of live) c.kill("SIGKILL");
    process.exit(130);
  });
}

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** Sends SIGINT (then SIGKILL after `ms`) and waits for the exit. */
  stop(ms?: number): Promise<void>;
  stderr(): string;
}

/** Spawns a process and waits until a line of its stdout matches `ready` (or it dies, or `timeoutMs` passes). */
export function launch(
  cmd: string,
  args: string[],
  ready: RegExp,
  opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv; role?: Role; pinWhenReady?: boolean } = {},
): Promise<{ proc: Proc; match: RegExpExecArray }> {
  // Node servers start (module loading, tsx) on any core and are pinned, every thread, once ready:
  // start-up is a large part of a quick run and would otherwise be serialized on one core.
  if (!opts.pinWhenReady) [cmd, args] = pinned(opts.role, cmd, args);
  const child = spawn(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
    if (err.length > 64 * 1024) err = err.slice(-32 * 1024);
  });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      live.delete(child);
      resolve();
    }),
  );
  const proc: Proc = {
    pid: child.pid!,
    child,
    stderr: () => err,
    async stop(ms = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGINT");
      const t = setTimeout(() => child.kill("SIGKILL"), ms);
      await exited;
      clearTimeout(t);
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")}: not ready after ${opts.timeoutMs ?? 30000} ms\n${err.slice(-2000)}`));
    }, opts.timeoutMs ?? 30_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        if (opts.pinWhenReady && opts.role && pinning.enabled) {
          execFileSync("taskset", ["-a", "-p", "-c", pinning.cpus[opts.role], String(child.pid)], { stdio: "ignore" });
        }
        child.stdout!.removeAllListeners("data");
        child.stdout!.resume();
        resolve({ proc, match: m });
      }
    });
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} ${args.join(" ")} exited (${code ?? sig}) before it was ready:\n${(out + err).slice(-3000)}`));
    });
  });
}

export interface ServerProc extends Proc {
  grpcPort: number;
  httpPort: number;
  store: string;
  dispatcher: string;
}

/** The service as `mageflow serve` runs it, started with node directly so that `pid` is the server itself. */
export async function startService(o: { redisUrl?: string; cpuProfDir?: string; extra?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ServerProc> {
  const args = [
    ...(o.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", o.cpuProfDir] : []),
    "--import",
    "tsx",
    "src/main.ts",
    "serve",
    "--port",
    "0",
    "--http-port",
    "0",
    ...(o.redisUrl ? ["--redis-url", o.redisUrl] : []),
    ...(o.extra ?? []),
  ];
  const env = { ...process.env, ...o.env };
  delete env.REDIS_URL;
  delete env.HATCHET_CLIENT_TOKEN;
  const { proc, match } = await launch(process.execPath, args, /mageflow listening grpc=[\d.]+:(\d+) http=[\d.]+:(\d+) store=(\w+) dispatcher=(\w+)/, { env, role: "server", pinWhenReady: true });
  return { ...proc, grpcPort: Number(match[1]), httpPort: Number(match[2]), store: match[3], dispatcher: match[4] };
}

export type NoopStack = "grpc-js" | "grpc-js-raw" | "connect" | "go";

export async function startNoop(stack: NoopStack): Promise<Proc & { port: number }> {
  const { proc, match } =
    stack === "go"
      ? await launch(`${GO_BIN}noop-server`, [], /noop listening grpc=[\d.]+:(\d+)/, { role: "server" })
      : await launch(process.execPath, ["--import", "tsx", "bench/noop-server.ts", "--stack", stack], /noop listening grpc=[\d.]+:(\d+)/, { role: "server", pinWhenReady: true });
  return { ...proc, port: Number(match[1]) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A private redis-server: no persistence, loopback only. */
export async function startRedis(): Promise<Proc & { url: string; port: number }> {
  const port = await freePort();
  const { proc } = await launch(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"],
    /Ready to accept connections/i,
    { timeoutMs: 10_000, role: "redis" },
  );
  return { ...proc, url: `redis://127.0.0.1:${port}`, port };
}

/** Resident set size of a process, in MiB (0 if it is gone). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds (everything but idle and iowait) of the whole machine ("cpu") and of each core ("cpu0", ...). */
export function busySeconds(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    if (!line.startsWith("cpu")) continue;
    const [name, ...rest] = line.trim().split(/\s+/);
    const f = rest.map(Number);
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    out[name] = (total - f[3] - f[4]) / TICKS;
  }
  return out;
}

/**
 * Measures the CPU share (1.0 = one core) of some processes over a window; `machine` is the
 * whole machine, and `foreign` what ran on the server's core besides the process `server`
 * (with pinning, nothing of ours runs there: anything else is interference from other work).
 */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const t0 = process.hrtime.bigint();
  const m0 = busySeconds();
  const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, p ? cpuSeconds(p) : 0]));
  return () => {
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const out = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, p ? round((cpuSeconds(p) - c0[k]) / dt, 2) : undefined])) as Record<string, number | undefined>;
    const m1 = busySeconds();
    out.machine = round((m1.cpu - m0.cpu) / dt, 2);
    if (pinning.enabled && pids.server) {
      const core = `cpu${pinning.cpus.server}`;
      out.foreign = round(Math.max(0, (m1[core] - m0[core]) / dt - (out.server ?? 0)), 2);
    }
    return out;
  };
}

export const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to completion; resolves with its stdout (rejects with stderr on failure). */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; role?: Role } = {}): Promise<string> {
  [cmd, args] = pinned(opts.role, cmd, args);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs) : undefined;
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.slice(0, 6).join(" ")}... exited ${code}: ${err.slice(-2000)}`));
    });
  });
}
