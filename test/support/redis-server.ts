import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RedisServerOptions {
  /** Persist with an append-only file, fsynced on every write (for crash tests). Default: no persistence. */
  appendOnly?: boolean;
  /** More redis-server arguments (cluster mode, replication). */
  extraArgs?: string[];
}

/** A private redis-server on 127.0.0.1 with its own temp dir. */
export interface RedisServer {
  url: string;
  port: number;
  dir: string;
  /** Kills the process (SIGKILL by default: a crash) and keeps the dir for `start`. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and dir (after `kill`). */
  start(): Promise<void>;
  /** kill + start: SIGTERM (a clean shutdown) unless `crash`. */
  restart(o?: { crash?: boolean }): Promise<void>;
  /** Stops it for good and removes the dir. */
  stop(): Promise<void>;
}

/** Whether redis-server is on PATH. */
export function hasRedisServer(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Why Redis tests should be skipped, or undefined when they should run. Without redis-server they
 * are skipped locally but run (and fail loudly) in CI (`CI=true`).
 */
export function redisSkipReason(): string | undefined {
  if (hasRedisServer() || process.env.CI === "true") return undefined;
  return "redis-server not on PATH (apt-get install -y redis-server); skipped locally, required in CI";
}

/** Servers still running; killed when the test process exits, however it exits. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

export async function startRedisServer(o: RedisServerOptions = {}): Promise<RedisServer> {
  if (!hasRedisServer()) throw new Error("redis-server not found on PATH: install it (apt-get install -y redis-server)");
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "mageflow-redis-"));
  const args = [
    "--port", String(port),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--save", "",
    "--daemonize", "no",
    "--loglevel", "warning",
    ...(o.appendOnly ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"]),
    ...(o.extraArgs ?? []),
  ];
  let proc: ChildProcess | undefined;

  const start = async () => {
    const p = spawn("redis-server", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr?.on("data", (d) => (stderr += String(d)));
    proc = p;
    running.add(p);
    p.once("exit", () => running.delete(p));
    try {
      await waitForPing(port, p);
    } catch (e) {
      p.kill("SIGKILL");
      throw new Error(`redis-server on port ${port} did not start: ${(e as Error).message} ${stderr}`);
    }
  };

  const kill = async (signal: NodeJS.Signals = "SIGKILL") => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((resolve) => p.once("exit", resolve));
    p.kill(signal);
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    kill,
    start,
    async restart(r = {}) {
      await kill(r.crash ? "SIGKILL" : "SIGTERM");
      await start();
    },
    async stop() {
      await kill("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP port free on 127.0.0.1 at the time of asking. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPing(port: number, p: ChildProcess, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.exitCode !== null) throw new Error(`exited with code ${p.exitCode}`);
    if (await ping(port)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out");
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.once("data", (d) => done(String(d).startsWith("+PONG")));
  });
}
