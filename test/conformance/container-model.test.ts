import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import { ServiceError } from "../../src/core/service-error.js";
import { Status, TRANSITIONS } from "../../src/core/status.js";
import { ContainerKind, DispatchState, type SignatureRecord } from "../../src/store/record.js";
import type { Store } from "../../src/store/store.js";
import { containerDriver } from "../support/containers.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";

/*
 * Random chains and swarms under concurrent worker reports (with duplicates, as from a crashed worker that
 * reports again), suspends, interrupts and resumes. After every batch: no limit is exceeded and the swarm's
 * counter equals the children it holds slots for. At the end: each child ended at most once, the container
 * ended exactly once, with the result the reports imply, and its counters are back to zero.
 */

const { PENDING, ACTIVE, DONE, FAILED, SUSPENDED, INTERRUPTED, CANCELED } = Status;
const TERMINAL = [DONE, FAILED, CANCELED];

type Action = { kind: "report"; child: number; ok: boolean; copies: number } | { kind: "pause"; hard: boolean } | { kind: "resume" };

const actionArb = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant("report" as const), child: fc.nat(30), ok: fc.boolean(), copies: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pause" as const), hard: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("resume" as const) }) },
);

const scenarioArb = fc.record({
  swarm: fc.boolean(),
  children: fc.integer({ min: 2, max: 8 }),
  maxConcurrency: fc.integer({ min: 1, max: 4 }),
  stop: fc.integer({ min: 0, max: 3 }),
  batches: fc.array(fc.array(actionArb, { minLength: 1, maxLength: 4 }), { maxLength: 12 }),
});

const tolerated = (e: unknown) => {
  if (!(e instanceof ServiceError)) throw e;
};

for (const b of backends()) {
  describe(`container model (${b.name})`, { skip: b.name !== "memory" ? redisSkipReason() : undefined }, () => {
    after(() => b.shutdown());

    it("no child runs twice, no limit is exceeded, each container ends exactly once with the right result, counters return to zero", async () => {
      const store: Store = await b.open();
      const d = containerDriver(store);
      await fc.assert(
        fc.asyncProperty(scenarioArb, async (sc) => {
          const startRevision = (await store.currentRevision()) + 1;
          const kids = await Promise.all(Array.from({ length: sc.children }, () => d.task()));
          const c = sc.swarm
            ? await d.swarm(kids, { maxConcurrency: sc.maxConcurrency, stopAfterNFailures: sc.stop }, { closed: true })
            : await d.chain(kids);
          await store.run({ key: c.key, message: { m: 1 }, metadata: {}, requestId: "", guard: {} });

          /** A worker's report for child i: start the run if needed, then complete or fail it, `copies` times at once. */
          const report = async (i: number, ok: boolean, copies: number) => {
            const r = (await store.get(kids[i]))!;
            if (!r.run || r.run.dispatchState === DispatchState.PARKED || TERMINAL.includes(r.status)) return;
            const runId = r.run.runId || `run-${r.key}-${r.run.attempt}`;
            if (!r.run.runId) await store.markDispatched(r.key, r.run.attempt, runId, {}).catch(tolerated);
            const s = await store.startTask(r.key, runId, 1, {}).catch((e) => (tolerated(e), undefined));
            if (!s?.run) return;
            const err = { message: "boom", type: "E", attempt: 1 };
            await Promise.all(
              Array.from({ length: copies }, () =>
                (ok ? store.completeTask(r.key, runId, r.key, {}) : store.failTask(r.key, runId, err, true, {})).catch(tolerated),
              ),
            );
          };
          const act = async (a: Action) => {
            if (a.kind === "report") return report(a.child % sc.children, a.ok, a.copies);
            const rule = a.kind === "resume" ? TRANSITIONS.resume : a.hard ? TRANSITIONS.interrupt : TRANSITIONS.suspend;
            await store.transition(c.key, rule, {}).catch(tolerated);
          };
          const check = async () => {
            const [cr, ...rs] = (await store.getMany([c.key, ...kids])) as SignatureRecord[];
            const holding = rs.filter((r) => r.run && !TERMINAL.includes(r.status));
            if (sc.swarm) {
              assert.ok(holding.length <= sc.maxConcurrency, `${holding.length} children hold slots, limit ${sc.maxConcurrency}`);
              assert.equal(cr.container!.inFlight, holding.length, "the swarm's counter is the number of children holding a slot");
            } else {
              assert.ok(holding.length <= 1, "a chain runs one step at a time");
              rs.slice(cr.container!.step + 1).forEach((r) => assert.equal(r.run, undefined, "later steps have not run"));
            }
          };

          for (const batch of sc.batches) {
            await Promise.all(batch.map(act));
            await check();
          }
          // Drive to the end: resume, then every remaining child succeeds.
          for (let guard = 0; guard < 100 && !TERMINAL.includes(await d.status(c.key)); guard++) {
            await act({ kind: "resume" });
            const [cr, ...rs] = (await store.getMany([c.key, ...kids])) as SignatureRecord[];
            assert.ok([PENDING, ACTIVE, SUSPENDED, INTERRUPTED].includes(cr.status));
            await Promise.all(rs.map((r, i) => (r.run ? report(i, true, 1) : undefined)));
            await check();
          }

          const events = (await store.events.range(startRevision, 1_000_000)).filter((e) => e.type === EventType.STATUS_CHANGED);
          const ends = (k: string) => events.filter((e) => e.key === k && TERMINAL.includes(e.record.status));
          const [cr, ...rs] = (await store.getMany([c.key, ...kids])) as SignatureRecord[];
          assert.equal(ends(c.key).length, 1, "the container ended exactly once");
          for (const k of kids) assert.ok(ends(k).length <= 1, `${k} ended at most once`);
          const childEnds = events.filter((e) => kids.includes(e.key) && TERMINAL.includes(e.record.status) && e.revision <= ends(c.key)[0].revision);
          const failedBefore = childEnds.filter((e) => e.record.status === FAILED).length;
          if (sc.swarm) {
            assert.equal(cr.container!.inFlight, 0);
            assert.equal(cr.container!.ended, kids.length);
            const doneOrder = childEnds.filter((e) => e.record.status === DONE).map((e) => e.key);
            if (sc.stop > 0 && failedBefore >= sc.stop) {
              assert.equal(cr.status, FAILED);
              assert.equal(failedBefore, sc.stop, "the swarm failed at the threshold, not later");
            } else {
              assert.equal(cr.status, DONE);
              assert.deepEqual(cr.run?.result, doneOrder, "results in the order the children ended");
            }
          } else if (failedBefore > 0) {
            assert.equal(cr.status, FAILED);
            const at = rs.findIndex((r) => r.status === FAILED);
            rs.slice(at + 1).forEach((r) => assert.equal(r.run, undefined, "steps after the failure never ran"));
          } else {
            assert.equal(cr.status, DONE);
            assert.equal(cr.run?.result, kids[kids.length - 1]);
            assert.ok(rs.every((r) => r.status === DONE));
          }
          assert.ok(cr.container!.kind === (sc.swarm ? ContainerKind.SWARM : ContainerKind.CHAIN));
        }),
        { numRuns: b.name === "memory" ? 60 : 15 },
      );
    });
  });
}
