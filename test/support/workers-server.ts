import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";

/** `mageflow serve --workers 2` on `redisUrl` with its ports and its stderr so far. */
export interface WorkersServer {
  p: ChildProcess;
  grpcPort: number;
  httpPort: number;
  stderr: () => string;
  /** SIGTERM, and waits for the primary to exit. */
  stop: () => Promise<void>;
}

export async function startWorkers(redisUrl: string): Promise<WorkersServer> {
  const p = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--workers", "2", "--port", "0", "--http-port", "0", "--redis-url", redisUrl], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  p.stderr!.on("data", (d) => (stderr += d));
  const exited = new Promise((r) => p.once("exit", r));
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    p.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out);
    });
    p.once("exit", (c) => reject(new Error(`exited ${c}: ${stderr}`)));
  });
  assert.match(line, /workers=2/);
  return {
    p,
    grpcPort: Number(/grpc=[^:]+:(\d+)/.exec(line)![1]),
    httpPort: Number(/http=[^:]+:(\d+)/.exec(line)![1]),
    stderr: () => stderr,
    stop: async () => {
      p.kill("SIGTERM");
      await exited;
    },
  };
}

/** The worker processes of the primary `pid`. */
export const workerPids = (pid: number) =>
  execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)]).toString().trim().split(/\s+/).filter(Boolean).map(Number);
