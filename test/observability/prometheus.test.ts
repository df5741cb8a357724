// A real Prometheus scrapes the service's /metrics while a scenario runs; the assertions read what it
// stored through its HTTP API: RPC counters by protocol and code, the latency histogram, the outbox
// while the engine holds every trigger and after it lets go, and the watch streams.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { Dispatcher, TriggerRequest } from "../../src/dispatch/dispatcher.js";
import type { RunningServer } from "../../src/server/server.js";
import { grpcJsClient } from "../support/grpc-client.js";
import { prometheusSkipReason, startPrometheus, type PrometheusServer } from "../support/prometheus-server.js";
import { startTestServer } from "../support/server.js";

/** An engine that holds every trigger until `release`. */
class HeldEngine implements Dispatcher {
  readonly name = "held";
  triggered: TriggerRequest[] = [];
  private opened!: () => void;
  private readonly gate = new Promise<void>((r) => (this.opened = r));
  async trigger(req: TriggerRequest) {
    await this.gate;
    this.triggered.push(req);
    return { runId: `run-${this.triggered.length}` };
  }
  async cancel() {}
  async close() {}
  release() {
    this.opened();
  }
}

describe("Prometheus scraping the service during a scenario", { skip: prometheusSkipReason() }, () => {
  let server: RunningServer;
  let prom: PrometheusServer;
  const engine = new HeldEngine();
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  let grpc: ReturnType<typeof grpcJsClient>;
  const watches = new AbortController();
  const seen = [0, 0];

  before(async () => {
    server = await startTestServer({}, engine);
    prom = await startPrometheus([{ job: "mageflow", address: `127.0.0.1:${server.httpPort}`, path: "/metrics" }]);
    sigs = createClient(SignatureService, createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` }));
    grpc = grpcJsClient(SignatureService, `127.0.0.1:${server.grpcPort}`);
  });
  after(async () => {
    watches.abort();
    grpc?.close();
    await prom?.stop();
    engine.release();
    await server?.close(500);
  });

  it("is scraped: up, process metrics", async () => {
    await prom.until('up{job="mageflow"}', (v) => v === 1);
    assert.ok((await prom.until("process_cpu_seconds_total", (v) => v !== undefined))! > 0);
  });

  it("counts RPCs by method, protocol and code, and times them in a histogram", async () => {
    const keys: string[] = [];
    for (let i = 0; i < 4; i++) keys.push((await sigs.createSignature({ taskName: "resize", kwargs: { n: i } })).signature!.key);
    for (let i = 0; i < 2; i++) await assert.rejects(grpc.unary("GetSignature", { key: "TaskSignature:00000000-0000-4000-8000-000000000000" }));
    // The engine holds the triggers: each RunSignature waits DISPATCH_WAIT (500ms) and answers QUEUED.
    for (const key of keys.slice(0, 3)) await sigs.runSignature({ key });

    const count = (labels: string) => `sum(mageflow_rpc_server_handled_total{${labels}})`;
    await prom.until(count('method="CreateSignature",protocol="connect",code="OK"'), (v) => v === 4);
    await prom.until(count('method="GetSignature",protocol="grpc",code="NOT_FOUND"'), (v) => v === 2);
    await prom.until(count('method="RunSignature",protocol="connect",code="OK"'), (v) => v === 3);
    assert.equal(await prom.value(count('method="GetSignature",protocol="connect"')), undefined, "no Connect GetSignature was made");

    const runBuckets = 'mageflow_rpc_server_duration_seconds_bucket{method="RunSignature",protocol="connect"';
    assert.equal(await prom.value(`${runBuckets},le="+Inf"}`), 3);
    assert.equal(await prom.value(`${runBuckets},le="0.25"}`), 0, "every run waited for the held engine");
    const median = await prom.value(`histogram_quantile(0.5, sum by (le) (${runBuckets}}))`);
    assert.ok(median! >= 0.5 && median! <= 1, `median RunSignature latency ${median}s is in the 0.5-1s bucket`);
    const createMedian = await prom.value('histogram_quantile(0.5, sum by (le) (mageflow_rpc_server_duration_seconds_bucket{method="CreateSignature"}))');
    assert.ok(createMedian! < 0.25, `CreateSignature median ${createMedian}s`);
  });

  it("shows the outbox filling while the engine holds triggers, and draining when it lets go", async () => {
    await prom.until('mageflow_outbox_entries{namespace="default"}', (v) => v === 3);
    await prom.until('mageflow_outbox_oldest_entry_age_seconds{namespace="default"}', (v) => v! > 0.5);
    engine.release();
    await prom.until('mageflow_outbox_entries{namespace="default"}', (v) => v === 0);
    await prom.until('mageflow_outbox_oldest_entry_age_seconds{namespace="default"}', (v) => v === 0);
    await prom.until('mageflow_engine_requests_total{operation="trigger",result="ok"}', (v) => v === 3);
    await prom.until('mageflow_store_operation_duration_seconds_count{operation="markDispatched"}', (v) => v === 3);
  });

  it("counts open watch streams, the events handed to them, and their end", async () => {
    const watch = async (i: number) => {
      try {
        for await (const m of sigs.watchSignatures({}, { signal: watches.signal })) seen[i] += m.events.length;
      } catch {
        // aborted below
      }
    };
    const running = [watch(0), watch(1)];
    await prom.until("mageflow_watchers", (v) => v === 2);
    await prom.until('mageflow_rpc_server_in_flight{method="WatchSignatures",protocol="connect"}', (v) => v === 2);
    await sigs.createSignature({ taskName: "resize" });
    await prom.until("mageflow_watch_events_delivered_total", (v) => v! >= 2);
    assert.equal(await prom.value("mageflow_watch_lag_revisions"), 0, "both watchers keep up");
    assert.ok(seen[0] >= 1 && seen[1] >= 1);
    watches.abort();
    await Promise.all(running);
    await prom.until("mageflow_watchers", (v) => v === 0);
    await prom.until('sum(mageflow_rpc_server_handled_total{method="WatchSignatures"})', (v) => v === 2);
    assert.equal(await prom.value('sum(mageflow_watchers_cut_off_total{reason="too_slow"})'), 0);
  });

  it("keeps signature status counts from the event stream", async () => {
    // 5 created PENDING; the 3 runs stay PENDING (a run starts only when a worker reports).
    await prom.until('mageflow_signatures{namespace="default",status="PENDING"}', (v) => v === 5);
    assert.equal(await prom.value('mageflow_signature_status_changes_total{namespace="default",status="PENDING"}'), 5);
  });

  it("runs every query of the Grafana dashboard and every alert of docs/operations.md, and exports every metric it documents", async () => {
    const dashboard = JSON.parse(readFileSync("docs/grafana-dashboard.json", "utf8")) as { panels: { targets: { expr: string }[] }[] };
    const operations = readFileSync("docs/operations.md", "utf8");
    const alerts = [...operations.matchAll(/expr: (?:\|\n((?:\s{10}.*\n)+)|(.*)\n)/g)].map((m) => (m[1] ?? m[2]).trim());
    assert.ok(alerts.length >= 8, `${alerts.length} alert expressions found`);
    const queries = [...dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr)), ...alerts];
    for (const q of queries) {
      const promql = q.replaceAll("$__rate_interval", "1m").replaceAll("$job", ".+");
      const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; error?: string };
      assert.equal(body.status, "success", `${promql}: ${body.error}`);
    }
    const exported = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    const documented = new Set([...operations.matchAll(/`(mageflow_[a-z_]+)`/g)].map((m) => m[1]));
    for (const q of queries) for (const m of q.matchAll(/\b(mageflow_[a-z_]+?)(?:_bucket)?\b/g)) documented.add(m[1]);
    assert.ok(documented.size >= 20, `${documented.size} metrics documented`);
    for (const name of documented) assert.match(exported, new RegExp(`^# TYPE ${name} `, "m"), `${name} is documented but not exported`);
  });
});
