import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, createMageflowClient, EventType, MageflowError, Status, type MageflowClient, type SignatureEvent } from "../../clients/typescript/src/index.js";
import { readUntil } from "./events.js";
import { startLiveServer, type LiveServer } from "./live-server.js";

let server: LiveServer;
before(async () => {
  server = await startLiveServer();
});
after(async () => {
  await server?.stop();
});

for (const transport of ["connect", "grpc"] as const) {
  describe(`issue-7 scenario over ${transport}`, () => {
    let client: MageflowClient;
    before(() => {
      client = transport === "grpc" ? createMageflowClient({ grpcAddress: server.grpcAddress, transport: "grpc" }) : createMageflowClient({ baseUrl: server.baseUrl });
    });
    after(() => client.close());

    it("runs a signature, completes it as a worker and sees DONE then the callback's dispatch in order", async () => {
      const onSuccess = await client.asign("notify", { kwargs: { channel: "email" } });
      const onError = await client.asign("alert");
      const sig = await client.asign("send-email", { kwargs: { to: "a@example.com" }, successCallbacks: [onSuccess], errorCallbacks: [onError.key] });
      assert.equal(sig.taskStatus?.status, Status.PENDING);
      assert.deepEqual(sig.successCallbacks, [onSuccess.key]);

      await using watch = client.watch({ keys: [sig.key, onSuccess.key, onError.key], startRevision: sig.revision + 1n });
      const it = watch[Symbol.asyncIterator]();
      const seen: SignatureEvent[] = [];

      const run = await client.runNoWait(sig.key, { subject: "hi" }, { tenant: "t1" });
      assert.equal(run.signature.run?.attempt, 1);
      const dispatched = (await readUntil(it, seen, (s) => s.some((e) => e.key === sig.key && e.type === EventType.DISPATCHED))).find(
        (e) => e.key === sig.key && e.type === EventType.DISPATCHED,
      )!;
      const runId = run.runId || dispatched.runId;
      assert.ok(runId, "the recording dispatcher assigns a run id");
      assert.deepEqual(dispatched.signature?.run?.lastInput, { subject: "hi", to: "a@example.com" });

      const start = await client.startTask(sig.key, runId, { attempt: 1 });
      assert.equal(start.run, true);
      assert.equal(start.signature.taskStatus?.status, Status.ACTIVE);
      const done = await client.completeTask(sig.key, runId, { sent: true });
      assert.equal(done.signature.taskStatus?.status, Status.DONE);
      assert.deepEqual(done.dispatchedCallbacks, [onSuccess.key]);

      await readUntil(it, seen, (s) => s.some((e) => e.key === onSuccess.key && e.type === EventType.DISPATCHED));
      const index = (key: string, type: EventType, status?: Status) => seen.findIndex((e) => e.key === key && e.type === type && (status === undefined || e.status === status));
      const active = index(sig.key, EventType.STATUS_CHANGED, Status.ACTIVE);
      const doneAt = index(sig.key, EventType.STATUS_CHANGED, Status.DONE);
      const queued = index(onSuccess.key, EventType.RUN_QUEUED);
      const callbackDispatched = index(onSuccess.key, EventType.DISPATCHED);
      assert.ok(active >= 0 && doneAt > active, "ACTIVE, then DONE");
      assert.ok(queued > doneAt, "the callback is queued after DONE");
      assert.ok(callbackDispatched > queued, "and dispatched after being queued");
      assert.ok(index(onError.key, EventType.REMOVED) >= 0, "the error branch is retired");
      const revisions = seen.map((e) => e.revision);
      assert.deepEqual(revisions, [...revisions].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)), "events arrive in revision order");

      const callback = await client.loadSignature(onSuccess.key);
      assert.deepEqual(callback.run?.lastInput, { mageflow_results: { sent: true }, channel: "email" });
    });

    it("suspends and resumes another signature", async () => {
      const other = await client.sign("resize-image", { kwargs: { width: 100 } });
      const suspended = await client.suspend(other.key);
      assert.equal(suspended.taskStatus?.status, Status.SUSPENDED);
      assert.equal(suspended.taskStatus?.lastStatus, Status.PENDING);
      const resumed = await client.resume(other.key);
      assert.equal(resumed.taskStatus?.status, Status.PENDING);
      assert.equal(resumed.taskStatus?.lastStatus, Status.SUSPENDED);
      const soft = await client.pause(other.key, "soft");
      assert.equal(soft.taskStatus?.status, Status.SUSPENDED);
      const hard = await client.pause(other.key, "hard");
      assert.equal(hard.taskStatus?.status, Status.INTERRUPTED);
    });

    it("reports a lock conflict as ABORTED SIGNATURE_LOCKED and releases the lease with await using", async () => {
      const sig = await client.asign("locked-task");
      {
        await using lease = await client.lock(sig.key, { ttlMs: 20_000, owner: "test" });
        assert.ok(lease.lockId);
        assert.ok(lease.expireTime.getTime() > Date.now());
        const err = await client.suspend(sig.key).then(
          () => assert.fail("suspend of a locked signature succeeded"),
          (e: unknown) => e,
        );
        assert.ok(err instanceof MageflowError);
        assert.equal(err.code, Code.Aborted);
        assert.equal(err.reason, "SIGNATURE_LOCKED");
        assert.equal(err.domain, "mageflow.dev");
        assert.ok(err.metadata.expire_time, "metadata carries the lease's expiry");
        const before = lease.expireTime.getTime();
        await lease.renew(60_000);
        assert.ok(lease.expireTime.getTime() > before);
        assert.equal((await client.suspend(sig.key, { lockId: lease.lockId })).taskStatus?.status, Status.SUSPENDED);
      }
      assert.equal((await client.resume(sig.key)).taskStatus?.status, Status.PENDING, "released when the block ends");

      const lease = await client.lock(sig.key);
      try {
        await assert.rejects(client.update(sig.key, { kwargs: { a: 1 } }), { reason: "SIGNATURE_LOCKED" });
      } finally {
        await lease.release();
      }
      await lease.release();
      assert.deepEqual((await client.update(sig.key, { kwargs: { a: 1 } })).kwargs, { a: 1 });
    });

    it("maps errors to MageflowError with reason, metadata and field violations", async () => {
      const missing = "TaskSignature:00000000-0000-4000-8000-000000000000";
      await assert.rejects(client.loadSignature(missing), (e: unknown) => {
        assert.ok(e instanceof MageflowError);
        assert.equal(e.code, Code.NotFound);
        assert.equal(e.codeName, "NOT_FOUND");
        assert.equal(e.reason, "SIGNATURE_NOT_FOUND");
        return true;
      });
      await assert.rejects(client.loadSignature("not-a-key"), (e: unknown) => {
        assert.ok(e instanceof MageflowError);
        assert.equal(e.code, Code.InvalidArgument);
        assert.equal(e.fieldViolations[0]?.field, "key");
        return true;
      });
      const sig = await client.asign("x");
      await client.cancel(sig.key);
      await assert.rejects(client.suspend(sig.key), { code: Code.FailedPrecondition, reason: "INVALID_TRANSITION" });
      await assert.rejects(client.asign("y", { successCallbacks: [missing] }), { reason: "CALLBACKS_NOT_FOUND" });
    });

    it("covers list, update, remove, delete and the worker failure path", async () => {
      const task = `list-${transport}-${Date.now()}`;
      const a = await client.asign(task, { kwargs: { n: 1 }, metadata: { team: "a" } });
      const b = await client.asign(task, { status: "suspended" });
      const page = await client.list({ taskName: task });
      assert.deepEqual(page.signatures.map((s) => s.key), [b.key, a.key], "newest first");
      assert.deepEqual((await client.list({ taskName: task, statuses: ["SUSPENDED"] })).signatures.map((s) => s.key), [b.key]);
      const all = [];
      for await (const s of client.listAll({ taskName: task, pageSize: 1 })) all.push(s.key);
      assert.deepEqual(all, [b.key, a.key]);

      assert.deepEqual((await client.update(a.key, { kwargs: { m: 2 } })).kwargs, { n: 1, m: 2 });
      assert.deepEqual((await client.update(a.key, { kwargs: { z: 3 }, replace: ["kwargs"] })).kwargs, { z: 3 });
      await assert.rejects(client.update(a.key, { kwargs: { q: 1 }, expectedRevision: 1 }), { code: Code.Aborted, reason: "REVISION_MISMATCH" });
      assert.deepEqual((await client.loadSignatures([a.key, b.key])).map((s) => s.key), [a.key, b.key]);

      const errorCallback = await client.asign("on-failure");
      const failing = await client.asign("flaky", { errorCallbacks: [errorCallback] });
      const run = await client.runNoWait(failing.key);
      const runId = run.runId || (await waitForRunId(client, failing.key));
      await client.startTask(failing.key, runId);
      const retry = await client.failTask(failing.key, runId, { message: "boom", type: "ValueError", attempt: 1 }, { final: false });
      assert.equal(retry.signature.taskStatus?.status, Status.ACTIVE);
      const failed = await client.failTask(failing.key, runId, { message: "boom", type: "ValueError", attempt: 2 });
      assert.equal(failed.signature.taskStatus?.status, Status.FAILED);
      assert.deepEqual(failed.dispatchedCallbacks, [errorCallback.key]);
      const input = (await client.loadSignature(errorCallback.key)).run?.lastInput as Record<string, unknown>;
      assert.deepEqual(input.mageflow_error, { message: "boom", type: "ValueError", attempt: 2 });

      const removed = await client.remove(a.key, { withError: false, withSuccess: false });
      assert.deepEqual(removed.removedKeys, [a.key]);
      assert.equal((await client.loadSignature(a.key)).removed, true);
      assert.ok((await client.delete(b.key)) > 0n);
      await assert.rejects(client.loadSignature(b.key), { code: Code.NotFound });
    });
  });
}

async function waitForRunId(client: MageflowClient, key: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const runId = (await client.loadSignature(key)).run?.runId;
    if (runId) return runId;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${key} got no run id`);
}
