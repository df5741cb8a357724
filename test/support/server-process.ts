import { spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const LISTENING = /mageflow listening grpc=([\d.]+):(\d+) http=([\d.]+):(\d+)/;

/** A `mageflow serve` child process on 127.0.0.1 (the CLI entry point, as an operator runs it). */
export interface ServerProcess {
  grpcPort: number;
  httpPort: number;
  /** http://127.0.0.1:<httpPort>, for Connect transports. */
  baseUrl: string;
  pid: number;
  /** Everything it wrote to stderr so far (for failure messages). */
  stderr(): string;
  /** Whether the process is up (false after kill/stop, or if it exited by itself). */
  running(): boolean;
  /** SIGKILL (a crash); resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown); resolves with the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
  /** Starts it again with the same flags and the same ports (after kill or stop). */
  restart(): Promise<void>;
}

/**
 * Starts `node --import tsx src/main.ts serve --port 0 --http-port 0 <flags>` (flags as
 * `{ redisUrl: "redis://…", historyMax: "50" }`) and waits for its "listening" line.
 */
export async function startServerProcess(flags: Record<string, string> = {}, o: { startTimeoutMs?: number } = {}): Promise<ServerProcess> {
  const base = Object.entries(flags).flatMap(([k, v]) => [`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, v]);
  let proc: ChildProcess | undefined;
  let stderr = "";
  let ports = { grpc: 0, http: 0 };

  const launch = async (grpcPort: number, httpPort: number) => {
    const args = ["--import", "tsx", join(ROOT, "src", "main.ts"), "serve", "--host", "127.0.0.1", "--port", String(grpcPort), "--http-port", String(httpPort), ...base];
    const p = spawn(process.execPath, args, {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, HATCHET_CLIENT_TOKEN: "" },
    });
    proc = p;
    p.stderr!.on("data", (d) => {
      stderr += String(d);
      if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
    });
    ports = await new Promise((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error("timed out")), o.startTimeoutMs ?? 20_000);
      const fail = (e: Error) => {
        clearTimeout(timer);
        p.kill("SIGKILL");
        reject(new Error(`mageflow serve did not start: ${e.message}\n${stderr.slice(-4000)}`));
      };
      p.once("exit", (code, sig) => fail(new Error(`exited (${code ?? sig})`)));
      p.stdout!.on("data", (d) => {
        out += String(d);
        const m = LISTENING.exec(out);
        if (m) {
          clearTimeout(timer);
          p.removeAllListeners("exit");
          resolve({ grpc: Number(m[2]), http: Number(m[4]) });
        }
      });
    });
    p.stdout!.resume();
  };

  const exited = (p: ChildProcess) =>
    p.exitCode !== null || p.signalCode !== null ? Promise.resolve(p.exitCode) : new Promise<number | null>((r) => p.once("exit", (c) => r(c)));

  await launch(0, 0);
  const handle: ServerProcess = {
    get grpcPort() {
      return ports.grpc;
    },
    get httpPort() {
      return ports.http;
    },
    get baseUrl() {
      return `http://127.0.0.1:${ports.http}`;
    },
    get pid() {
      return proc?.pid ?? 0;
    },
    stderr: () => stderr,
    running: () => !!proc && proc.exitCode === null && proc.signalCode === null,
    async kill() {
      const p = proc;
      if (!p) return;
      const done = exited(p);
      p.kill("SIGKILL");
      await done;
    },
    async stop(graceMs = 10_000) {
      const p = proc;
      if (!p) return null;
      const done = exited(p);
      p.kill("SIGTERM");
      const timer = setTimeout(() => p.kill("SIGKILL"), graceMs);
      const code = await done;
      clearTimeout(timer);
      return code;
    },
    async restart() {
      if (proc && proc.exitCode === null && proc.signalCode === null) await handle.kill();
      // The ports were just released by the dead process; retry briefly if the OS still holds one.
      for (let i = 0; ; i++) {
        try {
          await launch(ports.grpc, ports.http);
          return;
        } catch (e) {
          if (i >= 5 || !/EADDRINUSE/.test(String(e))) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
  };
  return handle;
}
