import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import type { Store } from "../../src/store/store.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";
import { createCmd, refusal } from "../support/commands.js";

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;


for (const b of backends()) {
  describe(`locks (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    let store: Store;
    before(async () => {
      store = await b.open();
    });
    after(() => b.shutdown());

    const create = async () => {
      const key = `TaskSignature:${randomUUID()}`;
      await store.create(createCmd({ key, taskName: "locks" }));
      return key;
    };
    const lock = (key: string, ttlMs: number, renewLockId = "", owner = "alice") =>
      store.lock({ key, newLockId: randomUUID(), renewLockId, ttlMs, owner });

    it("a second holder is refused with SIGNATURE_LOCKED, expire_time and owner", async () => {
      const key = await create();
      const { record } = await lock(key, 10_000);
      assert.equal(record.lock?.owner, "alice");
      const e = await refusal(lock(key, 10_000, "", "bob"));
      assert.equal(e.code, Code.Aborted);
      assert.equal(e.reason, "SIGNATURE_LOCKED");
      assert.match(e.metadata.expire_time, RFC3339);
      assert.equal(Date.parse(e.metadata.expire_time), record.lock!.expireTime);
      assert.equal(e.metadata.owner, "alice");
    });

    it("while locked, mutations need the lock_id; the holder acts with it", async () => {
      const key = await create();
      const { record } = await lock(key, 10_000);
      const lockId = record.lock!.lockId;
      const refusals = [
        store.update({ key, kwargs: { a: 1 }, guard: {} }),
        store.transition(key, TRANSITIONS.suspend, {}),
        store.run({ key, input: {}, metadata: {}, requestId: "", guard: { lockId: "other" } }),
        store.remove(key, true, true, {}),
        store.delete(key, {}),
      ];
      for (const p of refusals) assert.equal((await refusal(p)).reason, "SIGNATURE_LOCKED");
      assert.equal((await store.get(key))!.revision, record.revision, "nothing changed");

      const updated = await store.update({ key, kwargs: { a: 1 }, guard: { lockId } });
      assert.deepEqual(updated.record.kwargs, { a: 1 });
      assert.equal(updated.record.lock?.lockId, lockId, "the lease survives other changes");
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: { lockId } });
      await store.transition(key, TRANSITIONS.suspend, { lockId });
      assert.equal((await store.get(key))!.status, Status.SUSPENDED);
      await store.delete(key, { lockId });
      assert.equal(await store.get(key), undefined);
    });

    it("the lease ends at its expiry", async () => {
      const key = await create();
      await lock(key, 60);
      await sleep(120);
      assert.equal((await store.get(key))!.lock, undefined);
      await store.update({ key, kwargs: { free: true }, guard: {} });
      const second = await lock(key, 10_000, "", "bob");
      assert.equal(second.record.lock?.owner, "bob");
    });

    it("renewal extends the lease and keeps its id", async () => {
      const key = await create();
      const first = (await lock(key, 150)).record.lock!;
      const renewed = (await lock(key, 10_000, first.lockId)).record.lock!;
      assert.equal(renewed.lockId, first.lockId);
      assert.ok(renewed.expireTime > first.expireTime);
      await sleep(250);
      assert.equal((await refusal(store.update({ key, kwargs: {}, guard: {} }))).reason, "SIGNATURE_LOCKED");
    });

    it("LOCK_MISMATCH: renewing or unlocking with an id that is not the live lease", async () => {
      const key = await create();
      const { lockId } = (await lock(key, 100)).record.lock!;
      for (const p of [lock(key, 1000, "not-the-lease"), store.unlock(key, "not-the-lease")]) {
        const e = await refusal(p);
        assert.equal(e.code, Code.FailedPrecondition);
        assert.equal(e.reason, "LOCK_MISMATCH");
      }
      await sleep(150);
      assert.equal((await refusal(store.unlock(key, lockId))).reason, "LOCK_MISMATCH", "an expired lease is no lease");
      assert.equal((await refusal(lock(key, 1000, lockId))).reason, "LOCK_MISMATCH");
    });

    it("unlock releases the lease; lock and unlock are changes with events", async () => {
      const key = await create();
      const locked = await lock(key, 10_000);
      const unlocked = await store.unlock(key, locked.record.lock!.lockId);
      assert.equal(unlocked.record.lock, undefined);
      assert.equal(unlocked.record.revision, locked.record.revision + 1);
      const events = await store.events.range(locked.record.revision, 10);
      assert.deepEqual(
        events.filter((e) => e.key === key).map((e) => e.type),
        [7, 8],
      );
      await store.update({ key, kwargs: {}, guard: {} });
    });

    it("worker reports are held off while locked", async () => {
      const key = await create();
      await store.run({ key, input: {}, metadata: {}, requestId: "", guard: {} });
      await store.markDispatched(key, 1, "run-1", undefined);
      const { lockId } = (await lock(key, 10_000)).record.lock!;
      assert.equal((await refusal(store.startTask(key, "run-1", 1, {}))).reason, "SIGNATURE_LOCKED");
      assert.equal((await store.get(key))!.status, Status.PENDING);
      assert.equal((await store.startTask(key, "run-1", 1, { lockId })).run, true);
      assert.equal((await refusal(store.completeTask(key, "run-1", 1, {}))).reason, "SIGNATURE_LOCKED");
      assert.equal((await refusal(store.failTask(key, "run-1", { message: "x", type: "E", attempt: 1 }, true, {}))).reason, "SIGNATURE_LOCKED");
      assert.equal((await store.get(key))!.status, Status.ACTIVE);
      await store.completeTask(key, "run-1", 1, { lockId });
      assert.equal((await store.get(key))!.status, Status.DONE);
    });

    it("a removed signature cannot be locked", async () => {
      const key = await create();
      await store.remove(key, true, true, {});
      assert.equal((await refusal(lock(key, 1000))).reason, "SIGNATURE_REMOVED");
    });
  });
}
