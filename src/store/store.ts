import type { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import type { JsonObject, JsonValue } from "../core/json.js";
import type { Status, TransitionRule } from "../core/status.js";
import type { ContainerKind, SignatureRecord, SwarmConfigRecord } from "./record.js";

/** Conditions every single-signature mutation checks before writing. */
export interface Guard {
  /** Non-zero: the signature's revision must equal it, else ABORTED REVISION_MISMATCH. */
  expectedRevision?: number;
  /** Must match a live lease, else ABORTED SIGNATURE_LOCKED (with metadata expire_time). */
  lockId?: string;
}

export interface StoreOptions {
  /** Key prefix; every key of one store shares the hash tag `{<prefix>}`. */
  prefix: string;
  activeTtlMs: number;
  doneTtlMs: number;
  /** How many events the history keeps (approximately, for Redis). */
  historyMax: number;
  /** How many bytes of events the history keeps (each event's size is about its JSON size); unset: no byte bound. */
  historyMaxBytes?: number;
  /** The namespace's quotas: stored signatures and their bytes (each counted as its flat fields and values); 0 or unset: none. */
  quota?: { signatures: number; bytes: number };
  /** How long a create/run `request_id` is remembered. */
  requestIdTtlMs: number;
  now: () => number;
  /** Redis: every mutation waits for this many replicas (WAIT) before it is answered; absent: no waiting. */
  waitReplicas?: { count: number; timeoutMs: number };
}

export interface CreateCommand {
  key: string;
  taskName: string;
  kwargs: JsonObject;
  creationTime: number;
  inputSchema?: JsonObject;
  successCallbacks: string[];
  errorCallbacks: string[];
  status: Status;
  returnFieldName: string;
  metadata: Record<string, string>;
  requestId: string;
}

/** A child of a new container or of AddSwarmTasks: an existing signature, or one to create. */
export type ChildSpec = { key: string } | { create: CreateCommand };

/** CreateChain / CreateSwarm (docs/containers.md). `taskName`, `kwargs`, callbacks etc. are the container's own. */
export interface CreateContainerCommand extends CreateCommand {
  kind: ContainerKind;
  /** Swarms only. */
  config?: SwarmConfigRecord;
  closed: boolean;
  children: ChildSpec[];
}

/** AddSwarmTasks (with `close`), or CloseSwarm (no children, `close`). */
export interface AddChildrenCommand {
  key: string;
  children: ChildSpec[];
  close: boolean;
  guard: Guard;
}

export interface AddChildrenResult extends MutationResult {
  added: string[];
}

/** Absent fields are left as they are. */
export interface UpdateCommand {
  key: string;
  /** Merged over the stored kwargs top-level (`{...stored, ...kwargs}`), unless `replace` names them. */
  kwargs?: JsonObject;
  /** Merged over the stored metadata likewise, unless `replace` names it. */
  metadata?: Record<string, string>;
  /** The fields whose given value replaces the stored one. */
  replace?: ("kwargs" | "metadata")[];
  /** null clears the schema. */
  inputSchema?: JsonObject | null;
  returnFieldName?: string;
  guard: Guard;
}

export interface RunCommand {
  key: string;
  /** The composed, validated input. */
  input?: JsonObject;
  /**
   * Without `input`: the store composes the input, `deepMerge(message, kwargs)` — unless the signature
   * has an input schema. Then it writes nothing and answers `validate` with the record: the caller
   * composes and validates the input and runs it with `input` and that record's revision pinned.
   */
  message?: JsonObject;
  /** Extra engine metadata for this run (merged over the signature's at dispatch). */
  metadata: Record<string, string>;
  requestId: string;
  guard: Guard;
}

export interface LockCommand {
  key: string;
  /** A fresh id, used when a new lease is taken. */
  newLockId: string;
  /** Non-empty: renew this lease (LOCK_MISMATCH if it is not the live one). */
  renewLockId: string;
  ttlMs: number;
  owner: string;
}

export interface MutationResult {
  record: SignatureRecord;
  /** False for an idempotent no-op: nothing was written, no revision was used. */
  changed: boolean;
}

export interface RunResult extends MutationResult {
  /** Nothing was written: a message met an input schema (see RunCommand.message). */
  validate?: true;
}

export interface RemoveResult {
  keys: string[];
  revision: number;
}

export type StartDecision = { run: true; record: SignatureRecord } | { run: false; reason: string; record: SignatureRecord };

export interface CompleteResult {
  record: SignatureRecord;
  dispatched: string[];
}

export interface TaskErrorInput {
  message: string;
  type: string;
  attempt: number;
}

/** One stored event. `record` is the signature after the change (before it, for DELETED). */
export interface StoredEvent {
  revision: number;
  type: EventType;
  key: string;
  time: number;
  record: SignatureRecord;
  /** About the bytes the event holds, when the store knows it cheaply (Redis: its entry's size). */
  size?: number;
}

/**
 * One outbox entry: work for the dispatcher loop, written in the same step as the state change. A trigger
 * carries the signature as that step left it, so the dispatcher need not read it back.
 */
export type OutboxDraft = { kind: "trigger"; key: string; attempt: number; record?: SignatureRecord } | { kind: "cancel"; key: string; runId: string };
export type OutboxEntry = OutboxDraft & { id: string };

/**
 * A signature store. Every mutation is one atomic step: it checks its preconditions
 * (existence, removed, status, lease, expected revision), writes, bumps the store-wide
 * revision once, appends its events (all with that revision) and its outbox entries —
 * or changes nothing and throws a ServiceError.
 */
export interface Store {
  readonly kind: "memory" | "redis";

  get(key: string): Promise<SignatureRecord | undefined>;
  getMany(keys: string[]): Promise<(SignatureRecord | undefined)[]>;
  list(q: ListQuery): Promise<ListPage>;

  /** FAILED_PRECONDITION CALLBACKS_NOT_FOUND (metadata `missing`, comma-separated). Same requestId: returns the first signature. */
  create(c: CreateCommand): Promise<MutationResult>;
  update(u: UpdateCommand): Promise<MutationResult>;
  /** CHILD_NOT_FOUND / CHILD_NOT_AVAILABLE (metadata `child`), CALLBACKS_NOT_FOUND. Same requestId: the first container. */
  createContainer(c: CreateContainerCommand): Promise<MutationResult>;
  /** NOT_A_SWARM, SWARM_CLOSED, TOO_MANY_TASKS, and the child refusals of createContainer. */
  addChildren(c: AddChildrenCommand): Promise<AddChildrenResult>;
  /** Hard delete; emits DELETED; returns the revision. */
  delete(key: string, guard: Guard): Promise<number>;
  /** Retires the signature and, per flags, its callback trees (cycles and shared callbacks visited once). */
  remove(key: string, withError: boolean, withSuccess: boolean, guard: Guard): Promise<RemoveResult>;
  transition(key: string, rule: TransitionRule, guard: Guard): Promise<MutationResult>;
  run(c: RunCommand): Promise<RunResult>;
  lock(c: LockCommand): Promise<MutationResult>;
  unlock(key: string, lockId: string): Promise<MutationResult>;

  startTask(key: string, runId: string, attempt: number, guard: Guard): Promise<StartDecision>;
  completeTask(key: string, runId: string, result: JsonValue, guard: Guard): Promise<CompleteResult>;
  failTask(key: string, runId: string, error: TaskErrorInput, final: boolean, guard: Guard): Promise<CompleteResult>;

  /**
   * The dispatcher's side: record the engine's run id for the run of `attempt` (and the input composed at dispatch);
   * an engine run the signature does not take is cancelled (outbox `cancel`). Both steps also retire the outbox entry
   * `outboxId` they handled, whatever their outcome (Outbox.ack in the same step).
   */
  markDispatched(key: string, attempt: number, runId: string, input: JsonObject | undefined, outboxId?: string): Promise<MutationResult | undefined>;
  /** The run of `attempt` can never be triggered: the signature ends FAILED with the error; error callbacks fire. */
  failDispatch(key: string, attempt: number, error: TaskErrorInput, outboxId?: string): Promise<CompleteResult | undefined>;

  outbox: Outbox;
  events: EventLog;

  currentRevision(): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ListQuery {
  statuses: Status[];
  taskName: string;
  createdAfter?: number;
  createdBefore?: number;
  pageSize: number;
  /** Opaque cursor from the previous page. */
  cursor?: string;
}

export interface ListPage {
  records: SignatureRecord[];
  cursor?: string;
}

export interface Outbox {
  /** Entries not yet delivered to any consumer; waits up to blockMs when there are none. */
  read(consumer: string, count: number, blockMs: number): Promise<OutboxEntry[]>;
  /** Entries delivered to a consumer that has not acknowledged them for idleMs (a crashed dispatcher). */
  claimStale(consumer: string, idleMs: number, count: number): Promise<OutboxEntry[]>;
  ack(ids: string[]): Promise<void>;
  /** Entries not yet acknowledged, and the age of the oldest (0 when empty), for metrics. */
  stats(): Promise<OutboxStats>;
}

export interface OutboxStats {
  entries: number;
  oldestAgeMs: number;
}

export interface EventLog {
  /** Revision of the oldest retained event (current + 1 when none is retained). */
  oldestRevision(): Promise<number>;
  /** Retained events with fromRevision <= revision, in order, whole revisions only, at most about `limit`. */
  range(fromRevision: number, limit: number): Promise<StoredEvent[]>;
  /** Waits up to blockMs for events after `afterRevision`. One caller per process (the watch hub). */
  tail(afterRevision: number, blockMs: number): Promise<StoredEvent[]>;
}
