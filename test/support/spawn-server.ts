import { spawn, type ChildProcess } from "node:child_process";

export interface ServerProcess {
  proc: ChildProcess;
  grpcPort: number;
  httpPort: number;
  /** Everything it wrote to stderr so far (its logs). */
  stderr(): string;
  /** SIGKILL: a crash, nothing is flushed or closed. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

/** Runs `mageflow serve` as a child process and waits for its listening line. */
export async function spawnServer(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--port", "0", "--http-port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += String(d)));
  const ports = await new Promise<{ grpc: number; http: number }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 20_000);
    proc.stdout!.on("data", (d) => {
      out += String(d);
      const m = /grpc=[^:]+:(\d+) http=[^:]+:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ grpc: Number(m[1]), http: Number(m[2]) });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr}`));
    });
  });
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return {
    proc,
    grpcPort: ports.grpc,
    httpPort: ports.http,
    stderr: () => stderr,
    async crash() {
      proc.kill("SIGKILL");
      await exited;
    },
    async stop() {
      proc.kill("SIGTERM");
      await exited;
    },
  };
}
