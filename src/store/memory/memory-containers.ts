import { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import type { JsonObject } from "../../core/json.js";
import { composeRunInput } from "../../core/run-input.js";
import { containerRule, isTerminal, newRunState, PARKING, RUN_STEPS, RUNNABLE, TRANSITIONS, type Status, type TransitionRule } from "../../core/status.js";
import { ContainerKind, F, newFlatRecord, type FlatRecord, type SwarmConfigRecord } from "../record.js";
import { refusals } from "../refusal-errors.js";
import type * as S from "../store.js";
import { num, type MemoryState } from "./memory-state.js";
import { containerHook, json, type Tx } from "./memory-tx.js";

// Chains and swarms (docs/containers.md): twin of redis/commands/includes/containers.lua, function for function.

const str = JSON.stringify;
const RUNNING = RUN_STEPS.start.to;

export interface Rules {
  plain: TransitionRule;
  container: TransitionRule;
}

export const rulesOf = (rule: TransitionRule): Rules => ({ plain: rule, container: containerRule(rule) });
const CANCEL_RULES = rulesOf(TRANSITIONS.cancel);

export const isContainer = (h: FlatRecord) => num(h, F.containerKind) !== 0;
const children = (c: FlatRecord) => json<string[]>(c[F.children]);
export const swarmConfig = (c: FlatRecord) => JSON.parse(c[F.swarmConfig]) as SwarmConfigRecord;
const status = (h: FlatRecord): Status => num(h, F.status);
const removed = (h: FlatRecord) => h[F.removed] === "1";
const obj = (s: string | undefined) => (s ? (JSON.parse(s) as JsonObject) : {});

/** The container ends DONE with `result` (JSON text): success callbacks get `{<their return field>: result}`. */
function done(tx: Tx, c: FlatRecord, result: string) {
  c[F.result] = result;
  tx.setStatus(c, RUN_STEPS.complete.to);
  const dispatched = tx.dispatchCallbacks(json(c[F.successCallbacks]), (cb) => ({ [cb[F.returnFieldName]]: JSON.parse(result) }));
  c[F.dispatchedCallbacks] = str(dispatched);
  tx.retire(json(c[F.errorCallbacks]), true, true, new Set([c[F.key]]));
}

/** Applies `rules` to h, whose status the rule accepts; a container passes them on to each child they accept. */
export function apply(db: MemoryState, tx: Tx, h: FlatRecord, rules: Rules) {
  const container = isContainer(h);
  const rule = container ? rules.container : rules.plain;
  const from = status(h);
  const ran = num(h, F.attempt) > 0;
  tx.setStatus(h, container && rule.redispatch && ran ? RUNNING : rule.to);
  if (rule.cancelRun) tx.cancelRun(h, from);
  if (rule.redispatch && ran && !container) tx.requeue(h);
  if (rule.retireCallbacks) tx.retire([...json<string[]>(h[F.successCallbacks]), ...json<string[]>(h[F.errorCallbacks])], true, true, new Set([h[F.key]]));
  if (!container) return;
  for (const k of children(h)) {
    const ch = db.find(k);
    if (!ch || removed(ch)) continue;
    const r = isContainer(ch) ? rules.container : rules.plain;
    if (r.from.includes(status(ch))) apply(db, tx, ch, rules);
  }
  if (status(h) === RUNNING) startChildren(db, tx, h);
}

function cancelRest(db: MemoryState, tx: Tx, c: FlatRecord, first: number) {
  const kids = children(c);
  for (let i = first; i < kids.length; i++) {
    const ch = db.find(kids[i]);
    if (ch && !removed(ch) && !isTerminal(status(ch))) apply(db, tx, ch, CANCEL_RULES);
  }
}

function startChild(db: MemoryState, tx: Tx, ch: FlatRecord, base: JsonObject) {
  const st = status(ch);
  if (removed(ch) || num(ch, F.attempt) > 0 || !RUNNABLE.includes(st)) return;
  if (isContainer(ch)) runContainer(db, tx, ch, composeRunInput(base, obj(ch[F.kwargs])));
  else {
    ch[F.base] = str(base);
    tx.newRun(ch, 1, newRunState(st));
  }
}

/** RunSignature on a container: its run records the input; a PARKING container starts its children on resume. */
export function runContainer(db: MemoryState, tx: Tx, c: FlatRecord, input: JsonObject) {
  c[F.lastInput] = str(input);
  c[F.attempt] = "1";
  c[F.dispatchTime] = String(db.opts.now());
  tx.touch(c, EventType.RUN_QUEUED);
  if (PARKING.includes(status(c))) return;
  tx.setStatus(c, RUNNING);
  startChildren(db, tx, c);
}

export function startChildren(db: MemoryState, tx: Tx, c: FlatRecord) {
  if (num(c, F.containerKind) === ContainerKind.CHAIN) {
    const step = num(c, F.chainStep);
    const ch = db.find(children(c)[step]);
    if (step === 0 && ch) startChild(db, tx, ch, obj(c[F.lastInput]));
  } else {
    fill(db, tx, c);
    checkSwarmEnd(db, tx, c);
  }
}

function fill(db: MemoryState, tx: Tx, c: FlatRecord) {
  const cfg = swarmConfig(c);
  const kids = children(c);
  const base = cfg.sendMessage ? obj(c[F.lastInput]) : {};
  while (status(c) === RUNNING && num(c, F.inFlight) < cfg.maxConcurrency && num(c, F.started) < kids.length) {
    const i = num(c, F.started) + 1;
    c[F.started] = String(i);
    const ch = db.find(kids[i - 1]);
    if (ch && !removed(ch) && !isTerminal(status(ch)) && num(ch, F.attempt) === 0) {
      c[F.inFlight] = String(num(c, F.inFlight) + 1);
      tx.touch(c, EventType.UPDATED);
      startChild(db, tx, ch, base);
    }
  }
}

function checkSwarmEnd(db: MemoryState, tx: Tx, c: FlatRecord) {
  if (status(c) === RUNNING && c[F.closed] === "1" && num(c, F.endedCount) === children(c).length) done(tx, c, c[F.results] || "[]");
}

function appendResult(list: string, result: string) {
  return str([...(list ? (JSON.parse(list) as unknown[]) : []), JSON.parse(result)]);
}

/** A child ended (a TERMINAL status): its container advances, ends, or only counts it. */
function childEnded(db: MemoryState, tx: Tx, h: FlatRecord) {
  const c = db.find(h[F.containerKey]);
  if (!c || removed(c)) return;
  const st = status(h);
  const idx = num(h, F.childIndex);
  if (num(c, F.containerKind) === ContainerKind.SWARM) {
    if (idx < num(c, F.started)) c[F.inFlight] = String(num(c, F.inFlight) - 1);
    c[F.endedCount] = String(num(c, F.endedCount) + 1);
    tx.touch(c, EventType.UPDATED);
    if (isTerminal(status(c))) return;
    if (st === RUN_STEPS.complete.to) c[F.results] = appendResult(c[F.results], h[F.result] || "null");
    else if (st === RUN_STEPS.fail.to) {
      c[F.failedCount] = String(num(c, F.failedCount) + 1);
      const stop = swarmConfig(c).stopAfterNFailures;
      if (stop > 0 && num(c, F.failedCount) >= stop) {
        const error = { message: `swarm failed: ${num(c, F.failedCount)} children failed`, type: "SwarmFailed", attempt: 1 };
        c[F.error] = str(error);
        tx.fail(c, error, {});
        cancelRest(db, tx, c, 0);
        return;
      }
    }
    fill(db, tx, c);
    checkSwarmEnd(db, tx, c);
    return;
  }
  if (isTerminal(status(c)) || idx !== num(c, F.chainStep)) return;
  const kids = children(c);
  if (st === RUN_STEPS.complete.to) {
    const result = h[F.result] || "null";
    if (idx + 1 < kids.length) {
      c[F.chainStep] = String(idx + 1);
      tx.touch(c, EventType.UPDATED);
      const next = db.find(kids[idx + 1]);
      if (next) startChild(db, tx, next, { [next[F.returnFieldName]]: JSON.parse(result) });
    } else done(tx, c, result);
  } else if (st === RUN_STEPS.fail.to) {
    const input = obj(h[F.lastInput] || h[F.base]);
    const error = h[F.error] ? (JSON.parse(h[F.error]) as S.TaskErrorInput) : ({} as S.TaskErrorInput);
    c[F.error] = h[F.error] || "{}";
    tx.fail(c, error, input);
    cancelRest(db, tx, c, idx + 1);
  } else apply(db, tx, c, CANCEL_RULES);
}

containerHook.childEnded = childEnded;

/** Remove/Delete of a child whose container is there and has not ended is refused (CT.refuse_live_child). */
export function refuseLiveChild(db: MemoryState, h: FlatRecord) {
  const c = h[F.containerKey] ? db.find(h[F.containerKey]) : undefined;
  if (c && !removed(c) && !isTerminal(status(c))) throw refusals.container("IN_CONTAINER", h[F.key], { container_key: h[F.containerKey] });
}

/** Refuses unless `k` may become a child (see includes/containers.lua CT.check_child). */
function checkChild(db: MemoryState, k: string, seen: Set<string>, errorKey: string) {
  const ch = db.find(k);
  if (!ch) throw refusals.container("CHILD_NOT_FOUND", errorKey, { child: k });
  if (seen.has(k) || removed(ch) || num(ch, F.attempt) > 0 || !RUNNABLE.includes(status(ch)) || ch[F.containerKey]) {
    throw refusals.container("CHILD_NOT_AVAILABLE", errorKey, { child: k });
  }
  seen.add(k);
}

/** Checks every child, then writes the new ones and adopts all, after c's existing children. Returns their keys. */
export function addChildren(db: MemoryState, tx: Tx, c: FlatRecord, specs: S.ChildSpec[], errorKey: string) {
  const existing = children(c);
  const seen = new Set(existing);
  const entries = specs.map((spec) => {
    if ("key" in spec) {
      checkChild(db, spec.key, seen, errorKey);
      return { key: spec.key };
    }
    const k = spec.create.key;
    if (db.find(k) || seen.has(k)) throw refusals.container("CHILD_NOT_AVAILABLE", errorKey, { child: k });
    seen.add(k);
    return { key: k, create: spec.create };
  });
  const ckw = obj(c[F.kwargs]);
  const adopted = entries.map((e, i) => {
    const ch = e.create ? newFlatRecord(e.create) : { ...db.find(e.key)! };
    ch[F.kwargs] = str({ ...obj(ch[F.kwargs]), ...ckw });
    ch[F.containerKey] = c[F.key]!;
    ch[F.childIndex] = String(existing.length + i);
    return ch;
  });
  const all = [...existing, ...entries.map((e) => e.key)];
  db.checkQuotaAll([{ ...c, [F.children]: str(all) }, ...adopted]);
  for (const [i, e] of entries.entries()) {
    const ch = adopted[i]!;
    if (e.create) {
      db.forget(e.key);
      db.sigs.set(e.key, ch);
      db.index.add(ch);
      tx.touch(ch, EventType.CREATED);
    } else {
      const stored = db.find(e.key)!;
      Object.assign(stored, ch);
      tx.touch(stored, EventType.UPDATED);
    }
  }
  c[F.children] = str(all);
  return entries.map((e) => e.key);
}
