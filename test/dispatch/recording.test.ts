import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DispatchError, type TriggerRequest } from "../../src/dispatch/dispatcher.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";

const request = (key: string): TriggerRequest => ({
  key,
  taskName: "resize",
  input: { image: { id: 7 }, sizes: [1, 2] },
  metadata: { task_id: key },
  attempt: 1,
});

describe("RecordingDispatcher", () => {
  it("answers synthetic run ids and records a snapshot of every trigger", async () => {
    const d = new RecordingDispatcher();
    const req = request("TaskSignature:a");
    const first = await d.trigger(req);
    const second = await d.trigger(request("TaskSignature:b"));

    assert.match(first.runId, /^rec-[0-9a-f-]{36}$/);
    assert.notEqual(first.runId, second.runId);
    (req.input.image as { id: number }).id = 99;
    assert.deepEqual(d.triggers[0], { ...request("TaskSignature:a"), runId: first.runId });
    assert.deepEqual(
      d.triggers.map((t) => t.key),
      ["TaskSignature:a", "TaskSignature:b"],
    );
  });

  it("records cancels in order", async () => {
    const d = new RecordingDispatcher();
    await d.cancel("rec-1");
    await d.cancel("rec-2");
    assert.deepEqual(d.cancels, ["rec-1", "rec-2"]);
  });

  it("fails calls through failWith without recording them", async () => {
    let failures = 1;
    const d = new RecordingDispatcher({
      failWith: (call) => {
        if (call.op === "trigger" && failures-- > 0) throw new DispatchError("engine down", false);
        if (call.op === "cancel") throw new DispatchError("unknown run", true);
      },
    });
    await assert.rejects(d.trigger(request("k")), (e: unknown) => e instanceof DispatchError && !e.permanent);
    assert.equal(d.triggers.length, 0);
    await d.trigger(request("k"));
    assert.equal(d.triggers.length, 1);
    await assert.rejects(d.cancel("rec-x"), (e: unknown) => e instanceof DispatchError && e.permanent);
    assert.deepEqual(d.cancels, []);
  });

  it("can be made slow", async () => {
    const d = new RecordingDispatcher({ failWith: () => sleep(150) });
    const started = Date.now();
    await d.trigger(request("k"));
    assert.ok(Date.now() - started >= 140);
  });

  it("refuses calls after close", async () => {
    const d = new RecordingDispatcher();
    await d.close();
    await assert.rejects(d.trigger(request("k")), DispatchError);
  });
});
