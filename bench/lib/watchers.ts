import { spawn } from "node:child_process";
import { body, PATH } from "./bodies.js";
import { loadgen, type Cell, type Timing } from "./drivers.js";
import { GO_BIN, pinned } from "./proc.js";

/** What bench/go-noop's watchers tool reports (its last output line). */
export interface WatchersReport {
  eventsPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  streamErrors: Record<string, number>;
  firstError?: string;
  openMs: number;
}

/**
 * `watchers` WatchSignatures streams on `addr` (100 per connection, from bench/go-noop's watchers tool),
 * measured over `timing` while a writer updates `keys` at `rate` per second. `onReady` runs once every
 * stream is open (start meters there); resolves when the tool and the writer are both done.
 */
export async function watchersUnderWrites(o: { addr: string; watchers: number; keys: string[]; rate: number; timing: Timing; onReady?: () => void }): Promise<{ report: WatchersReport; writer: Cell }> {
  const args = ["-addr", o.addr, "-n", String(o.watchers), "-conns", String(Math.max(1, Math.ceil(o.watchers / 100))), "-body", Buffer.from(body.watch(500)).toString("base64"), "-warmup", `${o.timing.warmupS * 1000}ms`, "-duration", `${o.timing.durationS * 1000}ms`];
  const w = spawn(...pinned("load", `${GO_BIN}watchers`, args), { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  w.stderr.on("data", (d) => (err += d));
  const ready = new Promise<void>((resolve, reject) => {
    w.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve();
    });
    w.once("exit", (code) => reject(new Error(`watchers exited ${code} before ready: ${err.slice(-1000)}`)));
  });
  const done = new Promise<string>((resolve, reject) => w.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`watchers exited ${code}: ${err.slice(-1000)}`)))));
  await ready;
  o.onReady?.();
  const writer = loadgen({
    addr: o.addr,
    concurrency: 64,
    sequences: o.keys.map((k, i) => [{ path: PATH.update, body: body.update(k, i) }]),
    mode: "cycle",
    rate: o.rate,
    timing: { warmupS: o.timing.warmupS, durationS: o.timing.durationS + 0.3 },
  });
  const [res, w2] = await Promise.all([done, writer]);
  return { report: JSON.parse(res.trim().split("\n").pop()!) as WatchersReport, writer: w2.cell };
}
