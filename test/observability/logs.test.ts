// The logs of a scenario are JSON lines with the documented fields (level, time, namespace, method, key,
// run id, trace id, duration, code and reason), and never carry a token, a kwargs value, a message or a result.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createMageflowClient, type MageflowClient } from "../../clients/typescript/src/index.js";
import { newToken, sha256Hex } from "../../src/auth/tokens.js";
import { startOtlpReceiver } from "../support/otlp-receiver.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";

const SECRETS = {
  kwargs: "kwargs-value-5b1e9d",
  message: "message-value-c07a44",
  metadata: "metadata-value-19fd02",
  result: "result-value-8e6b31",
  errorText: "error-text-4d2c90",
};

describe("structured logs of a scenario", () => {
  let server: ServerProcess;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let client: MageflowClient;
  const token = newToken();
  const wrongToken = newToken();
  let lines: Record<string, unknown>[] = [];
  let text = "";
  let key = "";
  let runId = "";

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "logs-"));
    const tokensFile = join(dir, "tokens.json");
    writeFileSync(tokensFile, JSON.stringify([{ name: "ops", sha256: sha256Hex(token), namespace: "shop", role: "admin" }]));
    receiver = await startOtlpReceiver();
    server = await spawnServer(["--auth-tokens-file", tokensFile], {
      LOG_LEVEL: "debug",
      LOG_FORMAT: "json",
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
      HATCHET_CLIENT_TOKEN: "",
    });
    client = createMageflowClient({ baseUrl: `http://127.0.0.1:${server.httpPort}`, token });

    const sig = await client.asign("send-email", { kwargs: { to: SECRETS.kwargs }, metadata: { tenant: SECRETS.metadata } });
    key = sig.key;
    const ran = await client.runNoWait(key, { subject: SECRETS.message });
    runId = ran.runId;
    await client.startTask(key, runId, { attempt: 1 });
    await client.failTask(key, runId, { message: SECRETS.errorText, type: "ValueError", attempt: 1 }, { final: false });
    await client.completeTask(key, runId, { sent: SECRETS.result });
    await client.update(key, { kwargs: { to: 42 as never }, inputSchema: { type: "object", properties: { to: { type: "string" } } } }).catch(() => {});
    await client.loadSignature("TaskSignature:00000000-0000-4000-8000-000000000000").catch(() => {});
    const stranger = createMageflowClient({ baseUrl: `http://127.0.0.1:${server.httpPort}`, token: wrongToken });
    await stranger.loadSignature(key).catch(() => {});
    await server.stop();
    text = server.stderr();
    lines = text.split("\n").filter((l) => l.trim() !== "").map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        assert.fail(`a log line that is not JSON: ${l}`);
      }
    });
  });
  after(async () => {
    await receiver?.close();
  });

  const rpc = (method: string) => lines.filter((l) => l.msg === "rpc" && String(l.method).endsWith(`/${method}`));

  it("writes every line as JSON with level and time", () => {
    assert.ok(lines.length >= 10, `${lines.length} lines`);
    for (const l of lines) {
      assert.ok(["trace", "debug", "info", "warn", "error", "fatal"].includes(l.level as string), JSON.stringify(l));
      assert.ok(!Number.isNaN(Date.parse(l.time as string)), JSON.stringify(l));
    }
    assert.ok(lines.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"));
  });

  it("logs each call with namespace, method, key, run id, trace id, duration and code", () => {
    const [run] = rpc("RunSignature");
    assert.equal(run.namespace, "shop");
    assert.equal(run.method, "mageflow.v1.SignatureService/RunSignature");
    assert.equal(run.key, key);
    assert.equal(run.run_id, runId);
    assert.equal(run.code, "OK");
    assert.match(run.trace_id as string, /^[0-9a-f]{32}$/);
    assert.equal(typeof run.duration_ms, "number");
    const [complete] = rpc("CompleteTask");
    assert.equal(complete.run_id, runId);
    assert.equal(complete.key, key);
  });

  it("logs refusals with their code and ErrorInfo reason", () => {
    assert.equal(rpc("GetSignature").find((l) => l.code === "NOT_FOUND")?.reason, "SIGNATURE_NOT_FOUND");
    const denied = rpc("GetSignature").find((l) => l.code === "UNAUTHENTICATED");
    assert.ok(denied, "the call with an unknown token is logged");
    assert.equal(denied.namespace, undefined, "an unauthenticated call has no namespace");
    assert.ok(rpc("UpdateSignature").some((l) => l.code === "INVALID_ARGUMENT" || l.code === "OK"));
  });

  it("never logs a token, kwargs, message, metadata value, result or error text", () => {
    for (const [what, secret] of Object.entries({ token, wrongToken, ...SECRETS })) {
      assert.ok(!text.includes(secret), `the logs contain the ${what}`);
    }
  });
});
