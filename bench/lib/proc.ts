/** Processes of a benchmark run: the service, the baselines, redis-server; /proc readings. */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GO_BIN = `${ROOT}bench/go-noop/bin/`;

export interface Proc {
  pid: number;
  child: ChildProcess;
  /** Sends SIGINT (then SIGKILL after `ms`) and waits for the exit. */
  stop(ms?: number): Promise<void>;
  stderr(): string;
}

/** Spawns a process and waits until a line of its stdout matches `ready` (or it dies, or `timeoutMs` passes). */
export function launch(cmd: string, args: string[], ready: RegExp, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ proc: Proc; match: RegExpExecArray }> {
  const child = spawn(cmd, args, { cwd: ROOT, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => {
    err += d;
    if (err.length > 64 * 1024) err = err.slice(-32 * 1024);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
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
export async function startService(o: { redisUrl?: string; cpuProfDir?: string; extra?: string[] } = {}): Promise<ServerProc> {
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
  const env = { ...process.env };
  delete env.REDIS_URL;
  delete env.HATCHET_CLIENT_TOKEN;
  const { proc, match } = await launch(process.execPath, args, /mageflow listening grpc=[\d.]+:(\d+) http=[\d.]+:(\d+) store=(\w+) dispatcher=(\w+)/, { env });
  return { ...proc, grpcPort: Number(match[1]), httpPort: Number(match[2]), store: match[3], dispatcher: match[4] };
}

export type NoopStack = "grpc-js" | "grpc-js-raw" | "connect" | "go";

export async function startNoop(stack: NoopStack): Promise<Proc & { port: number }> {
  const { proc, match } =
    stack === "go"
      ? await launch(`${GO_BIN}noop-server`, [], /noop listening grpc=[\d.]+:(\d+)/)
      : await launch(process.execPath, ["--import", "tsx", "bench/noop-server.ts", "--stack", stack], /noop listening grpc=[\d.]+:(\d+)/);
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
    { timeoutMs: 10_000 },
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

/** Measures the CPU share (1.0 = one core) of some processes over a window. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const t0 = process.hrtime.bigint();
  const c0 = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, p ? cpuSeconds(p) : 0]));
  return () => {
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    return Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, p ? round((cpuSeconds(p) - c0[k]) / dt, 2) : undefined])) as Record<string, number | undefined>;
  };
}

export const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs a command to completion; resolves with its stdout (rejects with stderr on failure). */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<string> {
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
