import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  assertWatchHistory,
  checkAtomic,
  checkBookmarkable,
  checkOrdered,
  checkReliable,
  checkResumable,
  checkSameOrder,
  checkSnapshotThenLive,
  checkUnique,
  INITIAL,
  type WEvent,
  type WMessage,
  type WSession,
} from "../support/watch-validator.js";

// Each validator gets a good history (no violations) and a bad one it must reject.

const CREATED = 2;
const UPDATED = 3;
const REMOVED = 9;
const ev = (revision: number, key = `k${revision}`, type = CREATED, taskName = "t", status = 1): WEvent => ({ revision, key, type, taskName, status });
const msg = (...events: WEvent[]): WMessage => ({ revision: Math.max(0, ...events.map((e) => e.revision)), bookmark: false, events });
const bookmark = (revision: number): WMessage => ({ revision, bookmark: true, events: [] });
const session = (startRevision: number, ...messages: WMessage[]): WSession => ({ startRevision, messages, end: { code: "OK" } });

/** A log: revision 3 has two events (a remove with a callback). */
const LOG = [ev(1), ev(2), ev(3, "a", REMOVED), ev(3, "b", REMOVED), ev(4), ev(5)];

describe("watch validator", () => {
  test("ordered: accepts increasing revisions, rejects going back or repeating across messages", () => {
    assert.deepEqual(checkOrdered([msg(ev(1)), msg(ev(3, "a"), ev(3, "b")), bookmark(3), msg(ev(4))]), []);
    assert.ok(checkOrdered([msg(ev(2)), msg(ev(1))]).length > 0);
    assert.equal(checkOrdered([msg(ev(2)), msg(ev(2, "other"))]).length, 1, "the same revision in a later message is not strictly increasing");
    assert.ok(checkOrdered([msg(ev(3), ev(2))]).length > 0, "decreasing inside one message");
    assert.ok(checkOrdered([{ revision: 1, bookmark: false, events: [ev(2)] }]).length > 0, "message revision below its events");
    assert.ok(checkOrdered([bookmark(5), bookmark(4)]).length > 0, "progress goes back");
  });

  test("unique: rejects an event delivered twice", () => {
    assert.deepEqual(checkUnique([msg(ev(1)), msg(ev(2))]), []);
    assert.equal(checkUnique([msg(ev(1)), msg(ev(2)), msg(ev(1))]).length, 1);
    // INITIAL snapshot entries are not live events: a key may be in the snapshot and change later.
    assert.deepEqual(checkUnique([msg({ ...ev(1), type: INITIAL }), msg(ev(1))]), []);
  });

  test("atomic: rejects a revision split across messages or delivered partly", () => {
    assert.deepEqual(checkAtomic([msg(ev(3, "a", REMOVED), ev(3, "b", REMOVED))], LOG), []);
    assert.equal(checkAtomic([msg(ev(3, "a", REMOVED)), msg(ev(3, "b", REMOVED))]).length, 1);
    assert.equal(checkAtomic([msg(ev(3, "a", REMOVED))], LOG).length, 1, "b's event of revision 3 is missing");
    // With a filter that excludes b, delivering only a is whole.
    assert.deepEqual(checkAtomic([msg(ev(3, "a", REMOVED))], LOG, (e) => e.key !== "b"), []);
  });

  test("bookmarkable: rejects a bookmark behind delivered events or ahead of later ones", () => {
    assert.deepEqual(checkBookmarkable([msg(ev(1)), bookmark(2), msg(ev(3))]), []);
    assert.equal(checkBookmarkable([msg(ev(4)), bookmark(3)]).length, 1, "behind");
    assert.equal(checkBookmarkable([bookmark(3), msg(ev(3))]).length, 1, "an event at the bookmark's revision after it");
    assert.equal(checkBookmarkable([{ revision: 3, bookmark: true, events: [ev(3)] }]).length, 1, "a bookmark with events");
  });

  test("resumable: rejects a resume that skips or repeats, or a wrong resume_revision", () => {
    const first = session(1, msg(ev(1)), msg(ev(2)));
    assert.deepEqual(checkResumable([first, session(3, msg(ev(3, "a", REMOVED), ev(3, "b", REMOVED)))]), []);
    assert.equal(checkResumable([first, session(4, msg(ev(4)))]).length, 1, "skips revision 3");
    assert.ok(checkResumable([first, session(2, msg(ev(2)))]).length > 0, "repeats revision 2");
    assert.ok(checkResumable([first, session(3, msg(ev(1)))]).length > 0, "delivers before its start");
    const tooSlow: WSession = { ...first, end: { code: "RESOURCE_EXHAUSTED", metadata: { resume_revision: "5" } } };
    assert.equal(checkResumable([tooSlow]).length, 1, "resume_revision 5 after seeing only 2");
    assert.deepEqual(checkResumable([{ ...first, end: { code: "RESOURCE_EXHAUSTED", metadata: { resume_revision: "3" } } }]), []);
    // A session that saw nothing still counts its start.
    assert.deepEqual(checkResumable([session(3), session(3, msg(ev(3, "a", REMOVED), ev(3, "b", REMOVED)))]), []);
  });

  test("reliable: rejects a missed revision, a phantom event and a filtered-out event", () => {
    const full = [msg(ev(1)), msg(ev(2)), msg(ev(3, "a", REMOVED), ev(3, "b", REMOVED)), msg(ev(4)), msg(ev(5))];
    assert.deepEqual(checkReliable({ name: "c", sessions: [session(1, ...full)] }, LOG), []);
    const gap = [full[0], full[1], full[3], full[4]];
    assert.equal(checkReliable({ name: "c", sessions: [session(1, ...gap)] }, LOG).length, 2, "both events of revision 3 missed");
    // A gap between sessions is a miss too, even though each session is fine on its own.
    const split = [session(1, full[0], full[1]), session(4, full[3], full[4])];
    assert.equal(checkReliable({ name: "c", sessions: split }, LOG).length, 2);
    assert.equal(checkReliable({ name: "c", sessions: [session(1, msg(ev(1)), msg(ev(9)))] }, LOG).filter((v) => v.includes("not in the store")).length, 1);
    const onlyB = (e: WEvent) => e.key === "b";
    assert.deepEqual(checkReliable({ name: "f", filter: onlyB, sessions: [session(1, { ...msg(ev(3, "b", REMOVED)), revision: 5 })] }, LOG), []);
    assert.equal(checkReliable({ name: "f", filter: onlyB, sessions: [session(1, msg(ev(1)), msg(ev(3, "b", REMOVED)))] }, LOG).length, 1, "1 is filtered out");
    // Only what the client was told it had seen must be there: stopping at 2 is not a miss of 3.
    assert.deepEqual(checkReliable({ name: "c", sessions: [session(1, full[0], full[1])] }, LOG), []);
    // ... but a bookmark at 5 claims everything up to 5.
    assert.equal(checkReliable({ name: "c", sessions: [session(1, full[0], full[1], bookmark(5))] }, LOG).length, 4);
  });

  test("snapshot then live: rejects a duplicate, a gap and a missing key", () => {
    const log = [ev(1, "a"), ev(2, "b"), ev(3, "a", UPDATED), ev(4, "c"), ev(5, "b", UPDATED)];
    const init = (e: WEvent) => ({ ...e, type: INITIAL });
    // Snapshot read after revision 3 although the bookmark says 2: a's update at 3 is covered by the snapshot.
    const good = session(0, { revision: 0, bookmark: false, events: [init(ev(3, "a")), init(ev(2, "b"))] }, bookmark(2), msg(ev(4, "c")), msg(ev(5, "b", UPDATED)));
    assert.deepEqual(checkSnapshotThenLive(good, log), []);
    const dup = session(0, good.messages[0], bookmark(2), msg(ev(3, "a", UPDATED)), msg(ev(4, "c")), msg(ev(5, "b", UPDATED)));
    assert.equal(checkSnapshotThenLive(dup, log).length, 1);
    const gap = session(0, good.messages[0], bookmark(2), msg(ev(5, "b", UPDATED)));
    assert.equal(checkSnapshotThenLive(gap, log).length, 1, "c's creation at 4 is lost");
    const missing = session(0, { revision: 0, bookmark: false, events: [init(ev(3, "a"))] }, bookmark(2), msg(ev(4, "c")));
    assert.equal(checkSnapshotThenLive(missing, log).length, 1, "b existed at 2 and is not in the snapshot");
    assert.equal(checkSnapshotThenLive(session(0, good.messages[0]), log).length, 1, "no bookmark");
  });

  test("same order: rejects a watcher that sees another order", () => {
    const ref = [ev(1), ev(2), ev(3, "a"), ev(3, "b"), ev(4)];
    assert.deepEqual(checkSameOrder(ref, [ev(3, "a"), ev(3, "b"), ev(4)], 3), []);
    assert.equal(checkSameOrder(ref, [ev(3, "a"), ev(4)], 3).length, 1);
  });

  test("assertWatchHistory reports every client's violations", () => {
    const good = { name: "good", sessions: [session(1, msg(ev(1)), msg(ev(2)), msg(ev(3, "a", REMOVED), ev(3, "b", REMOVED)))] };
    assert.doesNotThrow(() => assertWatchHistory([good], LOG));
    const bad = { name: "bad", sessions: [session(1, msg(ev(2)), msg(ev(1)))] };
    assert.throws(() => assertWatchHistory([good, bad], LOG), /bad.*ordered/s);
  });
});
