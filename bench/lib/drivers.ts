/**
 * The two load generators, both separate processes:
 *  - h2load (nghttp2): fixed request bodies; always C processes of one connection with one
 *    stream each (so every stream can have a body, i.e. a key, of its own and mutations never
 *    contend). One h2load process driving C connections gets one CPU share on a busy machine
 *    while the server gets another; C processes keep the client side the same in every cell.
 *  - loadgen (bench/go-noop/cmd/loadgen, grpc-go): per-sequence bodies for non-repeatable
 *    operations, checks every gRPC status; also C connections with one stream each.
 * Latency is always per call; throughput is in operations (a pair counts once) and calls.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GO_BIN, round, run } from "./proc.js";

export interface Cell {
  /** Operations per second (a pair is one operation). */
  ops: number;
  /** Calls (RPCs) per second. */
  calls: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  errors: number;
  note?: string;
}

export interface Timing {
  warmupS: number;
  durationS: number;
}

const tmp = mkdtempSync(join(tmpdir(), "mageflow-bench-"));
let seq = 0;
const tmpFile = (name: string) => join(tmp, `${seq++}-${name}`);

export const grpcFrame = (msg: Uint8Array) => {
  const b = Buffer.alloc(5 + msg.length);
  b.writeUInt32BE(msg.length, 1);
  Buffer.from(msg).copy(b, 5);
  return b;
};

export interface H2Target {
  /** http://127.0.0.1:<port> */
  base: string;
  /** Method paths, used round robin by every connection (two for a pair). */
  paths: string[];
  protocol: "grpc" | "connect";
  /** One body: every stream sends it. Several: stream i sends bodies[i] (needs bodies.length >= concurrency). */
  bodies: Uint8Array[];
  /** Expected size of one successful response's DATA (gRPC frame included): h2load cannot read grpc-status, so the data volume is the check. */
  expectBytes?: number;
}

const headers = (protocol: "grpc" | "connect") =>
  protocol === "grpc"
    ? ["-H", "content-type: application/grpc", "-H", "te: trailers"]
    : ["-H", "content-type: application/proto", "-H", "connect-protocol-version: 1"];

export async function h2load(t: H2Target, concurrency: number, timing: Timing): Promise<Cell> {
  const distinct = t.bodies.length > 1;
  if (distinct && t.bodies.length < concurrency) throw new Error(`need ${concurrency} bodies, got ${t.bodies.length}`);
  const urls = t.paths.map((p) => `${t.base}${p}`);
  const files = new Map<Uint8Array, string>();
  const bodyFile = (b: Uint8Array) => {
    let f = files.get(b);
    if (!f) {
      const framed = t.protocol === "grpc" ? grpcFrame(b) : Buffer.from(b);
      if (framed.length === 0) throw new Error("h2load cannot send an empty body (mmap): add an unknown field");
      f = tmpFile("body.bin");
      writeFileSync(f, framed);
      files.set(b, f);
    }
    return f;
  };
  const jobs = Array.from({ length: concurrency }, (_, i) => {
    const log = tmpFile("h2load.log");
    const args = [
      "-c",
      "1",
      "-m",
      "1",
      "-t",
      "1",
      "-D",
      `${Math.round(timing.durationS * 1000)}ms`,
      "--warm-up-time",
      `${Math.round(timing.warmupS * 1000)}ms`,
      "--log-file",
      log,
      "-d",
      bodyFile(t.bodies[distinct ? i : 0]),
      ...headers(t.protocol),
      ...urls,
    ];
    return run("h2load", args, { timeoutMs: (timing.durationS + timing.warmupS + 30) * 1000, role: "load" }).then((out) => ({ out, log }));
  });
  const results = await Promise.all(jobs);
  const lat: number[] = [];
  let failed = 0;
  let done = 0;
  let dataBytes = 0;
  for (const r of results) {
    for (const line of readFileSync(r.log, "utf8").split("\n")) {
      if (!line) continue;
      const [, status, us] = line.split("\t");
      const code = Number(status);
      // gRPC answers are 200 (h2load logs 0 for some); errors surface as -1 or >= 400.
      if (code === -1 || code >= 400) failed++;
      else lat.push(Number(us) / 1000);
    }
    const m = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(r.out);
    if (m) done += Number(m[3]);
    const d = /\((\d+)\) data/.exec(r.out);
    if (d) dataBytes += Number(d[1]);
  }
  const calls = lat.length / timing.durationS;
  const cell: Cell = {
    ops: round(calls / t.paths.length, 1),
    calls: round(calls, 1),
    ...percentiles(lat),
    samples: lat.length,
    errors: failed,
  };
  if (t.expectBytes && done > 0) {
    const per = dataBytes / done;
    if (per < 0.8 * t.expectBytes) {
      cell.note = `responses average ${round(per)} B of DATA, a success is ${t.expectBytes} B: gRPC errors likely`;
      cell.errors = Math.max(cell.errors, Math.round(done * (1 - per / t.expectBytes)));
    }
  }
  return cell;
}

export function percentiles(latMs: number[]): { p50Ms: number; p99Ms: number } {
  if (latMs.length === 0) return { p50Ms: NaN, p99Ms: NaN };
  latMs.sort((a, b) => a - b);
  const q = (f: number) => latMs[Math.min(latMs.length - 1, Math.floor(f * latMs.length))];
  return { p50Ms: round(q(0.5), 2), p99Ms: round(q(0.99), 2) };
}

export interface Step {
  path: string;
  body: Uint8Array;
}

export interface LoadgenPlan {
  addr: string;
  concurrency: number;
  sequences: Step[][];
  mode: "cycle" | "once";
  timing: Timing;
  /** > 0: open loop at this many sequences per second. */
  rate?: number;
  /** Return the responses of the successful sequences. */
  capture?: boolean;
}

interface LoadgenResult {
  samples: number;
  calls: number;
  errors: Record<string, number>;
  firstError?: string;
  windowS: number;
  rps: number;
  callsPerS: number;
  p50Us: number;
  p99Us: number;
  missed?: number;
  exhausted?: boolean;
  taken: number;
}

export async function loadgen(p: LoadgenPlan): Promise<{ cell: Cell; raw: LoadgenResult; captured: Uint8Array[][] }> {
  const planFile = tmpFile("plan.json");
  const capture = p.capture ? tmpFile("capture.jsonl") : "";
  writeFileSync(
    planFile,
    JSON.stringify({
      addr: p.addr,
      concurrency: p.concurrency,
      conns: p.concurrency,
      durationMs: Math.round(p.timing.durationS * 1000),
      warmupMs: Math.round(p.timing.warmupS * 1000),
      rate: p.rate ?? 0,
      mode: p.mode,
      capture,
      sequences: p.sequences.map((s) => s.map((st) => ({ path: st.path, body: Buffer.from(st.body).toString("base64") }))),
    }),
  );
  const out = await run(`${GO_BIN}loadgen`, ["-plan", planFile], { timeoutMs: (p.timing.durationS + p.timing.warmupS + 60) * 1000, role: "load" });
  const raw = JSON.parse(out.trim().split("\n").pop()!) as LoadgenResult;
  const captured: Uint8Array[][] = [];
  if (capture) {
    for (const line of readFileSync(capture, "utf8").split("\n")) {
      if (!line) continue;
      const c = JSON.parse(line) as { seq: number; res: string[] };
      captured.push(c.res.map((b) => Buffer.from(b, "base64")));
    }
  }
  const errors = Object.values(raw.errors ?? {}).reduce((a, b) => a + b, 0);
  const cell: Cell = {
    ops: round(raw.rps, 1),
    calls: round(raw.callsPerS, 1),
    p50Ms: round(raw.p50Us / 1000, 2),
    p99Ms: round(raw.p99Us / 1000, 2),
    samples: raw.samples,
    errors,
  };
  const notes = [];
  if (errors) notes.push(`errors ${JSON.stringify(raw.errors)}: ${raw.firstError ?? ""}`.slice(0, 300));
  if (raw.exhausted) notes.push(`ran out of prepared keys after ${round(raw.windowS, 2)} s of measurement`);
  if (raw.missed) notes.push(`${raw.missed} scheduled starts missed (all workers busy)`);
  if (notes.length) cell.note = notes.join("; ");
  return { cell, raw, captured };
}
