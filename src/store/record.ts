import { ContainerKind, DispatchState } from "../../gen/ts/mageflow/v1/signature_pb.js";
import type { JsonObject, JsonValue } from "../core/json.js";
import { Status } from "../core/status.js";

export { ContainerKind, DispatchState };

export interface RunRecord {
  runId: string;
  attempt: number;
  dispatchTime: number;
  /** The composed input; undefined for a callback run whose input is composed at dispatch. */
  lastInput?: JsonObject;
  /** For callback runs: what the input is composed from (`deep_merge(base, kwargs)`). */
  base?: JsonObject;
  dispatchState: DispatchState;
  result?: JsonValue;
  error?: { message: string; type: string; attempt: number };
  requestId: string;
  /** Engine metadata given with RunSignature, merged over the signature's at dispatch. */
  metadata: Record<string, string>;
  /** Callbacks dispatched when the run ended (answered again to a repeated report). */
  dispatchedCallbacks: string[];
}

export interface SwarmConfigRecord {
  maxConcurrency: number;
  stopAfterNFailures: number;
  maxTasks: number;
  sendMessage: boolean;
}

/** What a chain or swarm holds besides its signature. */
export interface ContainerRecord {
  kind: ContainerKind;
  children: string[];
  step: number;
  config?: SwarmConfigRecord;
  closed: boolean;
  started: number;
  inFlight: number;
  failed: number;
  ended: number;
}

export interface LockRecord {
  lockId: string;
  owner: string;
  expireTime: number;
}

/** A stored signature. Times are Unix milliseconds. */
export interface SignatureRecord {
  key: string;
  taskName: string;
  kwargs: JsonObject;
  creationTime: number;
  updateTime: number;
  successCallbacks: string[];
  errorCallbacks: string[];
  status: Status;
  lastStatus: Status;
  returnFieldName: string;
  inputSchema?: JsonObject;
  containerKey: string;
  revision: number;
  expireTime: number;
  run?: RunRecord;
  /** Present only while the lease is live (expire_time in the future). */
  lock?: LockRecord;
  metadata: Record<string, string>;
  removed: boolean;
  /** Present for a chain or a swarm. */
  container?: ContainerRecord;
}

/**
 * The flat field layout both stores keep a signature in (a Redis hash; a plain
 * object in memory). JSON values are kept as JSON text. Empty string = absent.
 */
export const F = {
  key: "k",
  taskName: "task",
  kwargs: "kwargs",
  creationTime: "ctime",
  updateTime: "utime",
  successCallbacks: "succ",
  errorCallbacks: "errc",
  status: "st",
  lastStatus: "lst",
  returnFieldName: "rfn",
  inputSchema: "schema",
  containerKey: "ckey",
  revision: "rev",
  expireTime: "exp",
  runId: "run_id",
  attempt: "att",
  dispatchTime: "dtime",
  lastInput: "input",
  base: "base",
  dispatchState: "dstate",
  result: "result",
  error: "error",
  runRequestId: "rreq",
  runMetadata: "rmeta",
  dispatchedCallbacks: "cbs",
  lockId: "lock_id",
  lockOwner: "lock_owner",
  lockExpire: "lock_exp",
  metadata: "meta",
  removed: "removed",
  /** Containers (docs/containers.md): ContainerKind; children's keys, JSON array; a child's 0-based position. */
  containerKind: "ckind",
  children: "kids",
  childIndex: "cidx",
  /** Chain: the step running (0-based). */
  chainStep: "cstep",
  /** Swarm: config JSON {maxConcurrency, stopAfterNFailures, maxTasks, sendMessage}; closed '1'; counters. */
  swarmConfig: "sconf",
  closed: "closed",
  started: "started",
  inFlight: "inflight",
  failedCount: "nfail",
  endedCount: "nend",
  /** Swarm: the results of the children that ended DONE, JSON array in completion order. */
  results: "results",
  /** The outbox entry of a QUEUED run, withdrawn when the run can no longer be dispatched. */
  outboxEntry: "obx",
} as const;

export type FlatRecord = Record<string, string>;

/**
 * Fields an event's record leaves out: a container's children and the results its swarm has gathered so far.
 * No event consumer reads them (a Signature has neither; ContainerService reads the stored container), and they
 * grow with every child, so a container's events would make a swarm's history quadratic in its size.
 */
export const EVENT_OMITTED_FIELDS: readonly string[] = [F.children, F.results];

/** `h` without the EVENT_OMITTED_FIELDS (a copy). */
export function eventFlat(h: FlatRecord): FlatRecord {
  const out = { ...h };
  for (const f of EVENT_OMITTED_FIELDS) delete out[f];
  return out;
}

/** The flat layout of a new signature, as both stores write it on create. */
export function newFlatRecord(c: {
  key: string;
  taskName: string;
  kwargs: JsonObject;
  creationTime: number;
  successCallbacks: string[];
  errorCallbacks: string[];
  status: Status;
  returnFieldName: string;
  inputSchema?: JsonObject;
  metadata: Record<string, string>;
}): FlatRecord {
  return {
    [F.key]: c.key,
    [F.taskName]: c.taskName,
    [F.kwargs]: JSON.stringify(c.kwargs),
    [F.creationTime]: String(c.creationTime),
    [F.successCallbacks]: JSON.stringify(c.successCallbacks),
    [F.errorCallbacks]: JSON.stringify(c.errorCallbacks),
    [F.status]: String(c.status),
    [F.lastStatus]: String(Status.UNSPECIFIED),
    [F.returnFieldName]: c.returnFieldName,
    [F.inputSchema]: c.inputSchema ? JSON.stringify(c.inputSchema) : "",
    [F.containerKey]: "",
    [F.metadata]: JSON.stringify(c.metadata),
    [F.removed]: "0",
  };
}

/** The flat layout of a new container (its children are added by the store step). */
export function newContainerFlatRecord(c: Parameters<typeof newFlatRecord>[0] & { kind: ContainerKind; config?: SwarmConfigRecord; closed: boolean }): FlatRecord {
  return {
    ...newFlatRecord(c),
    [F.containerKind]: String(c.kind),
    [F.children]: "[]",
    [F.chainStep]: "0",
    [F.swarmConfig]: c.config ? JSON.stringify(c.config) : "",
    [F.closed]: c.closed ? "1" : "0",
    [F.started]: "0",
    [F.inFlight]: "0",
    [F.failedCount]: "0",
    [F.endedCount]: "0",
    [F.results]: "",
  };
}

const json = <T>(s: string | undefined): T | undefined => (s ? (JSON.parse(s) as T) : undefined);
const int = (s: string | undefined) => (s ? Number(s) : 0);

/** Decodes the flat layout; `now` decides whether a stored lease is still live. */
export function decodeRecord(h: FlatRecord, now: number): SignatureRecord {
  const attempt = int(h[F.attempt]);
  const lockExpire = int(h[F.lockExpire]);
  return {
    key: h[F.key],
    taskName: h[F.taskName],
    kwargs: json<JsonObject>(h[F.kwargs]) ?? {},
    creationTime: int(h[F.creationTime]),
    updateTime: int(h[F.updateTime]),
    successCallbacks: json<string[]>(h[F.successCallbacks]) ?? [],
    errorCallbacks: json<string[]>(h[F.errorCallbacks]) ?? [],
    status: int(h[F.status]) as Status,
    lastStatus: int(h[F.lastStatus]) as Status,
    returnFieldName: h[F.returnFieldName] ?? "",
    inputSchema: json<JsonObject>(h[F.inputSchema]),
    containerKey: h[F.containerKey] ?? "",
    revision: int(h[F.revision]),
    expireTime: int(h[F.expireTime]),
    run:
      attempt > 0
        ? {
            runId: h[F.runId] ?? "",
            attempt,
            dispatchTime: int(h[F.dispatchTime]),
            lastInput: json<JsonObject>(h[F.lastInput]),
            base: json<JsonObject>(h[F.base]),
            dispatchState: int(h[F.dispatchState]) as DispatchState,
            result: json<JsonValue>(h[F.result]),
            error: json(h[F.error]),
            requestId: h[F.runRequestId] ?? "",
            metadata: json<Record<string, string>>(h[F.runMetadata]) ?? {},
            dispatchedCallbacks: json<string[]>(h[F.dispatchedCallbacks]) ?? [],
          }
        : undefined,
    lock:
      h[F.lockId] && lockExpire > now
        ? { lockId: h[F.lockId], owner: h[F.lockOwner] ?? "", expireTime: lockExpire }
        : undefined,
    metadata: json<Record<string, string>>(h[F.metadata]) ?? {},
    removed: h[F.removed] === "1",
    container: int(h[F.containerKind])
      ? {
          kind: int(h[F.containerKind]) as ContainerKind,
          children: json<string[]>(h[F.children]) ?? [],
          step: int(h[F.chainStep]),
          config: json<SwarmConfigRecord>(h[F.swarmConfig]),
          closed: h[F.closed] === "1",
          started: int(h[F.started]),
          inFlight: int(h[F.inFlight]),
          failed: int(h[F.failedCount]),
          ended: int(h[F.endedCount]),
        }
      : undefined,
  };
}
