import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ServiceError } from "../../src/core/service-error.js";
import { Status, statusName, TRANSITIONS, type TransitionRule } from "../../src/core/status.js";
import { DispatchState } from "../../src/store/record.js";
import type { Store } from "../../src/store/store.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";
import { createCmd } from "../support/commands.js";

type Start = Status | "removed";
const { PENDING, ACTIVE, DONE, FAILED, SUSPENDED, INTERRUPTED, CANCELED } = Status;
const STARTS: Start[] = [PENDING, ACTIVE, DONE, FAILED, SUSPENDED, INTERRUPTED, CANCELED, "removed"];

/** What the transition table (docs/semantics.md) says an operation does from each status: a new status, "noop", or an error reason. */
type Outcome = Status | "noop" | string;
const SPEC: Array<{ op: string; rule: TransitionRule; outcomes: Record<string, Outcome> }> = [
  {
    op: "suspend",
    rule: TRANSITIONS.suspend,
    outcomes: table({ [PENDING]: SUSPENDED, [SUSPENDED]: "noop", [ACTIVE]: "TASK_ALREADY_RUNNING" }),
  },
  {
    op: "resume",
    rule: TRANSITIONS.resume,
    outcomes: table({ [SUSPENDED]: PENDING, [INTERRUPTED]: PENDING, [PENDING]: "noop" }),
  },
  {
    op: "interrupt",
    rule: TRANSITIONS.interrupt,
    outcomes: table({ [PENDING]: INTERRUPTED, [ACTIVE]: INTERRUPTED, [SUSPENDED]: INTERRUPTED, [INTERRUPTED]: "noop" }),
  },
  {
    op: "pause SOFT",
    rule: TRANSITIONS.suspend,
    outcomes: table({ [PENDING]: SUSPENDED, [SUSPENDED]: "noop", [ACTIVE]: "TASK_ALREADY_RUNNING" }),
  },
  {
    op: "pause HARD",
    rule: TRANSITIONS.interrupt,
    outcomes: table({ [PENDING]: INTERRUPTED, [ACTIVE]: INTERRUPTED, [SUSPENDED]: INTERRUPTED, [INTERRUPTED]: "noop" }),
  },
  {
    op: "cancel",
    rule: TRANSITIONS.cancel,
    outcomes: table({ [PENDING]: CANCELED, [ACTIVE]: CANCELED, [SUSPENDED]: CANCELED, [INTERRUPTED]: CANCELED }),
  },
];

/** Unlisted statuses are refused with INVALID_TRANSITION; a removed signature with SIGNATURE_REMOVED. */
function table(listed: Partial<Record<Status, Outcome>>): Record<string, Outcome> {
  const out: Record<string, Outcome> = { removed: "SIGNATURE_REMOVED" };
  for (const s of STARTS) if (s !== "removed") out[s] = listed[s] ?? "INVALID_TRANSITION";
  return out;
}

const startName = (s: Start) => (s === "removed" ? "removed" : statusName(s));

/** Brings a new, dispatched signature to `start` through the store API; returns its key. */
async function reach(store: Store, start: Start): Promise<string> {
  const key = `TaskSignature:${randomUUID()}`;
  await store.create(createCmd({ key, taskName: "lifecycle" }));
  if (start === "removed") {
    await store.remove(key, true, true, {});
    return key;
  }
  await store.run({ key, input: { x: 1 }, metadata: {}, requestId: "", guard: {} });
  await store.markDispatched(key, 1, `run-${key}`, undefined);
  const runId = `run-${key}`;
  if (start === SUSPENDED) await store.transition(key, TRANSITIONS.suspend, {});
  if (start === CANCELED) await store.transition(key, TRANSITIONS.cancel, {});
  if (start === PENDING || start === SUSPENDED || start === CANCELED) return key;
  await store.startTask(key, runId, 1, {});
  if (start === INTERRUPTED) await store.transition(key, TRANSITIONS.interrupt, {});
  if (start === DONE) await store.completeTask(key, runId, { ok: true }, {});
  if (start === FAILED) await store.failTask(key, runId, { message: "boom", type: "Error", attempt: 1 }, true, {});
  return key;
}

for (const b of backends()) {
  describe(`lifecycle table (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    let store: Store;
    before(async () => {
      store = await b.open();
    });
    after(() => b.shutdown());

    it("reaches every start status through the store API", async () => {
      for (const s of STARTS) {
        const rec = await store.get(await reach(store, s));
        assert.ok(rec);
        if (s === "removed") assert.equal(rec.removed, true);
        else assert.equal(rec.status, s, startName(s));
      }
    });

    for (const { op, rule, outcomes } of SPEC) {
      for (const start of STARTS) {
        const expected = outcomes[start];
        it(`${op} from ${startName(start)} → ${typeof expected === "number" ? statusName(expected) : expected}`, async () => {
          const key = await reach(store, start);
          const before = (await store.get(key))!;
          const revBefore = await store.currentRevision();
          let outcome: Awaited<ReturnType<Store["transition"]>> | ServiceError;
          try {
            outcome = await store.transition(key, rule, {});
          } catch (e) {
            if (!(e instanceof ServiceError)) throw e;
            outcome = e;
          }
          const after = (await store.get(key))!;

          if (typeof expected === "number") {
            assert.ok(!(outcome instanceof ServiceError), `refused: ${outcome instanceof ServiceError && outcome.reason}`);
            assert.equal(outcome.changed, true);
            assert.equal(after.status, expected);
            assert.equal(after.lastStatus, before.status);
            assert.equal(await store.currentRevision(), revBefore + 1);
            assert.equal(after.revision, revBefore + 1);
            assert.deepEqual(outcome.record, after);
            if (rule.redispatch) {
              assert.equal(after.run?.attempt, before.run!.attempt + 1);
              assert.equal(after.run?.runId, "");
              assert.equal(after.run?.dispatchState, DispatchState.QUEUED);
            }
            return;
          }
          assert.equal(await store.currentRevision(), revBefore, "no revision used");
          assert.deepEqual(after, before, "nothing written");
          if (expected === "noop") {
            assert.ok(!(outcome instanceof ServiceError), `refused: ${outcome instanceof ServiceError && outcome.reason}`);
            assert.equal(outcome.changed, false);
            assert.deepEqual(outcome.record, before);
            return;
          }
          assert.ok(outcome instanceof ServiceError, "must be refused");
          assert.equal(outcome.code, Code.FailedPrecondition);
          assert.equal(outcome.reason, expected);
          if (start !== "removed") assert.equal(outcome.metadata.current_status, statusName(start));
        });
      }
    }

    it("cancel retires both callback trees below the signature in one revision", async () => {
      const mk = async (o: { succ?: string[]; err?: string[] } = {}) => {
        const key = `TaskSignature:${randomUUID()}`;
        await store.create(createCmd({ key, taskName: "lifecycle", successCallbacks: o.succ ?? [], errorCallbacks: o.err ?? [], returnFieldName: "r" }));
        return key;
      };
      const grandchild = await mk();
      const onSuccess = await mk({ err: [grandchild] });
      const onError = await mk();
      const key = await mk({ succ: [onSuccess], err: [onError] });
      const res = await store.transition(key, TRANSITIONS.cancel, {});
      const rev = res.record.revision;
      for (const k of [onSuccess, onError, grandchild]) {
        const r = (await store.get(k))!;
        assert.equal(r.removed, true, k);
        assert.equal(r.revision, rev, "one step, one revision");
        assert.equal(r.status, PENDING, "a retired signature keeps its status");
      }
      const events = (await store.events.range(rev, 100)).filter((e) => e.revision === rev);
      assert.deepEqual(
        events.map((e) => [e.type, e.key]).sort(),
        [[4, key], [9, onSuccess], [9, onError], [9, grandchild]].sort(),
      );
    });
  });
}
