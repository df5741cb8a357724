import { execFile, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "../client/live-server.js";

const BIN = join(REPO_ROOT, "bin", "mageflow.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `mageflow` executable against `server`. */
export function mageflow(server: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(server, env), timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running `mageflow` (e.g. `watch`) and collects its output as it comes. */
export function spawnMageflow(server: string, args: string[]): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: cliEnv(server, {}), stdio: ["ignore", "pipe", "pipe"] });
  return new LiveCli(child);
}

export class LiveCli {
  stdout = "";
  stderr = "";
  readonly exited: Promise<number>;

  constructor(readonly child: ChildProcess) {
    child.stdout!.on("data", (d) => (this.stdout += d));
    child.stderr!.on("data", (d) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  }

  /** Waits until `test` holds for the output so far. */
  async waitFor(test: (cli: LiveCli) => boolean, timeoutMs = 20_000, what = "output"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<number> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGINT");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

function cliEnv(server: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MAGEFLOW_SERVER: server, ...extra };
  for (const k of ["MAGEFLOW_TOKEN", "MAGEFLOW_TLS", "MAGEFLOW_CA", "MAGEFLOW_TRANSPORT", "FORCE_COLOR"]) if (!(k in extra)) delete env[k];
  return env;
}
