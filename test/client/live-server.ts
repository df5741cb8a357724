import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface LiveServer {
  grpcPort: number;
  httpPort: number;
  baseUrl: string;
  grpcAddress: string;
  /** SIGTERM (graceful) by default; waits for the process to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `mageflow serve` (embedded store, recording dispatcher) on free ports, or on the given ones. */
export async function startLiveServer(ports: { port?: number; httpPort?: number } = {}, extraArgs: string[] = []): Promise<LiveServer> {
  const args = ["--import", "tsx", "src/main.ts", "serve", "--port", String(ports.port ?? 0), "--http-port", String(ports.httpPort ?? 0), ...extraArgs];
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, REDIS_URL: "" } });
  const [grpcPort, httpPort] = await readPorts(child);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    grpcPort,
    httpPort,
    baseUrl: `http://127.0.0.1:${httpPort}`,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function readPorts(child: ChildProcess): Promise<[number, number]> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(() => fail(new Error(`server did not start within 30s:\n${out}${err}`)), 30_000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(e);
    };
    child.stderr!.on("data", (d) => (err += d));
    child.stdout!.on("data", (d) => {
      out += d;
      const m = /grpc=[^\s:]+:(\d+) http=[^\s:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve([Number(m[1]), Number(m[2])]);
      }
    });
    child.once("exit", (code) => fail(new Error(`server exited with ${code}:\n${out}${err}`)));
  });
}
