import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import type { ServiceError } from "../../src/core/service-error.js";
import { createCmd } from "../support/commands.js";
import { backends } from "./backends.js";

const quotaRefusal = (quota: string, limit: number) => (e: unknown) => {
  const se = e as ServiceError;
  return se.code === Code.ResourceExhausted && se.reason === "QUOTA_EXCEEDED" && se.metadata.quota === quota && se.metadata.limit === String(limit);
};

for (const backend of backends()) {
  describe(`namespace quotas on the ${backend.name} store`, () => {
    after(() => backend.shutdown());

    it("stored signatures: the one over QUOTA_SIGNATURES is RESOURCE_EXHAUSTED QUOTA_EXCEEDED and writes nothing; a delete makes room", async () => {
      const store = await backend.open({ quota: { signatures: 3, bytes: 0 } });
      const keys = [];
      for (let i = 0; i < 3; i++) keys.push((await store.create(createCmd())).record.key);
      const rev = await store.currentRevision();
      await assert.rejects(store.create(createCmd()), quotaRefusal("signatures", 3));
      assert.equal(await store.currentRevision(), rev, "nothing written");
      assert.equal((await store.list({ statuses: [], taskName: "", pageSize: 100 })).records.length, 3);
      await store.delete(keys[0], {});
      await store.create(createCmd());
      await assert.rejects(store.create(createCmd()), quotaRefusal("signatures", 3));
    });

    it("stored bytes: a create or an update that would go over QUOTA_BYTES is refused and changes nothing; shrinking is always allowed", async () => {
      const store = await backend.open({ quota: { signatures: 0, bytes: 60_000 } });
      const blob = (n: number) => ({ blob: "x".repeat(n) });
      const { record } = await store.create(createCmd({ kwargs: blob(20_000) }));
      await store.create(createCmd({ kwargs: blob(20_000) }));
      const rev = await store.currentRevision();
      await assert.rejects(store.create(createCmd({ kwargs: blob(30_000) })), quotaRefusal("bytes", 60_000));
      await assert.rejects(store.update({ key: record.key, kwargs: blob(40_000), replace: ["kwargs"], guard: {} }), quotaRefusal("bytes", 60_000));
      assert.equal(await store.currentRevision(), rev, "nothing written");
      assert.equal(((await store.get(record.key))!.kwargs.blob as string).length, 20_000, "the refused update left the stored signature as it was");
      await store.update({ key: record.key, kwargs: blob(10), replace: ["kwargs"], guard: {} });
      await store.create(createCmd({ kwargs: blob(30_000) }));
    });
  });
}
