import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Status } from "../../src/core/status.js";
import { ContainerKind } from "../../src/store/record.js";
import { createCmd } from "../support/commands.js";
import { containerDriver } from "../support/containers.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";

// A swarm's events stay the same size whatever its number of children: an event's record leaves out the
// container's children and gathered results (EVENT_OMITTED_FIELDS), so a swarm's history grows linearly.
for (const b of backends()) {
  describe(`container events (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    after(() => b.shutdown());

    it("the largest event of a swarm of 300 is no bigger than one of a swarm of 10; the stored swarm keeps its children and results", async () => {
      const store = await b.open({ historyMax: 100_000 });
      const d = containerDriver(store);
      const largest = async (n: number) => {
        const from = (await store.currentRevision()) + 1;
        const swarm = await d.container(ContainerKind.SWARM, Array.from({ length: n }, () => ({ create: createCmd() })), {
          closed: true,
          config: { maxConcurrency: 5, stopAfterNFailures: 0, maxTasks: 10_000, sendMessage: false },
        });
        await store.run({ key: swarm.key, message: {}, metadata: {}, requestId: "", guard: {} });
        for (const [i, k] of swarm.container!.children.entries()) await d.complete(k, { i });
        const done = (await store.get(swarm.key))!;
        assert.equal(done.status, Status.DONE);
        assert.equal(done.container!.children.length, n, "the stored swarm keeps its children");
        assert.equal((done.run!.result as unknown[]).length, n, "and its results");
        const events = (await store.events.range(from, 1_000_000)).filter((e) => e.key === swarm.key);
        assert.ok(events.length >= n, `the swarm changed with each child (${events.length} events)`);
        for (const e of events) assert.deepEqual(e.record.container!.children, [], "an event's record leaves the children out");
        return Math.max(...events.filter((e) => e.record.status !== Status.DONE).map((e) => JSON.stringify(e.record).length));
      };
      const small = await largest(10);
      const big = await largest(300);
      assert.ok(big <= small + 64, `largest event before the end: ${big} bytes for 300 children vs ${small} for 10`);
    });
  });
}
