import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import type { ServiceError } from "../../src/core/service-error.js";
import { ContainerKind } from "../../src/store/record.js";
import type { Store } from "../../src/store/store.js";
import { createCmd } from "../support/commands.js";
import { containerDriver } from "../support/containers.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";

const quotaRefusal = (quota: string, limit: number) => (e: unknown) => {
  const se = e as ServiceError;
  return se.code === Code.ResourceExhausted && se.reason === "QUOTA_EXCEEDED" && se.metadata.quota === quota && se.metadata.limit === String(limit);
};
const blob = (n: number) => ({ blob: "x".repeat(n) });

/** Everything a refused step could have half written: the revision, the stored keys, and the given signatures as they are. */
async function snapshot(store: Store, keys: string[]) {
  return {
    revision: await store.currentRevision(),
    listed: (await store.list({ statuses: [], taskName: "", pageSize: 1000 })).records.map((r) => r.key).sort(),
    records: await store.getMany(keys),
  };
}

// CreateChain, CreateSwarm and AddSwarmTasks store several signatures in one step: the container and its inline
// children are new, adopted children grow by the container's kwargs. The namespace's quotas count them all.
for (const b of backends()) {
  describe(`container creation under the namespace quotas (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    after(() => b.shutdown());

    it("QUOTA_SIGNATURES counts the container and its inline children: one over is refused whole, exactly at the limit is accepted", async () => {
      const store = await b.open({ quota: { signatures: 3, bytes: 0 } });
      const d = containerDriver(store);
      const step = await d.task();
      const before = await snapshot(store, [step]);
      const steps = [{ key: step }, { create: createCmd() }, { create: createCmd() }];
      await assert.rejects(d.container(ContainerKind.CHAIN, steps), quotaRefusal("signatures", 3), "1 stored + chain + 2 inline = 4");
      assert.deepEqual(await snapshot(store, [step]), before, "nothing written: no chain, no inline step, the existing step not adopted");

      const chain = await d.container(ContainerKind.CHAIN, [{ key: step }, { create: createCmd() }]);
      assert.equal(chain.container!.children.length, 2, "1 stored + chain + 1 inline = 3: at the limit");
      assert.equal((await store.get(step))!.containerKey, chain.key);
      await assert.rejects(d.swarm([], { maxConcurrency: 1 }), quotaRefusal("signatures", 3), "even an empty swarm is one more signature");
    });

    it("AddSwarmTasks over QUOTA_SIGNATURES is refused whole: the swarm keeps its children, no child is written", async () => {
      const store = await b.open({ quota: { signatures: 3, bytes: 0 } });
      const d = containerDriver(store);
      const swarm = await d.swarm([await d.task()], { maxConcurrency: 1 });
      const before = await snapshot(store, [swarm.key]);
      await assert.rejects(
        store.addChildren({ key: swarm.key, children: [{ create: createCmd() }, { create: createCmd() }], close: true, guard: {} }),
        quotaRefusal("signatures", 3),
      );
      assert.deepEqual(await snapshot(store, [swarm.key]), before, "nothing written, not even the close");
      const { added } = await store.addChildren({ key: swarm.key, children: [{ create: createCmd() }], close: false, guard: {} });
      assert.equal(added.length, 1, "one more fits");
      assert.deepEqual((await store.get(swarm.key))!.container!.children.length, 2);
    });

    it("QUOTA_BYTES counts inline children and the container's kwargs merged into adopted children; a refusal leaves them as they were", async () => {
      const store = await b.open({ quota: { signatures: 0, bytes: 60_000 } });
      const d = containerDriver(store);
      const steps = [await d.task({ kwargs: { own: 1 } }), await d.task({ kwargs: { own: 2 } })];
      const before = await snapshot(store, steps);
      // Each adopted step gets the chain's 20 kB of kwargs, and the chain holds them itself: about 60 kB more.
      await assert.rejects(d.chain(steps, { kwargs: blob(20_000) }), quotaRefusal("bytes", 60_000));
      assert.deepEqual(await snapshot(store, steps), before, "the steps keep their kwargs and stay out of any container");
      await assert.rejects(d.container(ContainerKind.SWARM, [{ create: createCmd({ kwargs: blob(70_000) }) }], { config: { maxConcurrency: 1, stopAfterNFailures: 0, maxTasks: 10, sendMessage: false } }), quotaRefusal("bytes", 60_000));
      assert.deepEqual(await snapshot(store, steps), before);

      const swarm = await d.swarm([], { maxConcurrency: 1 }, { kwargs: blob(25_000) });
      const open = await snapshot(store, [swarm.key, ...steps]);
      await assert.rejects(
        store.addChildren({ key: swarm.key, children: steps.map((key) => ({ key })), close: false, guard: {} }),
        quotaRefusal("bytes", 60_000),
        "adopting both would add 2 × 25 kB of merged kwargs",
      );
      assert.deepEqual(await snapshot(store, [swarm.key, ...steps]), open);
      await store.addChildren({ key: swarm.key, children: [{ key: steps[0]! }], close: false, guard: {} });
      assert.equal(((await store.get(steps[0]!))!.kwargs.blob as string).length, 25_000, "one fits, with the swarm's kwargs merged in");
    });
  });
}
