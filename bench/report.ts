/**
 * Markdown tables from a results file, as docs/performance.md shows them:
 *   npx tsx bench/report.ts bench/results/<timestamp>.json
 */
import { readFileSync } from "node:fs";

interface Row {
  kind: string;
  store?: string;
  via: string;
  op: string;
  generator: string;
  concurrency: number;
  cell: { ops: number; calls: number; p50Ms: number | null; p99Ms: number | null; errors: number };
  cpu: Record<string, number | undefined>;
  ratios?: Record<string, number | undefined>;
}

const file = process.argv[2];
if (!file) throw new Error("usage: report.ts <results.json>");
const r = JSON.parse(readFileSync(file, "utf8")) as {
  date: string;
  elapsedS: number;
  source: { commit: string };
  machine: Record<string, unknown>;
  rows: Row[];
  redisCalls?: { ops: { op: string; requestPathPerRpc: number; roundTripsPerRpc: number; mutationsPerRpc?: number; requestPathPerMutation?: number | null; scriptsPerRpc: number; inScriptPerRpc: number; byCommand: Record<string, number> }[] };
  watch?: { watchers: number; writerRate: number; deliveredPerS: number; expectedPerS: number; p50Ms: number; p99Ms: number; maxMs: number; rssBeforeMiB: number; rssPeakMiB: number; serverCpu?: number; streamErrors: Record<string, number> }[];
};

const n = (x: number | null | undefined, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? "—" : x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }));
const pct = (x: number | undefined) => (x === undefined ? "—" : `${Math.round(x * 100)} %`);
const perCore = (row?: Row) => (row && row.cpu.server && row.cpu.server > 0.05 ? row.cell.calls / row.cpu.server : undefined);
const numeric = (v: string | undefined) => v !== undefined && /^[\d,.%\s—→-]+$/.test(v);
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (numeric(rows[0]?.[i]) ? "---:" : "---")).join("|")}|`, ...rows.map((x) => `| ${x.join(" | ")} |`)].join("\n");

const out: string[] = [];
out.push(`Run ${r.date}, commit ${r.source.commit.slice(0, 12)}, ${r.machine.cpus} cores (${r.machine.cpuModel}), ${r.machine.node}, ${r.elapsedS} s.\n`);

out.push("### Baselines (no-op RPC)\n");
out.push(
  table(
    ["stack", "gen", "c", "calls/s", "p50 ms", "p99 ms", "server CPU", "interference", "calls per CPU-s"],
    r.rows
      .filter((x) => x.kind === "baseline")
      .map((x) => [x.via, x.generator, String(x.concurrency), n(x.cell.calls), n(x.cell.p50Ms, 2), n(x.cell.p99Ms, 1), n(x.cpu.server, 2), n(x.cpu.foreign, 2), n(perCore(x))]),
  ),
);

for (const store of ["memory", "redis"]) {
  const ops = r.rows.filter((x) => x.kind === "op" && x.store === store);
  if (!ops.length) continue;
  out.push(`\n### Operations, ${store} store\n`);
  out.push(
    table(
      ["operation", "via", "gen", "c", "ops/s", "calls/s", "p50 ms", "p99 ms", "server CPU", "interference", "÷ grpc-js", "÷ grpc-go", "÷ connect-node", "÷ store limit", "÷ memory", "÷ grpc-js per CPU-s", "÷ grpc-go per CPU-s"],
      ops.map((x) => [
        x.op,
        x.via,
        x.generator,
        String(x.concurrency),
        n(x.cell.ops),
        n(x.cell.calls),
        n(x.cell.p50Ms, 2),
        n(x.cell.p99Ms, 1),
        n(x.cpu.server, 2),
        n(x.cpu.foreign, 2),
        pct(x.ratios?.grpcJs),
        pct(x.ratios?.grpcGo),
        pct(x.ratios?.connectNode),
        pct(x.ratios?.storeLimit),
        pct(x.ratios?.vsMemory),
        pct(x.ratios?.grpcJsPerCpu),
        pct(x.ratios?.grpcGoPerCpu),
      ]),
    ),
  );
}

const limit = r.rows.filter((x) => x.kind === "limit");
if (limit.length) {
  out.push("\n### Store limit (the same store calls from one Node process with ioredis, no gRPC)\n");
  out.push(
    table(
      ["operation", "c", "ops/s", "store calls/s", "p50 ms", "p99 ms", "client CPU"],
      limit.map((x) => [x.op, String(x.concurrency), n(x.cell.ops), n(x.cell.calls), n(x.cell.p50Ms, 2), n(x.cell.p99Ms, 1), n(x.cpu.client, 2)]),
    ),
  );
}

if (r.redisCalls) {
  out.push("\n### Redis commands per RPC\n");
  out.push(
    table(
      ["operation", "request path", "with background readers", "mutations", "request path per mutation", "script calls", "commands inside scripts", "by command"],
      r.redisCalls.ops.map((c) => [
        c.op,
        n(c.requestPathPerRpc, 2),
        n(c.roundTripsPerRpc, 2),
        n(c.mutationsPerRpc, 2),
        n(c.requestPathPerMutation, 2),
        n(c.scriptsPerRpc, 2),
        n(c.inScriptPerRpc, 1),
        Object.entries(c.byCommand)
          .filter(([, v]) => v >= 0.05)
          .map(([k, v]) => `${k} ${v}`)
          .join(", "),
      ]),
    ),
  );
}

if (r.watch) {
  out.push("\n### Watch fan-out (Redis store, writer at 500 updates/s)\n");
  out.push(
    table(
      ["watchers", "writer achieved /s", "events delivered /s", "expected /s", "p50 ms", "p99 ms", "max ms", "server RSS MiB idle → peak", "server CPU", "stream errors"],
      r.watch.map((w) => [
        String(w.watchers),
        n(w.writerRate),
        n(w.deliveredPerS),
        n(w.expectedPerS),
        n(w.p50Ms, 1),
        n(w.p99Ms, 1),
        n(w.maxMs, 1),
        `${n(w.rssBeforeMiB)} → ${n(w.rssPeakMiB)}`,
        n(w.serverCpu, 2),
        Object.keys(w.streamErrors).length ? JSON.stringify(w.streamErrors) : "none",
      ]),
    ),
  );
}
console.log(out.join("\n"));
