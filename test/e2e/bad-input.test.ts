import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";

const deep = (n: number): Record<string, unknown> => (n === 0 ? {} : { d: deep(n - 1) });

/** Bad input gets INVALID_ARGUMENT naming the field, and nothing is written. */
describe("bad input is refused with field violations and writes nothing", () => {
  let server: RunningServer;
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  let workers: ReturnType<typeof createClient<typeof WorkerService>>;
  let key: string;
  before(async () => {
    server = await startTestServer({ maxJsonBytes: "1024" });
    const t = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` });
    sigs = createClient(SignatureService, t);
    workers = createClient(WorkerService, t);
    key = (await sigs.createSignature({ taskName: "ok" })).signature!.key;
  });
  after(() => server.close(1000));

  const cases: Array<[string, string, () => Promise<unknown>]> = [
    ["empty task name", "task_name", () => sigs.createSignature({ taskName: "" })],
    ["control characters in the task name", "task_name", () => sigs.createSignature({ taskName: "a\u0000b" })],
    ["oversized kwargs", "kwargs", () => sigs.createSignature({ taskName: "t", kwargs: { blob: "x".repeat(2000) } })],
    ["kwargs nested too deep", "kwargs", () => sigs.createSignature({ taskName: "t", kwargs: deep(40) as never })],
    ["a malformed callback key", "success_callbacks[0]", () => sigs.createSignature({ taskName: "t", successCallbacks: ["not-a-key"] })],
    ["an initial status other than PENDING/SUSPENDED", "task_status", () => sigs.createSignature({ taskName: "t", taskStatus: 3 })],
    ["an unknown enum value", "task_status", () => sigs.createSignature({ taskName: "t", taskStatus: 99 as never })],
    ["a reserved metadata key", "metadata.task_id", () => sigs.createSignature({ taskName: "t", metadata: { task_id: "x" } })],
    ["an input_schema that is not a schema", "input_schema", () => sigs.createSignature({ taskName: "t", inputSchema: { type: 12 } })],
    ["a malformed key on Get", "key", () => sigs.getSignature({ key: "TaskSignature:nope" })],
    ["a negative expected_revision", "expected_revision", () => sigs.updateSignature({ key, kwargs: { a: 1 }, expectedRevision: -1n })],
    ["an unknown update_mask path", "update_mask", () => sigs.updateSignature({ key, updateMask: { paths: ["task_name"] } })],
    ["an unknown status filter", "statuses[0]", () => sigs.listSignatures({ statuses: [42 as never] })],
    ["a foreign page token", "page_token", () => sigs.listSignatures({ pageToken: "bm90LWEtdG9rZW4" })],
    ["an oversized run message", "message", () => sigs.runSignature({ key, message: { blob: "y".repeat(2000) } })],
    ["an unknown pause type", "pause_type", () => sigs.pauseSignature({ key, pauseType: 7 as never })],
    ["a non-positive lock ttl", "ttl", () => sigs.lockSignature({ key, ttl: { seconds: -1n } })],
    ["unlock without lock_id", "lock_id", () => sigs.unlockSignature({ key })],
    ["a worker report without run_id", "run_id", () => workers.startTask({ key })],
  ];

  for (const [what, field, call] of cases) {
    it(`refuses ${what}`, async () => {
      const before = await server.store.currentRevision();
      const err = await call().then(
        () => assert.fail("accepted"),
        (e) => e as ConnectError,
      );
      assert.equal(err.code, Code.InvalidArgument, err.message);
      assert.equal(err.findDetails(ErrorInfoSchema)[0]?.reason, "INVALID_ARGUMENT");
      const fields = err.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field) ?? [];
      assert.ok(fields.includes(field), `violations ${JSON.stringify(fields)} name ${field}`);
      assert.equal(await server.store.currentRevision(), before, "nothing was written");
    });
  }

  it("refuses kwargs that is not a JSON object (Connect JSON) and unknown fields", async () => {
    const before = await server.store.currentRevision();
    for (const body of [{ taskName: "t", kwargs: [1, 2] }, { taskName: "t", kwargs: "text" }, { taskName: "t", extra: true }]) {
      const res = await fetch(`http://127.0.0.1:${server.httpPort}/mageflow.v1.SignatureService/CreateSignature`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 400);
      assert.equal((await res.json()).code, "invalid_argument");
    }
    assert.equal(await server.store.currentRevision(), before);
  });
});
