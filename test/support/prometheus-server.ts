import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./redis-server.js";

/** A private Prometheus server (the Debian `prometheus` binary) on 127.0.0.1, scraping the given targets. */
export interface PrometheusServer {
  url: string;
  /** The value of an instant query with one result, or undefined when it has none. */
  value(query: string): Promise<number | undefined>;
  /** Polls `query` until `ok(value)`; returns the last value. Throws with the last value after `ms`. */
  until(query: string, ok: (v: number | undefined) => boolean, ms?: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

export function prometheusSkipReason(): string | undefined {
  if (spawnSync("prometheus", ["--version"], { stdio: "ignore" }).status === 0 || process.env.CI === "true") return undefined;
  return "prometheus not on PATH (apt-get install -y prometheus); skipped locally, required in CI";
}

export async function startPrometheus(targets: { job: string; address: string; path: string }[], scrapeInterval = "500ms"): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
  const config = [
    "global:",
    `  scrape_interval: ${scrapeInterval}`,
    `  scrape_timeout: ${scrapeInterval}`,
    "scrape_configs:",
    ...targets.flatMap((t) => [`  - job_name: ${t.job}`, `    metrics_path: ${t.path}`, "    static_configs:", `      - targets: ["${t.address}"]`]),
  ].join("\n");
  writeFileSync(join(dir, "prometheus.yml"), config);
  const port = await freePort();
  const proc: ChildProcess = spawn(
    "prometheus",
    [`--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr = (stderr + String(d)).slice(-4000)));
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 20_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const value = async (query: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { status: string; error?: string; data: { result: { value: [number, string] }[] } };
    if (body.status !== "success") throw new Error(`query ${query}: ${body.error}`);
    if (body.data.result.length === 0) return undefined;
    if (body.data.result.length > 1) throw new Error(`query ${query}: ${body.data.result.length} series, expected one`);
    return Number(body.data.result[0].value[1]);
  };
  return {
    url,
    value,
    async until(query, ok, ms = 15_000) {
      const end = Date.now() + ms;
      for (;;) {
        const v = await value(query);
        if (ok(v)) return v;
        if (Date.now() > end) throw new Error(`${query} is ${v} after ${ms} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      proc.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
