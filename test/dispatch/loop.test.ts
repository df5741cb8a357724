import assert from "node:assert/strict";
import { it } from "node:test";
import { DispatchError } from "../../src/dispatch/dispatcher.js";
import { DispatchLoop } from "../../src/dispatch/loop.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { DispatchState } from "../../src/store/record.js";
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

it("a store failure while recording a permanent dispatch failure is retried, not left as an unhandled rejection", async () => {
  const store = new MemoryStore(defaultOptions());
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on("unhandledRejection", onUnhandled);
  const engine = new RecordingDispatcher({
    failWith: () => {
      throw new DispatchError("no such workflow", true, "WORKFLOW_NOT_FOUND");
    },
  });
  const { record } = await store.create(createCmd());
  await store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
  const failDispatch = store.failDispatch.bind(store);
  let failures = 0;
  store.failDispatch = async (...args: Parameters<typeof store.failDispatch>) => {
    if (failures++ === 0) throw new Error("store unreachable");
    return failDispatch(...args);
  };
  const loop = new DispatchLoop(store, engine);
  loop.start();
  try {
    const deadline = Date.now() + 5000;
    while ((await store.get(record.key))!.status !== Status.FAILED) {
      assert.ok(Date.now() < deadline, `never recorded; unhandled: ${unhandled.map(String).join("; ")}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setImmediate(r));
    assert.equal(failures, 2, "recorded on the second try");
    assert.deepEqual(unhandled, []);
  } finally {
    process.off("unhandledRejection", onUnhandled);
    await loop.stop();
    await store.close();
  }
});

it("a retried trigger reads the signature anew: a run suspended while the engine was down is never sent", async () => {
  const store = new MemoryStore(defaultOptions());
  let refusals = 0;
  const engine = new RecordingDispatcher({
    failWith: (c) => {
      if (c.op === "trigger" && refusals++ === 0) throw new DispatchError("engine unavailable", false);
    },
  });
  const { record } = await store.create(createCmd());
  const get = store.get.bind(store);
  const reads: string[] = [];
  store.get = async (key: string) => {
    reads.push(key);
    return get(key);
  };
  await store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
  const loop = new DispatchLoop(store, engine);
  loop.start();
  try {
    while (refusals === 0) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(reads, [], "the first attempt used the signature its entry carries");
    await store.transition(record.key, TRANSITIONS.suspend, {});
    const deadline = Date.now() + 5000;
    while (reads.length === 0) {
      assert.ok(Date.now() < deadline, "the retry came");
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(engine.triggers, [], "nothing reached the engine");
    const r = (await get(record.key))!;
    assert.equal(r.run?.dispatchState, DispatchState.PARKED);
    assert.deepEqual(await store.outbox.claimStale("next-server", 0, 10), [], "the entry is retired");
  } finally {
    await loop.stop();
    await store.close();
  }
});

it("a store failure after the engine accepted a run records that run on retry, without triggering it again", async () => {
  const store = new MemoryStore(defaultOptions());
  const engine = new RecordingDispatcher();
  const { record } = await store.create(createCmd());
  await store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
  const markDispatched = store.markDispatched.bind(store);
  let failures = 0;
  store.markDispatched = async (...args: Parameters<typeof store.markDispatched>) => {
    if (failures++ < 2) throw new Error("Command aborted due to connection close");
    return markDispatched(...args);
  };
  const loop = new DispatchLoop(store, engine);
  loop.start();
  try {
    const deadline = Date.now() + 5000;
    while (!(await store.get(record.key))!.run!.runId) {
      assert.ok(Date.now() < deadline, "the run was never recorded");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(failures, 3, "recorded on the third try");
    assert.equal(engine.triggers.length, 1, "the engine saw one run");
    assert.equal((await store.get(record.key))!.run!.runId, engine.triggers[0].runId);
    assert.equal((await store.outbox.stats()).entries, 0, "the entry is retired");
  } finally {
    await loop.stop();
    await store.close();
  }
});

it("while the engine refuses, at most maxInFlight entries are held in the process; the rest wait in the store", async () => {
  const store = new MemoryStore(defaultOptions());
  const tried = new Set<string>();
  const engine = new RecordingDispatcher({
    failWith: (c) => {
      if (c.op === "trigger") tried.add(c.req.key);
      throw new DispatchError("engine unavailable", false);
    },
  });
  for (let i = 0; i < 20; i++) {
    const { record } = await store.create(createCmd());
    await store.run({ key: record.key, input: {}, metadata: {}, requestId: "", guard: {} });
  }
  const loop = new DispatchLoop(store, engine, { maxInFlight: 5 });
  loop.start();
  try {
    const deadline = Date.now() + 5000;
    while (tried.size < 5) {
      assert.ok(Date.now() < deadline, `only ${tried.size} tried`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(tried.size, 5, "only the entries in flight were tried");
  } finally {
    await loop.stop();
    await store.close();
  }
});
