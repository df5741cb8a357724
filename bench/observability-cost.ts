/**
 * What metrics and traces cost (the `observability` section of `npm run bench`): the same operations on three
 * servers (memory store, gRPC port) measured in turn, cell by cell, so machine drift hits them alike:
 * - `off`: MAGEFLOW_UNINSTRUMENTED=1, no wrappers around calls, store operations and engine calls (as before them);
 * - `metrics`: the default (metrics on, tracing off);
 * - `tracing`: metrics, and traces exported over OTLP/HTTP to a local sink (every call sampled).
 * Ratios are calls/s and calls per server CPU second over `off`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { body, decode, PATH, steps } from "./lib/bodies.js";
import { h2load, loadgen, type Cell, type Timing } from "./lib/drivers.js";
import { cpuMeter, round, startService } from "./lib/proc.js";

export const MODES = ["off", "metrics", "tracing"] as const;
export type Mode = (typeof MODES)[number];

export interface ObservabilityRow {
  op: string;
  concurrency: number;
  byMode: Record<Mode, { ops: number; p50Ms: number; p99Ms: number; serverCpu?: number; opsPerCpu?: number; errors: number }>;
  /** ops/s over `off`, and ops per server CPU second over `off`. */
  ratios: Record<"metrics" | "tracing", { ops: number; perCpu?: number }>;
}

/** Accepts OTLP/HTTP exports and drops them; counts the requests. */
async function otlpSink() {
  let requests = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      requests++;
      res.writeHead(200, { "content-type": "application/x-protobuf" });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export async function observabilityCost(concs: number[], timing: Timing, log: (m: string) => void): Promise<{ rows: ObservabilityRow[]; otlpRequests: number }> {
  const sink = await otlpSink();
  const envs: Record<Mode, NodeJS.ProcessEnv> = {
    off: { MAGEFLOW_UNINSTRUMENTED: "1" },
    metrics: {},
    tracing: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url },
  };
  const servers = {} as Record<Mode, Awaited<ReturnType<typeof startService>>>;
  const keys = {} as Record<Mode, string[]>;
  try {
    for (const m of MODES) {
      servers[m] = await startService({ env: envs[m] });
      const addr = `127.0.0.1:${servers[m].grpcPort}`;
      const r = await loadgen({ addr, concurrency: 32, sequences: Array.from({ length: 200 }, () => steps.create()), mode: "once", timing: { warmupS: 0, durationS: 60 }, capture: true });
      keys[m] = r.captured.map((res) => decode.createdKey(res[0]));
      // Untimed load first: the JIT warms up on the same work.
      await h2load({ base: `http://${addr}`, paths: [PATH.get], protocol: "grpc", bodies: [body.get(keys[m][0])] }, 16, { warmupS: 0, durationS: 1 });
    }
    const ops: { op: string; cell: (m: Mode, c: number) => Promise<Cell> }[] = [
      { op: "get", cell: (m, c) => h2load({ base: `http://127.0.0.1:${servers[m].grpcPort}`, paths: [PATH.get], protocol: "grpc", bodies: [body.get(keys[m][0])] }, c, timing) },
      { op: "update", cell: (m, c) => h2load({ base: `http://127.0.0.1:${servers[m].grpcPort}`, paths: [PATH.update], protocol: "grpc", bodies: keys[m].slice(0, c).map((k) => body.update(k)) }, c, timing) },
      { op: "create", cell: (m, c) => loadgen({ addr: `127.0.0.1:${servers[m].grpcPort}`, concurrency: c, sequences: [steps.create()], mode: "cycle", timing }).then((r) => r.cell) },
    ];
    const rows: ObservabilityRow[] = [];
    for (const o of ops) {
      for (const c of concs) {
        const byMode = {} as ObservabilityRow["byMode"];
        for (const m of MODES) {
          const meter = cpuMeter({ server: servers[m].pid });
          const cell = await o.cell(m, c);
          const serverCpu = meter().server;
          byMode[m] = { ops: Math.round(cell.ops), p50Ms: cell.p50Ms, p99Ms: cell.p99Ms, serverCpu, opsPerCpu: serverCpu ? Math.round(cell.ops / serverCpu) : undefined, errors: cell.errors };
          log(`observability ${m.padEnd(8)} ${o.op.padEnd(7)} c=${String(c).padEnd(3)} ${Math.round(cell.ops)} ops/s p50 ${cell.p50Ms} ms p99 ${cell.p99Ms} ms cpu ${serverCpu}`);
        }
        const ratio = (m: Mode) => ({
          ops: round(byMode[m].ops / byMode.off.ops, 3),
          perCpu: byMode[m].opsPerCpu && byMode.off.opsPerCpu ? round(byMode[m].opsPerCpu! / byMode.off.opsPerCpu, 3) : undefined,
        });
        rows.push({ op: o.op, concurrency: c, byMode, ratios: { metrics: ratio("metrics"), tracing: ratio("tracing") } });
      }
    }
    return { rows, otlpRequests: sink.requests() };
  } finally {
    for (const m of MODES) await servers[m]?.stop();
    await sink.close();
  }
}

export function observabilityTable(rows: ObservabilityRow[]): string {
  const out = ["  op       c    off ops/s  metrics ops/s (÷off, per cpu ÷off)   tracing ops/s (÷off, per cpu ÷off)   p99 ms off/metrics/tracing"];
  for (const r of rows) {
    const f = (m: "metrics" | "tracing") => `${String(r.byMode[m].ops).padStart(7)} (${r.ratios[m].ops.toFixed(2)}, ${r.ratios[m].perCpu?.toFixed(2) ?? "—"})`;
    out.push(`  ${r.op.padEnd(7)} ${String(r.concurrency).padStart(3)}  ${String(r.byMode.off.ops).padStart(9)}  ${f("metrics").padEnd(35)}  ${f("tracing").padEnd(35)}  ${r.byMode.off.p99Ms}/${r.byMode.metrics.p99Ms}/${r.byMode.tracing.p99Ms}`);
  }
  return out.join("\n");
}
