/**
 * CPU per call that the metric and trace wrappers add, measured in one process without the network:
 * the SignatureService handlers over the memory store, called in a loop, raw (`off`) and wrapped as the
 * server wraps them (`metrics`; then `tracing`, with traces exported over OTLP/HTTP to a local sink).
 * CPU time (process.cpuUsage), not wall time, so other work on the machine disturbs it little.
 * Run by the `observability` section of `npm run bench`; `tsx bench/observability-micro.ts` prints it alone.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { createContextValues, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  CreateSignatureRequestSchema,
  GetSignatureRequestSchema,
  SignatureService,
  UpdateSignatureRequestSchema,
} from "../gen/ts/mageflow/v1/signature_service_pb.js";
import { signatureService } from "../src/api/signature-service.js";
import { DEFAULT_LIMITS } from "../src/core/limits.js";
import { startTracing, stopTracing } from "../src/observability/tracing.js";
import { observedService } from "../src/server/observed-service.js";
import { observedStore } from "../src/server/observed-store.js";
import { openStore } from "../src/store/open.js";
import type { Store } from "../src/store/store.js";
import { WatchHub } from "../src/watch/hub.js";

type Mode = "off" | "metrics" | "tracing";
export interface MicroRow {
  op: string;
  /** CPU microseconds per call (median of the rounds). */
  usPerCall: Record<Mode, number>;
  /** Added over `off`. */
  addedUs: Record<"metrics" | "tracing", number>;
}

const N = 4000;
const ROUNDS = 5;

function ctx(): HandlerContext {
  return { protocolName: "grpc", requestHeader: new Headers(), responseHeader: new Headers(), responseTrailer: new Headers(), values: createContextValues(), signal: new AbortController().signal } as unknown as HandlerContext;
}

async function service(store: Store, wrapped: boolean) {
  const s = wrapped ? observedStore(store) : store;
  const hub = new WatchHub(s, 10_000);
  await hub.start();
  const impl = signatureService({ store: s, hub, limits: DEFAULT_LIMITS, dispatchWaitMs: 0 });
  return { impl: wrapped ? observedService(SignatureService, impl, "grpc") : impl, hub };
}

async function measure(impl: ServiceImpl<typeof SignatureService>, op: string, key: string): Promise<number> {
  const calls: Record<string, () => unknown> = {
    get: () => impl.getSignature(create(GetSignatureRequestSchema, { key }), ctx()),
    update: () => impl.updateSignature(create(UpdateSignatureRequestSchema, { key, kwargs: { n: 1 } }), ctx()),
    create: () => impl.createSignature(create(CreateSignatureRequestSchema, { taskName: "micro" }), ctx()),
  };
  const call = calls[op];
  for (let i = 0; i < 200; i++) await call();
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await call();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / N;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r1 = (x: number) => Math.round(x * 10) / 10;

export async function observabilityMicro(): Promise<{ rows: MicroRow[]; exports: number }> {
  let exports = 0;
  const sink = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      exports++;
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => sink.listen(0, "127.0.0.1", () => r()));
  const opts = { prefix: "micro", activeTtlMs: 86_400_000, doneTtlMs: 3_600_000, historyMax: 10_000, requestIdTtlMs: 86_400_000, now: Date.now };
  const store = await openStore(undefined, opts);
  const raw = await service(store, false);
  const wrapped = await service(store, true);
  const key = (await raw.impl.createSignature(create(CreateSignatureRequestSchema, { taskName: "micro", kwargs: { n: 0 } }), ctx())).signature!.key as string;
  const ops = ["get", "update", "create"];
  const samples: Record<string, Record<Mode, number[]>> = Object.fromEntries(ops.map((o) => [o, { off: [], metrics: [], tracing: [] }]));
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const op of ops) {
        samples[op].off.push(await measure(raw.impl, op, key));
        samples[op].metrics.push(await measure(wrapped.impl, op, key));
      }
    }
    // The SDK reads its settings from process.env.
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(sink.address() as AddressInfo).port}`, OTEL_SERVICE_NAME: "micro" });
    await startTracing(process.env);
    for (let r = 0; r < ROUNDS; r++) for (const op of ops) samples[op].tracing.push(await measure(wrapped.impl, op, key));
    await stopTracing();
  } finally {
    await raw.hub.close();
    await wrapped.hub.close();
    await store.close();
    sink.close();
  }
  const rows = ops.map((op) => {
    const us = { off: r1(median(samples[op].off)), metrics: r1(median(samples[op].metrics)), tracing: r1(median(samples[op].tracing)) };
    return { op, usPerCall: us, addedUs: { metrics: r1(us.metrics - us.off), tracing: r1(us.tracing - us.off) } };
  });
  return { rows, exports };
}

export function microTable(rows: MicroRow[]): string {
  const out = ["  op       CPU µs per call off / metrics / tracing   added by metrics   added by tracing"];
  for (const r of rows) out.push(`  ${r.op.padEnd(7)}  ${`${r.usPerCall.off} / ${r.usPerCall.metrics} / ${r.usPerCall.tracing}`.padEnd(39)}  ${String(r.addedUs.metrics).padStart(8)} µs        ${String(r.addedUs.tracing).padStart(8)} µs`);
  return out.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await observabilityMicro();
  if (process.argv.includes("--json")) console.log(JSON.stringify(r));
  else console.log(`${microTable(r.rows)}\n(${r.exports} OTLP exports)`);
  process.exit(0);
}
