import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import type { JsonValue } from "../../src/core/json.js";
import { composeRunInput } from "../../src/core/run-input.js";
import { Status } from "../../src/core/status.js";
import { ContainerKind, DispatchState, type SwarmConfigRecord } from "../../src/store/record.js";
import type { ChildSpec, CreateContainerCommand, Store } from "../../src/store/store.js";
import { createCmd } from "./commands.js";

/** Drives a store as the dispatcher and a worker would, for tests of chains and swarms. */
export function containerDriver(store: Store) {
  const task = async (o: { kwargs?: Record<string, JsonValue>; status?: Status; rfn?: string; succ?: string[]; err?: string[] } = {}) => {
    const c = createCmd({ kwargs: (o.kwargs ?? {}) as never, status: o.status ?? Status.PENDING, returnFieldName: o.rfn ?? "mageflow_results", successCallbacks: o.succ ?? [], errorCallbacks: o.err ?? [] });
    await store.create(c);
    return c.key;
  };
  const container = async (kind: ContainerKind, children: ChildSpec[], o: Partial<CreateContainerCommand> = {}) => {
    const key = `${kind === ContainerKind.CHAIN ? "ChainSignature" : "SwarmSignature"}:${randomUUID()}`;
    const r = await store.createContainer({
      ...createCmd({ key, taskName: kind === ContainerKind.CHAIN ? "chain-task:c" : "swarm-task:s" }),
      kind,
      closed: false,
      children,
      ...o,
    });
    return r.record;
  };
  const chain = (keys: string[], o: Partial<CreateContainerCommand> = {}) => container(ContainerKind.CHAIN, keys.map((key) => ({ key })), o);
  const swarm = (keys: string[], config: Partial<SwarmConfigRecord>, o: Partial<CreateContainerCommand> = {}) =>
    container(ContainerKind.SWARM, keys.map((key) => ({ key })), { config: { maxConcurrency: 1, stopAfterNFailures: 0, maxTasks: 10_000, sendMessage: false, ...config }, ...o });

  /** The engine accepted the current run and the worker started it; returns the run id. */
  const start = async (key: string) => {
    const r = (await store.get(key))!;
    assert.ok(r.run, `${key} has no run`);
    assert.equal(r.run.dispatchState, DispatchState.QUEUED, `${key}'s run is queued`);
    const runId = `run-${key}-${r.run.attempt}`;
    await store.markDispatched(key, r.run.attempt, runId, r.run.lastInput ?? composeRunInput(r.run.base ?? {}, r.kwargs));
    assert.equal((await store.startTask(key, runId, 1, {})).run, true);
    return runId;
  };
  const complete = async (key: string, result: JsonValue) => store.completeTask(key, await start(key), result, {});
  const fail = async (key: string) => store.failTask(key, await start(key), { message: `boom ${key}`, type: "ValueError", attempt: 1 }, true, {});
  const status = async (key: string) => (await store.get(key))!.status;
  const statuses = async (keys: string[]) => (await store.getMany(keys)).map((r) => r!.status);
  /** Children with a run queued or triggered and not ended: what the engine sees. */
  const inFlight = async (keys: string[]) =>
    (await store.getMany(keys)).filter((r) => r!.run && (r!.status === Status.PENDING || r!.status === Status.ACTIVE) && r!.run.dispatchState !== DispatchState.PARKED).map((r) => r!.key);
  return { task, container, chain, swarm, start, complete, fail, status, statuses, inFlight };
}
