import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { namespacePrefix } from "../../src/server/namespaces.js";
import { loadConfig } from "../../src/config.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import { startServer } from "../../src/server/server.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { clientsFor, makeTokens, outcomeOf, startSecureServer } from "./harness.js";

describe("namespaces are separate stores", () => {
  it("prefixes: default keeps REDIS_PREFIX, namespace ns uses <prefix>:<ns>", () => {
    assert.equal(namespacePrefix("mageflow", "default"), "mageflow");
    assert.equal(namespacePrefix("mageflow", "billing"), "mageflow:billing");
  });

  describe("on Redis", { skip: redisSkipReason() }, () => {
    let redis: RedisServer;
    let r: Redis;
    before(async () => {
      redis = await startRedisServer();
      r = new Redis(redis.url);
    });
    after(async () => {
      r?.disconnect();
      await redis?.stop();
    });

    it("every key a namespace writes carries it; another namespace sees none of them", async () => {
      const tokens = makeTokens();
      const s = await startSecureServer({ redisUrl: redis.url, redisPrefix: "sec" }, tokens);
      try {
        const alpha = clientsFor(s.server, "connect", `Bearer ${tokens.token("alpha", "admin")}`);
        const beta = clientsFor(s.server, "grpc-port", `Bearer ${tokens.token("beta", "admin")}`);
        const { signature: cb } = await alpha.signatures.createSignature({ taskName: "cb" });
        const { signature } = await alpha.signatures.createSignature({ taskName: "main", successCallbacks: [cb!.key], requestId: "req-1" });
        await alpha.signatures.lockSignature({ key: signature!.key, owner: "me" });
        const key = signature!.key;

        const all = await r.keys("*");
        const touching = all.filter((k) => k.includes(key));
        assert.ok(touching.length > 0);
        assert.ok(touching.every((k) => k.startsWith("{sec:alpha}:")), touching.join(" "));
        assert.ok(all.every((k) => /^\{sec(:alpha|:beta)?\}:/.test(k)), all.join(" "));
        assert.ok(await r.exists(`{sec:alpha}:req:req-1`));

        // Beta: the same key, the same request id, the same task name: nothing of alpha's.
        assert.equal((await outcomeOf(beta.signatures.getSignature({ key }))).code, "NotFound");
        assert.deepEqual((await beta.signatures.listSignatures({ taskName: "main" })).signatures, []);
        const again = await beta.signatures.createSignature({ taskName: "main", requestId: "req-1" });
        assert.notEqual(again.signature!.key, key, "a request id of another namespace returned its signature");
        assert.equal((await outcomeOf(beta.signatures.unlockSignature({ key, lockId: "x" }))).code, "NotFound");
        assert.equal(Number(await r.get("{sec:alpha}:rev")), Number((await alpha.signatures.getSignature({ key })).signature!.revision));
      } finally {
        await s.close();
      }
    });

    it("open mode keeps the keys of a server without namespaces ({<prefix>}), so existing data stays readable", async () => {
      const config = loadConfig({ port: "0", httpPort: "0", redisUrl: redis.url, redisPrefix: "legacy" }, {});
      const s = await startServer(config, { log: () => {}, env: {} });
      try {
        const { signature } = await clientsFor(s, "connect").signatures.createSignature({ taskName: "old" });
        assert.ok(await r.exists(`{legacy}:sig:${signature!.key}`));
      } finally {
        await s.close(500);
      }
    });

    it("a namespace's outbox is drained at start, before any of its callers comes back", async () => {
      const tokens = makeTokens();
      const first = await startSecureServer({ redisUrl: redis.url, redisPrefix: "drain" }, tokens);
      const alpha = clientsFor(first.server, "connect", `Bearer ${tokens.token("alpha", "client")}`);
      const { signature } = await alpha.signatures.createSignature({ taskName: "later" });
      await alpha.signatures.runSignature({ key: signature!.key });
      await first.close(); // its engine never answered: the trigger stays in alpha's outbox
      const dispatcher = new RecordingDispatcher();
      const config = loadConfig({ port: "0", httpPort: "0", redisUrl: redis.url, redisPrefix: "drain", authTokensFile: tokens.file, dispatchClaimIdle: "100ms" }, {});
      const second = await startServer(config, { dispatcher, log: () => {}, env: {} });
      try {
        const deadline = Date.now() + 10_000;
        while (!dispatcher.triggers.some((t) => t.key === signature!.key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const t = dispatcher.triggers.find((x) => x.key === signature!.key);
        assert.ok(t, "the run queued in namespace alpha was not dispatched after the restart");
        assert.equal(t.metadata.mageflow_namespace, "alpha");
      } finally {
        await second.close(500);
      }
    });
  });
});
