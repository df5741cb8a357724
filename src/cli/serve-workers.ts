import cluster, { type Worker } from "node:cluster";
import { createServer } from "node:net";
import type { Config } from "../config.js";

/** Environment a worker reads its ports from (the primary resolved any `0` to a free port first). */
export const WORKER_PORTS_ENV = "MAGEFLOW_WORKER_PORTS";

export interface WorkerListening {
  kind: "mageflow-listening";
  grpcPort: number;
  httpPort: number;
  line: string;
}

/**
 * `--workers N`: the primary forks N server processes that share both ports (Node's cluster
 * module hands each new connection to one of them). A worker that dies is replaced; SIGHUP
 * restarts them one at a time (the new one listens before the old one drains and exits);
 * SIGTERM/SIGINT stop them all gracefully.
 */
export async function runWorkersPrimary(config: Config, count: number) {
  const grpcPort = config.port || (await freePort(config.host));
  const httpPort = config.httpPort || (await freePort(config.host, grpcPort));
  const env = { [WORKER_PORTS_ENV]: `${grpcPort},${httpPort}` };
  let stopping = false;
  let line = "";

  const fork = () =>
    new Promise<Worker>((resolve, reject) => {
      const w = cluster.fork(env);
      const onExit = (code: number | null) => reject(new Error(`worker exited with code ${code} before listening`));
      w.once("exit", onExit);
      w.on("message", (m: WorkerListening) => {
        if (m?.kind !== "mageflow-listening") return;
        w.off("exit", onExit);
        line = m.line;
        resolve(w);
      });
    });

  const workers = new Set<Worker>();
  const keep = (w: Worker) => {
    workers.add(w);
    w.once("exit", (code, signal) => {
      workers.delete(w);
      if (stopping || w.exitedAfterDisconnect || (w as Worker & { retiring?: boolean }).retiring) return;
      console.error(`mageflow: worker ${w.process.pid} exited (${signal ?? code}); starting another`);
      fork().then(keep, (e) => console.error(`mageflow: ${(e as Error).message}`));
    });
  };

  try {
    for (let i = 0; i < count; i++) keep(await fork());
  } catch (e) {
    stopping = true;
    for (const w of workers) w.process.kill("SIGTERM");
    console.error(`mageflow: ${(e as Error).message}`);
    process.exit(1);
  }

  const stopOne = (w: Worker) =>
    new Promise<void>((resolve) => {
      (w as Worker & { retiring?: boolean }).retiring = true;
      if (w.isDead()) return resolve();
      w.once("exit", () => resolve());
      w.process.kill("SIGTERM");
    });

  let restarting = false;
  process.on("SIGHUP", async () => {
    if (restarting || stopping) return;
    restarting = true;
    // Every worker forked so far, also one still starting (a replacement not yet listening).
    for (const old of Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w)) {
      if (stopping) break;
      keep(await fork());
      await stopOne(old);
    }
    restarting = false;
    console.error(`mageflow: restarted ${workers.size} workers`);
  });
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all([...workers].map(stopOne));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  console.log(`${line.replace(/\s*$/, "")} workers=${count}`);
}

/** In a worker: the ports the primary chose. */
export function workerPorts(): { port: number; httpPort: number } | undefined {
  const raw = process.env[WORKER_PORTS_ENV];
  if (!cluster.isWorker || !raw) return undefined;
  const [port, httpPort] = raw.split(",").map(Number);
  return { port, httpPort };
}

function freePort(host: string, not?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => (port === not ? freePort(host, not).then(resolve, reject) : resolve(port)));
    });
  });
}
