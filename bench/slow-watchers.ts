/**
 * `npx tsx bench/slow-watchers.ts [--watchers 1000] [--stalled 100] [--rate 500] [--seconds 30] [--server-heap-mib 256] [--cpu-prof DIR]`
 *
 * The watch load test of docs/security.md: on the Redis store, `watchers` streams of which
 * `stalled` are opened and never read, a writer at `rate` changes/s for `seconds`. Measures the
 * server's RSS (sampled every 250 ms) and checks that every reading watcher received every
 * revision once, in order (bench/go-noop's watchers -check), however the stalled ones behave.
 * Prints one JSON line; exits 1 when a reading watcher missed or reordered an event.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignatureService } from "../gen/ts/mageflow/v1/signature_service_pb.js";
import { body } from "./lib/bodies.js";
import { cpuMeter, ROOT, rssMiB, run, sleep, startRedis, startService } from "./lib/proc.js";

const argv = process.argv.slice(2);
const opt = (name: string, def: number) => {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? def : Number(argv[i + 1]);
};
const WATCHERS = opt("watchers", 1000);
const STALLED = opt("stalled", 100);
const RATE = opt("rate", 500);
const SECONDS = opt("seconds", 30);
const KWARGS_BYTES = opt("kwargs-bytes", 2000);
/** The server's V8 old-space limit (`--max-old-space-size`), MiB; 0: V8's default, which lets a busy heap grow far past what it holds. */
const SERVER_HEAP_MIB = opt("server-heap-mib", 256);
/** `--cpu-prof DIR`: the server writes a CPU profile there (read it with `npx tsx bench/profile.ts --analyze FILE`). */
const CPU_PROF = argv.includes("--cpu-prof") ? argv[argv.indexOf("--cpu-prof") + 1] : undefined;

await run("go", ["build", "-o", `${ROOT}bench/go-noop/bin/`, "./cmd/..."], { cwd: `${ROOT}bench/go-noop` });
const redis = await startRedis();
const server = await startService({
  redisUrl: redis.url,
  cpuProfDir: CPU_PROF,
  env: SERVER_HEAP_MIB > 0 ? { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --max-old-space-size=${SERVER_HEAP_MIB}`.trim() } : {},
});
try {
  const client = createClient(SignatureService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` }));
  const keys: string[] = [];
  for (let i = 0; i < 50; i++) keys.push((await client.createSignature({ taskName: "slow-watchers", kwargs: { i } })).signature!.key);
  const rssIdle = rssMiB(server.pid);

  const readers = WATCHERS - STALLED;
  const watchers = spawn(`${ROOT}bench/go-noop/bin/watchers`, [
    "-addr", `127.0.0.1:${server.grpcPort}`, "-n", String(readers), "-conns", String(Math.max(1, Math.ceil(readers / 100))),
    "-stalled", String(STALLED), "-check", "-body", Buffer.from(body.watch(1000)).toString("base64"),
    "-until-stdin", "-warmup", "500ms", "-duration", "15m",
  ]);
  let out = "";
  let err = "";
  watchers.stderr.on("data", (d) => (err += d));
  await new Promise<void>((resolve, reject) => {
    watchers.stdout.on("data", (d) => {
      out += d;
      if (out.includes("ready")) resolve();
    });
    watchers.once("exit", (code) => reject(new Error(`watchers exited ${code}: ${err.slice(-2000)}`)));
  });
  const finished = new Promise<string>((resolve, reject) => watchers.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`watchers exited ${code}: ${err.slice(-2000)}`)))));
  await sleep(500);

  // The writer: RATE updates a second, each one revision, spread over SECONDS.
  let rssPeak = rssIdle;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(server.pid))), 250);
  // What the server's memory is made of (heap vs buffers outside it), at the sample with the largest RSS.
  let breakdown: Record<string, number> = {};
  const memory = setInterval(() => {
    const rss = rssMiB(server.pid);
    void heapMiB(server.httpPort).then((m) => {
      if (rss >= (breakdown.rssMiB ?? 0)) breakdown = { rssMiB: Math.round(rss), ...m, ...mappings(server.pid) };
    });
  }, 1000);
  const cpu = cpuMeter({ server: server.pid, watchers: watchers.pid });
  const blob = "x".repeat(KWARGS_BYTES);
  const t0 = performance.now();
  let written = 0;
  let firstRevision = 0;
  let lastRevision = 0;
  const inFlight = new Set<Promise<unknown>>();
  while (written < RATE * SECONDS) {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    while (written < Math.min(due, RATE * SECONDS)) {
      // At most 64 updates in flight: a writer the server cannot keep up with slows down (and says so) instead of piling up.
      if (inFlight.size >= 64) await Promise.race(inFlight);
      const p = client.updateSignature({ key: keys[written % keys.length], kwargs: { blob, n: written } }).then((r) => {
        const rev = Number(r.signature!.revision);
        firstRevision = firstRevision ? Math.min(firstRevision, rev) : rev;
        lastRevision = Math.max(lastRevision, rev);
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      written++;
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  const writeS = (performance.now() - t0) / 1000;
  const cpuWhileWriting = cpu();
  // The readers end once each has received the last revision (or after two minutes).
  watchers.stdin.end(`${lastRevision}\n`);
  const result = JSON.parse((await finished).trim().split("\n").pop()!) as Record<string, unknown>;
  clearInterval(sampler);
  clearInterval(memory);
  const summary = {
    watchers: WATCHERS,
    stalled: STALLED,
    targetRate: RATE,
    writerRate: Math.round(written / writeS),
    seconds: SECONDS,
    kwargsBytes: KWARGS_BYTES,
    serverHeapMiB: SERVER_HEAP_MIB || "default",
    lastRevision,
    rssIdleMiB: Math.round(rssIdle),
    rssPeakMiB: Math.round(rssPeak),
    readersOutOfOrder: result.outOfOrder,
    readersWithGaps: result.gaps,
    readersLastRevision: [result.lastRevisionMin, result.lastRevisionMax],
    streamErrors: result.streamErrors,
    deliveredPerS: Math.round(result.eventsPerS as number),
    catchUpS: Math.round(((performance.now() - t0) / 1000 - writeS) * 10) / 10,
    p99Ms: result.p99Ms,
    memoryAtPeak: breakdown,
    cpuWhileWriting,
  };
  console.log(JSON.stringify(summary));
  const ok = result.outOfOrder === 0 && result.gaps === 0 && (result.lastRevisionMin as number) >= lastRevision;
  if (!ok) console.error(`a reading watcher missed, repeated or reordered events, or did not reach the last revision\n${server.stderr().slice(-3000)}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await server.stop?.(CPU_PROF ? 30_000 : undefined);
  await redis.stop?.();
}

/** The server's V8 heap and the memory outside it (Buffers, HTTP/2 buffers), in MiB, from its /metrics. */
async function heapMiB(httpPort: number): Promise<Record<string, number>> {
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const get = (name: string) => Math.round(Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1] ?? NaN) / 2 ** 20);
    return { heapUsedMiB: get("nodejs_heap_size_used_bytes"), heapTotalMiB: get("nodejs_heap_size_total_bytes"), externalMiB: get("nodejs_external_memory_bytes") };
  } catch {
    return {};
  }
}

/** Resident MiB by kind of mapping: the brk heap (malloc), anonymous regions of 64 MiB or more (malloc's thread arenas), other anonymous (V8's pages, large allocations). */
function mappings(pid: number): Record<string, number> {
  const out = { brkHeapMiB: 0, arenaMiB: 0, otherAnonMiB: 0, fileMiB: 0 };
  try {
    let kind: keyof typeof out = "otherAnonMiB";
    for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) {
        const size = parseInt(head[2], 16) - parseInt(head[1], 16);
        const name = head[3];
        kind = name === "[heap]" ? "brkHeapMiB" : name.startsWith("/") ? "fileMiB" : size >= 60 * 2 ** 20 ? "arenaMiB" : "otherAnonMiB";
      } else if (line.startsWith("Rss:")) out[kind] += Number(line.split(/\s+/)[1]) / 1024;
    }
  } catch {
    // gone
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Math.round(v)]));
}
