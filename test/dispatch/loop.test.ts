import assert from "node:assert/strict";
import { it } from "node:test";
import { DispatchError } from "../../src/dispatch/dispatcher.js";
import { DispatchLoop } from "../../src/dispatch/loop.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import { MemoryStore } from "../../src/store/memory/memory-store.js";
import { defaultOptions } from "../conformance/backends.js";
import { createCmd } from "../support/commands.js";

it("stop does not wait out the backoff of a run the engine keeps refusing; the entry stays for the next server", async () => {
  const store = new MemoryStore(defaultOptions());
  let attempts = 0;
  const engine = new RecordingDispatcher({
    failWith: () => {
      attempts++;
      throw new DispatchError("engine unavailable", false);
    },
  });
  const { record } = await store.create(createCmd());
  await store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
  const loop = new DispatchLoop(store, engine);
  loop.start();
  while (attempts < 5) await new Promise((r) => setTimeout(r, 50));
  // The next retry is 200 ms × 2^5 = 6.4 s away.
  const t0 = Date.now();
  await loop.stop();
  assert.ok(Date.now() - t0 < 2000, `stop took ${Date.now() - t0} ms`);
  assert.equal(attempts, 5);
  assert.equal((await store.get(record.key))!.run!.runId, "", "nothing was dispatched");
  const left = await store.outbox.claimStale("next-server", 0, 10);
  assert.equal(left.length, 1, "the entry is still there for another server");
  await store.close();
});
