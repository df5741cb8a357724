import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { ServiceError } from "../../src/core/service-error.js";
import type { JsonObject } from "../../src/core/json.js";
import { LEGAL_STATUS_CHANGES, Status, TRANSITIONS } from "../../src/core/status.js";
import { DispatchState } from "../../src/store/record.js";
import type { StoredEvent, Store } from "../../src/store/store.js";
import { redisSkipReason } from "../support/redis-server.js";
import { backends } from "./backends.js";
import { createCmd } from "../support/commands.js";

/*
 * Several clients run random operations concurrently against one store. Afterwards the event log
 * is replayed, revision by revision, through a small model of the transition table (docs/semantics.md) written independently of
 * src/core/status.ts: every accepted change must be legal in the model and produce exactly the
 * logged records; every refusal, skip and no-op must be what the model answers at some state the
 * operation could have seen; the final state must equal the model's.
 */

const { PENDING, ACTIVE, DONE, FAILED, SUSPENDED, INTERRUPTED, CANCELED } = Status;
const KEYS = ["A", "B", "C", "D"] as const;
type Key = (typeof KEYS)[number];
/** The callback graph: A's success/error callbacks are B/C; D's success callback is A. */
const GRAPH: Record<Key, { succ: Key[]; err: Key[] }> = {
  A: { succ: ["B"], err: ["C"] },
  B: { succ: [], err: [] },
  C: { succ: [], err: [] },
  D: { succ: ["A"], err: [] },
};

// ---- the model ------------------------------------------------------------------------------

interface Sig {
  status: Status;
  lastStatus: Status;
  removed: boolean;
  attempt: number;
  runId: string;
  dispatchState: DispatchState;
  kwargs: JsonObject;
  runRequestId: string;
}
type State = Record<Key, Sig>;

type Lifecycle = "suspend" | "resume" | "interrupt" | "cancel";
type Call =
  | { t: Lifecycle; k: Key }
  | { t: "run"; k: Key; requestId: string }
  | { t: "update"; k: Key; v: string }
  | { t: "remove"; k: Key; withError: boolean; withSuccess: boolean }
  | { t: "dispatch"; k: Key; attempt: number; runId: string }
  | { t: "start"; k: Key; runId: string }
  | { t: "complete"; k: Key; runId: string }
  | { t: "fail"; k: Key; runId: string; final: boolean };

type Answer =
  | { kind: "change"; next: State; keys: Set<Key> }
  | { kind: "noop" }
  | { kind: "none" }
  | { kind: "refused"; reason: string }
  | { kind: "skip"; reason: string };

/** The transition table of docs/semantics.md, literally. */
const RULES: Record<Lifecycle, { from: Status[]; to: Status; noop: Status[]; reasons?: Partial<Record<Status, string>> }> = {
  suspend: { from: [PENDING], to: SUSPENDED, noop: [SUSPENDED], reasons: { [ACTIVE]: "TASK_ALREADY_RUNNING" } },
  resume: { from: [SUSPENDED, INTERRUPTED], to: PENDING, noop: [PENDING] },
  interrupt: { from: [PENDING, ACTIVE, SUSPENDED], to: INTERRUPTED, noop: [INTERRUPTED] },
  cancel: { from: [PENDING, ACTIVE, SUSPENDED, INTERRUPTED], to: CANCELED, noop: [] },
};

const START_SKIPS: Partial<Record<Status, string>> = {
  [SUSPENDED]: "SIGNATURE_SUSPENDED",
  [INTERRUPTED]: "SIGNATURE_INTERRUPTED",
  [CANCELED]: "SIGNATURE_CANCELED",
  [DONE]: "RUN_FINISHED",
  [FAILED]: "RUN_FINISHED",
};

function initialState(): State {
  const sig = (): Sig => ({
    status: PENDING,
    lastStatus: Status.UNSPECIFIED,
    removed: false,
    attempt: 0,
    runId: "",
    dispatchState: DispatchState.UNSPECIFIED,
    kwargs: {},
    runRequestId: "",
  });
  return { A: sig(), B: sig(), C: sig(), D: sig() };
}

function step(state: State, call: Call): Answer {
  const s = structuredClone(state);
  const h = s[call.k];
  const keys = new Set<Key>([call.k]);
  const change = (): Answer => ({ kind: "change", next: s, keys });
  const refused = (reason: string): Answer => ({ kind: "refused", reason });
  const setStatus = (x: Sig, to: Status) => {
    x.lastStatus = x.status;
    x.status = to;
  };
  const newRun = (x: Sig, attempt: number, state: DispatchState) => {
    Object.assign(x, { attempt, runId: "", dispatchState: state });
  };
  /** Retires roots and their callbacks; the operation's own signature only when it is a root. */
  const retire = (roots: Key[], withError: boolean, withSuccess: boolean) => {
    const visited = new Set<Key>(roots.includes(call.k) ? [] : [call.k]);
    const queue = roots.map((k) => [k, withError, withSuccess] as const);
    for (let q = queue.shift(); q; q = queue.shift()) {
      const [k, e, w] = q;
      if (visited.has(k) || s[k].removed) continue;
      visited.add(k);
      s[k].removed = true;
      keys.add(k);
      if (e) queue.push(...GRAPH[k].err.map((c) => [c, true, true] as const));
      if (w) queue.push(...GRAPH[k].succ.map((c) => [c, true, true] as const));
    }
  };
  const dispatchCallbacks = (cbs: Key[]) => {
    for (const k of cbs) {
      const cb = s[k];
      if (cb.removed || cb.attempt > 0 || (cb.status !== PENDING && cb.status !== SUSPENDED)) continue;
      newRun(cb, 1, cb.status === SUSPENDED ? DispatchState.PARKED : DispatchState.QUEUED);
      keys.add(k);
    }
  };
  const reportable = (final: Status): Answer | undefined => {
    if (!h.runId || h.runId !== (call as { runId: string }).runId) return refused("STALE_RUN");
    if (h.status === final) return { kind: "noop" };
    if (h.removed) return refused("SIGNATURE_REMOVED");
    if (h.status !== ACTIVE) return refused("TASK_NOT_ACTIVE");
    return undefined;
  };

  switch (call.t) {
    case "suspend":
    case "resume":
    case "interrupt":
    case "cancel": {
      if (h.removed) return refused("SIGNATURE_REMOVED");
      const rule = RULES[call.t];
      if (rule.noop.includes(h.status)) return { kind: "noop" };
      if (!rule.from.includes(h.status)) return refused(rule.reasons?.[h.status] ?? "INVALID_TRANSITION");
      setStatus(h, rule.to);
      if (call.t === "suspend" && h.dispatchState === DispatchState.QUEUED && !h.runId) h.dispatchState = DispatchState.PARKED;
      if (call.t === "resume" && h.attempt > 0) newRun(h, h.attempt + 1, DispatchState.QUEUED);
      if (call.t === "cancel") retire([...GRAPH[call.k].succ, ...GRAPH[call.k].err], true, true);
      return change();
    }
    case "run":
      if (h.removed) return refused("SIGNATURE_REMOVED");
      if (h.attempt > 0) return call.requestId && call.requestId === h.runRequestId ? { kind: "noop" } : refused("ALREADY_DISPATCHED");
      if (h.status !== PENDING && h.status !== SUSPENDED) return refused("INVALID_TRANSITION");
      h.runRequestId = call.requestId;
      newRun(h, 1, h.status === SUSPENDED ? DispatchState.PARKED : DispatchState.QUEUED);
      return change();
    case "update":
      if (h.removed) return refused("SIGNATURE_REMOVED");
      h.kwargs = { v: call.v };
      return change();
    case "remove":
      if (h.removed) return { kind: "noop" };
      retire([call.k], call.withError, call.withSuccess);
      return change();
    case "dispatch":
      if (h.attempt !== call.attempt || h.runId || h.dispatchState === DispatchState.PARKED) return { kind: "none" };
      h.runId = call.runId;
      if (h.dispatchState === DispatchState.QUEUED) h.dispatchState = DispatchState.TRIGGERED;
      return change();
    case "start": {
      if (h.removed) return { kind: "skip", reason: "SIGNATURE_REMOVED" };
      if (h.attempt === 0) return { kind: "skip", reason: "STALE_RUN" };
      const adopt = !h.runId && h.dispatchState === DispatchState.QUEUED;
      if (!adopt && h.runId !== call.runId) return { kind: "skip", reason: "STALE_RUN" };
      const skip = START_SKIPS[h.status];
      if (skip) return { kind: "skip", reason: skip };
      if (h.status === ACTIVE) return { kind: "noop" };
      Object.assign(h, { runId: call.runId, dispatchState: DispatchState.TRIGGERED });
      setStatus(h, ACTIVE);
      return change();
    }
    case "complete": {
      const refusal = reportable(DONE);
      if (refusal) return refusal;
      setStatus(h, DONE);
      dispatchCallbacks(GRAPH[call.k].succ);
      retire(GRAPH[call.k].err, true, true);
      return change();
    }
    case "fail": {
      const refusal = reportable(FAILED);
      if (refusal) return refusal;
      if (!call.final) return change();
      setStatus(h, FAILED);
      dispatchCallbacks(GRAPH[call.k].err);
      retire(GRAPH[call.k].succ, true, true);
      return change();
    }
  }
}

// ---- running clients against a store ----------------------------------------------------------

type Op =
  | { t: Lifecycle; k: Key }
  | { t: "dispatch" | "start" | "complete"; k: Key }
  | { t: "run"; k: Key; requestId: string }
  | { t: "update"; k: Key }
  | { t: "remove"; k: Key; withError: boolean; withSuccess: boolean }
  | { t: "fail"; k: Key; final: boolean };

/** What the store answered. `maybe`: a worker report that returned a record without saying whether it changed it. */
type Outcome =
  | { kind: "change"; revision: number }
  | { kind: "maybe"; revision: number }
  | { kind: "noop" }
  | { kind: "none" }
  | { kind: "refused"; reason: string }
  | { kind: "skip"; reason: string };

interface Executed {
  client: number;
  call: Call;
  /** Store revisions read just before and just after the call: it took effect in between. */
  lo: number;
  hi: number;
  outcome: Outcome;
}

const keyArb = fc.constantFrom(...KEYS);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constantFrom("suspend", "resume", "interrupt", "cancel"), k: keyArb }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant("run"), k: keyArb, requestId: fc.constantFrom("", "q1", "q2") }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("update"), k: keyArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("remove"), k: keyArb, withError: fc.boolean(), withSuccess: fc.boolean() }) },
  { weight: 12, arbitrary: fc.record({ t: fc.constantFrom("dispatch", "start", "complete"), k: keyArb }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("fail"), k: keyArb, final: fc.boolean() }) },
);
const clientsArb = fc.array(fc.array(opArb, { minLength: 1, maxLength: 16 }), { minLength: 2, maxLength: 4 });

const sigKey = (k: Key, tag: string) => `TaskSignature:${tag}-${k}`;

/** Turns an op into a concrete call; workers and the dispatcher read the run first, as they would. */
async function concrete(store: Store, tag: string, op: Op, client: number, i: number): Promise<Call | undefined> {
  const run = async () => (await store.get(sigKey(op.k, tag)))?.run;
  switch (op.t) {
    case "update":
      return { t: "update", k: op.k, v: `${client}.${i}` };
    case "dispatch": {
      const r = await run();
      return r && { t: "dispatch", k: op.k, attempt: r.attempt, runId: `engine-${client}.${i}` };
    }
    case "start":
      return { t: "start", k: op.k, runId: (await run())?.runId || `worker-${client}.${i}` };
    case "complete":
      return { t: "complete", k: op.k, runId: (await run())?.runId ?? "" };
    case "fail":
      return { t: "fail", k: op.k, runId: (await run())?.runId ?? "", final: op.final };
    case "suspend":
    case "resume":
    case "interrupt":
    case "cancel":
      return { t: op.t, k: op.k };
    case "run":
    case "remove":
      return op;
  }
}

async function invoke(store: Store, tag: string, c: Call): Promise<Outcome> {
  const key = sigKey(c.k, tag);
  const ERR = { message: "boom", type: "Error", attempt: 1 };
  const mutation = (r: { changed: boolean; record: { revision: number } }): Outcome =>
    r.changed ? { kind: "change", revision: r.record.revision } : { kind: "noop" };
  try {
    switch (c.t) {
      case "suspend":
      case "resume":
      case "interrupt":
      case "cancel":
        return mutation(await store.transition(key, TRANSITIONS[c.t], {}));
      case "run":
        return mutation(await store.run({ key, input: { from: c.k }, metadata: {}, requestId: c.requestId, guard: {} }));
      case "update":
        return mutation(await store.update({ key, kwargs: { v: c.v }, guard: {} }));
      case "remove": {
        const r = await store.remove(key, c.withError, c.withSuccess, {});
        return r.keys.length > 0 ? { kind: "change", revision: r.revision } : { kind: "noop" };
      }
      case "dispatch": {
        const r = await store.markDispatched(key, c.attempt, c.runId, undefined);
        return r ? mutation(r) : { kind: "none" };
      }
      case "start": {
        const d = await store.startTask(key, c.runId, 1, {});
        return d.run ? { kind: "maybe", revision: d.record.revision } : { kind: "skip", reason: d.reason };
      }
      case "complete":
        return { kind: "maybe", revision: (await store.completeTask(key, c.runId, { by: c.runId }, {})).record.revision };
      case "fail":
        return { kind: "maybe", revision: (await store.failTask(key, c.runId, ERR, c.final, {})).record.revision };
    }
  } catch (e) {
    if (e instanceof ServiceError) return { kind: "refused", reason: e.reason };
    throw e;
  }
}

// ---- checking a history -----------------------------------------------------------------------

const LEGAL = new Set(LEGAL_STATUS_CHANGES.map(([a, b]) => `${a}>${b}`));

function view(r: StoredEvent["record"]): Sig {
  return {
    status: r.status,
    lastStatus: r.lastStatus,
    removed: r.removed,
    attempt: r.run?.attempt ?? 0,
    runId: r.run?.runId ?? "",
    dispatchState: r.run?.dispatchState ?? DispatchState.UNSPECIFIED,
    kwargs: r.kwargs,
    runRequestId: r.run?.requestId ?? "",
  };
}

function agrees(answer: Answer, outcome: Outcome): boolean {
  switch (outcome.kind) {
    case "maybe":
      return answer.kind === "noop";
    case "refused":
    case "skip":
      return answer.kind === outcome.kind && answer.reason === outcome.reason;
    default:
      return answer.kind === outcome.kind;
  }
}

async function checkHistory(store: Store, tag: string, executed: Executed[], firstRevision: number) {
  const current = await store.currentRevision();
  const log = (await store.events.range(firstRevision, 1_000_000)).filter((e) => e.revision > firstRevision);
  const byRevision = new Map<number, StoredEvent[]>();
  for (const e of log) byRevision.set(e.revision, [...(byRevision.get(e.revision) ?? []), e]);
  for (let i = 1; i < log.length; i++) assert.ok(log[i].revision >= log[i - 1].revision, "events in revision order");
  assert.deepEqual([...byRevision.keys()], range(firstRevision + 1, current), "one revision per change, no gaps");

  const states = new Map<number, State>([[firstRevision, initialState()]]);
  const attributed = new Set<Executed>();
  for (let rev = firstRevision + 1; rev <= current; rev++) {
    const before = states.get(rev - 1)!;
    const events = byRevision.get(rev)!;
    const claims = executed.filter((x) => (x.outcome.kind === "change" || x.outcome.kind === "maybe") && x.outcome.revision === rev);
    const definite = claims.filter((x) => x.outcome.kind === "change");
    assert.ok(definite.length <= 1, `revision ${rev} claimed by ${definite.length} changes`);
    const candidates = definite.length === 1 ? definite : claims;
    const producer = candidates.find((x) => step(before, x.call).kind === "change");
    assert.ok(producer, `revision ${rev} (${events.map((e) => `${e.type}:${e.key}`)}) is no legal change of any operation`);
    attributed.add(producer);
    assert.ok(producer.lo <= rev - 1 && rev <= producer.hi, `revision ${rev} outside its call`);
    const answer = step(before, producer.call) as Extract<Answer, { kind: "change" }>;
    const loggedKeys = new Set(events.map((e) => e.key));
    assert.deepEqual([...loggedKeys].sort(), [...answer.keys].map((k) => sigKey(k, tag)).sort(), `keys changed at ${rev}`);
    for (const k of answer.keys) {
      const last = events.filter((e) => e.key === sigKey(k, tag)).at(-1)!;
      assert.deepEqual(view(last.record), answer.next[k], `${k} after revision ${rev} (${producer.call.t})`);
      assert.equal(last.record.revision, rev);
    }
    for (const e of events.filter((x) => x.type === 4)) {
      assert.ok(LEGAL.has(`${e.record.lastStatus}>${e.record.status}`), `illegal change at ${rev}`);
    }
    states.set(rev, answer.next);
  }

  for (const x of executed) {
    if (attributed.has(x)) continue;
    assert.notEqual(x.outcome.kind, "change", `an accepted change of ${x.call.t} has no revision of its own`);
    const possible = range(x.lo, x.hi).some((r) => agrees(step(states.get(r)!, x.call), x.outcome));
    assert.ok(possible, `${JSON.stringify(x.call)} answered ${JSON.stringify(x.outcome)}: no state in [${x.lo}, ${x.hi}] explains it`);
  }

  for (let c = 0; c < 8; c++) {
    const revs = executed.filter((x) => x.client === c && attributed.has(x)).map((x) => (x.outcome as { revision: number }).revision);
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i] > revs[i - 1], "a client's changes have increasing revisions");
  }

  const final = states.get(current)!;
  for (const k of KEYS) assert.deepEqual(view((await store.get(sigKey(k, tag)))!), final[k], `final ${k}`);
  await checkOutbox(store, tag);
}

/**
 * The outbox agrees with the signatures: a queued run (no run id yet) of a PENDING signature has its
 * trigger entry, carrying the signature; one that can no longer be dispatched has none (withdrawn).
 */
async function checkOutbox(store: Store, tag: string) {
  const entries = await store.outbox.read(`check-${tag}`, 100_000, 0);
  for (const k of KEYS) {
    const key = sigKey(k, tag);
    const r = (await store.get(key))!;
    if (r.run?.dispatchState !== DispatchState.QUEUED || r.run.runId) continue;
    const mine = entries.filter((e) => e.kind === "trigger" && e.key === key && e.attempt === r.run!.attempt);
    if (r.status === PENDING && !r.removed) {
      assert.equal(mine.length, 1, `${k}: a dispatchable queued run has its entry`);
      assert.equal(mine[0].kind === "trigger" && mine[0].record?.key, key, `${k}: the entry carries the signature`);
    } else {
      assert.equal(mine.length, 0, `${k}: the entry of an undispatchable queued run (${Status[r.status]}${r.removed ? ", removed" : ""}) is withdrawn`);
    }
  }
}

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

// ---- the property -----------------------------------------------------------------------------

for (const b of backends()) {
  describe(`model (${b.name})`, { skip: b.name === "redis" ? redisSkipReason() : undefined }, () => {
    after(() => b.shutdown());

    it("concurrent clients: every accepted change is legal, none is lost, the log replays to the final state", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(clientsArb, async (clients) => {
          const store = await b.open();
          const tag = `m${run++}`;
          try {
            for (const k of ["B", "C", "A", "D"] as Key[]) {
              await store.create(createCmd({ key: sigKey(k, tag), taskName: "model", successCallbacks: GRAPH[k].succ.map((c) => sigKey(c, tag)), errorCallbacks: GRAPH[k].err.map((c) => sigKey(c, tag)) }));
            }
            const first = await store.currentRevision();
            const executed: Executed[] = [];
            await Promise.all(
              clients.map(async (ops, client) => {
                for (const [i, op] of ops.entries()) {
                  const call = await concrete(store, tag, op, client, i);
                  if (!call) continue;
                  const lo = await store.currentRevision();
                  const outcome = await invoke(store, tag, call);
                  executed.push({ client, call, lo, hi: await store.currentRevision(), outcome });
                }
              }),
            );
            await checkHistory(store, tag, executed, first);
          } finally {
            await store.close();
          }
        }),
        { seed: 4242, numRuns: 100 },
      );
    });
  });
}
