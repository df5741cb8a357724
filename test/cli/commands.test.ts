import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startLiveServer, type LiveServer } from "../client/live-server.js";
import { mageflow, type CliResult } from "./run-cli.js";

const KEY = /TaskSignature:[0-9a-f-]{36}/;
let server: LiveServer;
const cli = (...args: string[]) => mageflow(server.baseUrl, args);
const json = (r: CliResult) => {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};
const ok = (r: CliResult) => {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /\x1b\[/, "no colour when stdout is not a terminal");
  return r.stdout;
};
const fails = (r: CliResult, code: number, text: RegExp) => {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}\n${r.stdout}${r.stderr}`);
  assert.match(r.stderr, text);
};
const create = async (...args: string[]) => (await cli("create", ...args, "-q")).stdout.trim();

before(async () => {
  server = await startLiveServer();
});
after(async () => {
  await server?.stop();
});

describe("mageflow CLI against a live server", { concurrency: 6 }, () => {
  it("--help on every command shows an example", async () => {
    const commands = ["create", "get", "list", "update", "run", "suspend", "resume", "interrupt", "pause", "cancel", "lock", "unlock", "remove", "delete", "watch", "worker", "worker start", "worker complete", "worker fail"];
    const top = ok(await cli("--help"));
    for (const c of commands.filter((c) => !c.includes(" "))) assert.match(top, new RegExp(`\\n  ${c}\\b`));
    assert.match(top, /Exit codes/);
    await Promise.all(
      commands.map(async (c) => {
        const out = ok(await cli(...c.split(" "), "--help"));
        assert.match(out, /Examples?:\n  .*mageflow /, `${c} --help has an example`);
        assert.match(out, /--server/, `${c} --help lists the global options`);
      }),
    );
  });

  it("create: human line, -q key, --json signature", async () => {
    const callback = await create("notify");
    assert.match(callback, KEY);
    const human = ok(await cli("create", "send-email", "--kwargs", '{"to":"a@example.com"}', "--on-success", callback, "--on-error", callback));
    assert.match(human, /^created TaskSignature:[0-9a-f-]{36}  send-email  PENDING  rev \d+\n$/);
    const sig = json(await cli("create", "send-email", "--kwargs", '{"to":"b@example.com"}', "--on-success", callback, "--metadata", "team=mail", "--suspended", "--json"));
    assert.match(sig.key, KEY);
    assert.equal(sig.taskName, "send-email");
    assert.deepEqual(sig.kwargs, { to: "b@example.com" });
    assert.deepEqual(sig.successCallbacks, [callback]);
    assert.deepEqual(sig.metadata, { team: "mail" });
    assert.equal(sig.taskStatus.status, "STATUS_SUSPENDED");
    assert.match(sig.revision, /^\d+$/);
    const again = json(await cli("create", "idem", "--request-id", "req-1", "--json"));
    assert.equal(json(await cli("create", "idem", "--request-id", "req-1", "--json")).key, again.key);
  });

  it("create: invalid input exits 2, missing callbacks exit 4", async () => {
    fails(await cli("create", "x", "--kwargs", "[1]"), 2, /--kwargs: must be a JSON object/);
    fails(await cli("create", "x", "--kwargs", "{nope"), 2, /not valid JSON/);
    fails(await cli("create", ""), 2, /INVALID_ARGUMENT/);
    fails(await cli("create", "x", "--on-success", "TaskSignature:00000000-0000-4000-8000-000000000000"), 4, /CALLBACKS_NOT_FOUND/);
  });

  it("get: detail view, --json, not found exits 3 (JSON error with --json)", async () => {
    const key = await create("reader", "--kwargs", '{"a":1}');
    const out = ok(await cli("get", key));
    assert.match(out, new RegExp(`key\\s+${key}`));
    assert.match(out, /status\s+PENDING/);
    assert.match(out, /kwargs\s+\{"a":1\}/);
    assert.match(out, /created\s+(just now|\d+s ago)/);
    assert.match(out, /expires\s+in \d+h/);
    assert.equal(json(await cli("get", key, "--json")).key, key);
    const missing = "TaskSignature:00000000-0000-4000-8000-000000000000";
    fails(await cli("get", missing), 3, /NOT_FOUND SIGNATURE_NOT_FOUND/);
    const r = await cli("get", missing, "--json");
    assert.equal(r.code, 3);
    assert.deepEqual(JSON.parse(r.stderr).error.reason, "SIGNATURE_NOT_FOUND");
    assert.equal(JSON.parse(r.stderr).error.code, "NOT_FOUND");
    fails(await cli("get", "bogus"), 2, /key: must look like/);
  });

  it("list: table, filters, --limit with a page token, --json", async () => {
    const task = `listed-${Date.now()}`;
    const a = await create(task);
    const b = await create(task, "--suspended");
    const table = ok(await cli("list", "--task", task));
    const lines = table.trim().split("\n");
    assert.match(lines[0], /^KEY\s+TASK\s+STATUS\s+CREATED\s+UPDATED\s+REV$/);
    assert.equal(lines.length, 3);
    assert.ok(lines[1].startsWith(b) && lines[2].startsWith(a), "newest first");
    assert.match(lines[1], /SUSPENDED/);
    const page = json(await cli("list", "--task", task, "--limit", "1", "--json"));
    assert.equal(page.signatures.length, 1);
    assert.ok(page.nextPageToken);
    const rest = json(await cli("list", "--task", task, "--page-token", page.nextPageToken, "--json"));
    assert.deepEqual(rest.signatures.map((s: { key: string }) => s.key), [a]);
    const pending = json(await cli("list", "--task", task, "--status", "pending", "--json"));
    assert.deepEqual(pending.signatures.map((s: { key: string }) => s.key), [a]);
    assert.equal(json(await cli("list", "--task", task, "--status", "pending,suspended", "--json")).signatures.length, 2);
    assert.match(ok(await cli("list", "--task", "nothing-here")), /no signatures/);
    fails(await cli("list", "--status", "sleeping"), 2, /unknown status/);
    fails(await cli("list", "--limit", "0"), 2, /--limit/);
  });

  it("update: merges, --replace replaces, --expected-revision mismatch exits 5", async () => {
    const key = await create("updatable", "--kwargs", '{"a":1}');
    assert.match(ok(await cli("update", key, "--kwargs", '{"b":2}')), /^updated TaskSignature:/);
    assert.deepEqual(json(await cli("get", key, "--json")).kwargs, { a: 1, b: 2 });
    assert.deepEqual(json(await cli("update", key, "--kwargs", '{"c":3}', "--replace", "--json")).kwargs, { c: 3 });
    fails(await cli("update", key, "--kwargs", '{"d":4}', "--expected-revision", "1"), 5, /REVISION_MISMATCH/);
  });

  it("run, then worker start/complete: DONE and the callback dispatched", async () => {
    const callback = await create("notify");
    const key = await create("send-email", "--kwargs", '{"to":"a@example.com"}', "--on-success", callback);
    const run = json(await cli("run", key, "--message", '{"subject":"hi"}', "--json"));
    assert.ok(["TRIGGERED", "QUEUED"].includes(run.dispatchState));
    assert.deepEqual(run.signature.run.lastInput ?? run.signature.kwargs, run.signature.run.lastInput ? { subject: "hi", to: "a@example.com" } : { to: "a@example.com" });
    fails(await cli("run", key), 4, /ALREADY_DISPATCHED/);
    const runId = run.runId || (await waitForRunId(key));

    const start = await cli("worker", "start", key, runId);
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, new RegExp(`^RUN ${runId}: ${key}  send-email  ACTIVE \\(was PENDING\\)`));
    const done = json(await cli("worker", "complete", key, "--result", '{"sent":true}', "--json"));
    assert.equal(done.signature.taskStatus.status, "STATUS_DONE");
    assert.deepEqual(done.dispatchedCallbacks, [callback]);
    assert.deepEqual(done.signature.run.result, { sent: true });
    assert.match(ok(await cli("get", key)), /result\s+\{"sent":true\}/);
    fails(await cli("worker", "complete", key, "wrong-run"), 4, /STALE_RUN/);
  });

  it("run prints the dispatch; worker fail (retry, final) and worker start SKIP exits 10", async () => {
    const onError = await create("alert");
    const key = await create("flaky", "--on-error", onError);
    assert.match(ok(await cli("run", key)), new RegExp(`^run of ${key}: (TRIGGERED, run id \\S+|QUEUED)\\n$`));
    const runId = await waitForRunId(key);
    const started = json(await cli("worker", "start", key, "--json"));
    assert.deepEqual([started.decision, started.runId], ["RUN", runId]);
    assert.match(ok(await cli("worker", "fail", key, "--message", "boom", "--retry")), /^attempt failed .* ACTIVE/);
    const failed = json(await cli("worker", "fail", key, "--message", "boom", "--type", "ValueError", "--attempt", "2", "--json"));
    assert.equal(failed.signature.taskStatus.status, "STATUS_FAILED");
    assert.deepEqual(failed.dispatchedCallbacks, [onError]);
    fails(await cli("worker", "fail", key), 2, /--message/);

    const parked = await create("parked");
    await cli("run", parked);
    const parkedRun = await waitForRunId(parked);
    ok(await cli("suspend", parked));
    const skip = await cli("worker", "start", parked, parkedRun);
    assert.equal(skip.code, 10, skip.stderr);
    assert.match(skip.stdout, /^SKIP .*: SIGNATURE_SUSPENDED/);
    const noRun = await create("never-run");
    fails(await cli("worker", "start", noRun), 4, /no dispatched run/);
  });

  it("suspend, resume, interrupt, pause --soft/--hard, cancel", async () => {
    const key = await create("lifecycle");
    assert.match(ok(await cli("suspend", key)), new RegExp(`^suspended ${key}  lifecycle  SUSPENDED \\(was PENDING\\)  rev \\d+\\n$`));
    assert.match(ok(await cli("resume", key)), /resumed .* PENDING \(was SUSPENDED\)/);
    assert.equal(json(await cli("pause", key, "--soft", "--json")).taskStatus.status, "STATUS_SUSPENDED");
    assert.equal(json(await cli("pause", key, "--hard", "--json")).taskStatus.status, "STATUS_INTERRUPTED");
    fails(await cli("pause", key, "--soft", "--hard"), 2, /not both/);
    assert.match(ok(await cli("resume", key)), /PENDING \(was INTERRUPTED\)/);
    assert.match(ok(await cli("interrupt", key)), /^interrupted .* INTERRUPTED/);
    assert.match(ok(await cli("cancel", key)), /^canceled .* CANCELED \(was INTERRUPTED\)/);
    fails(await cli("cancel", key), 4, /FAILED_PRECONDITION INVALID_TRANSITION/);
    fails(await cli("suspend", "TaskSignature:00000000-0000-4000-8000-000000000000"), 3, /SIGNATURE_NOT_FOUND/);
  });

  it("lock: a held lease makes others exit 5; the holder acts with --lock-id; unlock", async () => {
    const key = await create("guarded");
    const lockId = (await cli("lock", key, "--ttl", "1m", "--owner", "ops", "-q")).stdout.trim();
    assert.ok(lockId.length > 8, "lock -q prints the lock id");
    fails(await cli("suspend", key), 5, /ABORTED SIGNATURE_LOCKED[\s\S]*expire_time: /);
    fails(await cli("lock", key), 5, /SIGNATURE_LOCKED/);
    const errorJson = await cli("update", key, "--kwargs", "{}", "--json");
    assert.equal(errorJson.code, 5);
    assert.equal(JSON.parse(errorJson.stderr).error.reason, "SIGNATURE_LOCKED");
    assert.match(ok(await cli("get", key)), /lock\s+held by ops, expires in \d+s/);
    assert.match(ok(await cli("suspend", key, "--lock-id", lockId)), /SUSPENDED/);
    const renewed = json(await cli("lock", key, "--lock-id", lockId, "--ttl", "2m", "--json"));
    assert.equal(renewed.lockId, lockId);
    assert.ok(renewed.expireTime && renewed.signature.key === key);
    assert.match(ok(await cli("unlock", key, "--lock-id", lockId)), /^unlocked /);
    fails(await cli("unlock", key, "--lock-id", lockId), 4, /LOCK_MISMATCH/);
    fails(await cli("unlock", key), 2, /--lock-id/);
    assert.match(ok(await cli("lock", key)), /^locked .* until in \d+s\nlock id: \S+\n$/);
  });

  it("remove with --keep-errors/--keep-success, then delete", async () => {
    const onSuccess = await create("s");
    const onError = await create("e");
    const key = await create("parent", "--on-success", onSuccess, "--on-error", onError);
    const removed = json(await cli("remove", key, "--keep-errors", "--json"));
    assert.deepEqual(removed.removedKeys, [key, onSuccess]);
    assert.match(removed.revision, /^\d+$/);
    assert.equal(json(await cli("get", onError, "--json")).removed, undefined, "the error branch was kept");
    assert.match(ok(await cli("remove", key)), /nothing to remove/);
    assert.match(ok(await cli("remove", onError, "--keep-success")), /^removed 1 signature at revision \d+:\n  TaskSignature:/);
    fails(await cli("suspend", key), 4, /SIGNATURE_REMOVED/);

    const deleted = json(await cli("delete", key, "--json"));
    assert.deepEqual(Object.keys(deleted).sort(), ["key", "revision"]);
    fails(await cli("get", key), 3, /SIGNATURE_NOT_FOUND/);
    assert.match(ok(await cli("delete", onSuccess)), new RegExp(`^deleted ${onSuccess} at revision \\d+\\n$`));
    fails(await cli("delete", onSuccess), 3, /NOT_FOUND/);
  });

  it("connection: --server flag, --transport grpc, --token, unavailable exits 6, usage errors exit 2", async () => {
    const key = await create("conn");
    const viaFlag = await mageflow("http://127.0.0.1:1", ["--server", server.baseUrl, "get", key, "--json"]);
    assert.equal(json(viaFlag).key, key);
    const viaGrpc = await mageflow(server.grpcAddress, ["get", key, "--json", "--transport", "grpc"]);
    assert.equal(json(viaGrpc).key, key);
    const viaEnvGrpc = await mageflow(server.grpcAddress, ["get", key, "--json"], { MAGEFLOW_TRANSPORT: "grpc", MAGEFLOW_TOKEN: "secret" });
    assert.equal(json(viaEnvGrpc).key, key);
    assert.equal(json(await cli("get", key, "--json", "--token", "secret")).key, key);
    fails(await mageflow("http://127.0.0.1:1", ["get", key]), 6, /UNAVAILABLE/);
    fails(await cli("frobnicate"), 2, /unknown command/);
    fails(await cli("get"), 2, /missing required argument/);
    fails(await cli("lock", key, "--ttl", "soon"), 2, /--ttl/);
  });
});

async function waitForRunId(key: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const runId = json(await cli("get", key, "--json")).run?.runId;
    if (runId) return runId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${key} got no run id`);
}
