// Metric labels stay bounded: namespaces get their own label value only up to METRICS_NAMESPACE_LABELS (the
// rest share "other"), and no signature key, run id or token ever appears in /metrics.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createMageflowClient } from "../../clients/typescript/src/index.js";
import { newToken, sha256Hex } from "../../src/auth/tokens.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";

describe("metric cardinality", () => {
  let server: RunningServer;
  const tokens = { a: newToken(), b: newToken(), c: newToken() };
  const created: { key: string; runId: string }[] = [];

  before(async () => {
    const file = join(mkdtempSync(join(tmpdir(), "cardinality-")), "tokens.json");
    writeFileSync(file, JSON.stringify(Object.entries(tokens).map(([ns, t]) => ({ name: ns, sha256: sha256Hex(t), namespace: `ns-${ns}`, role: "admin" }))));
    server = await startTestServer({ authTokensFile: file, metricsNamespaceLabels: "2" });
    for (const token of Object.values(tokens)) {
      const client = createMageflowClient({ baseUrl: `http://127.0.0.1:${server.httpPort}`, token });
      const key = (await client.asign("resize", { kwargs: { width: 10 } })).key;
      created.push({ key, runId: (await client.runNoWait(key)).runId });
      client.close();
    }
  });
  after(() => server?.close(500));

  it("labels the first namespaces by name and the rest as other", async () => {
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    const values = new Set([...text.matchAll(/namespace="([^"]*)"/g)].map((m) => m[1]));
    // `default` and the first token namespace opened at start have their own; the others are "other".
    assert.equal(values.size, 3, [...values].join(", "));
    assert.ok(values.has("default") && values.has("other"), [...values].join(", "));
    const perNamespace = text.match(/^mageflow_signature_status_changes_total\{namespace="other",status="PENDING"\} (\d+)$/m);
    assert.ok(perNamespace && Number(perNamespace[1]) >= 1, "the capped namespaces' changes are counted under other");
  });

  it("never puts a key, run id or token into a label", async () => {
    const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    for (const { key, runId } of created) {
      assert.ok(!text.includes(key), `key ${key} in /metrics`);
      assert.ok(!text.includes(runId), `run id ${runId} in /metrics`);
    }
    for (const t of Object.values(tokens)) assert.ok(!text.includes(t), "a token in /metrics");
    assert.ok(!text.includes("TaskSignature:"));
  });
});
