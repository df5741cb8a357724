import { fromJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { timestampFromDate, ValueSchema, type Timestamp } from "@bufbuild/protobuf/wkt";
import { createClient, type Client } from "@connectrpc/connect";
import type { DispatchState, Signature } from "../../../gen/ts/mageflow/v1/signature_pb.js";
import { PauseType, SignatureService, type LockSignatureResponse } from "../../../gen/ts/mageflow/v1/signature_service_pb.js";
import { StartDecision, WorkerService } from "../../../gen/ts/mageflow/v1/worker_service_pb.js";
import type { Container } from "../../../gen/ts/mageflow/v1/container_pb.js";
import { ContainerService } from "../../../gen/ts/mageflow/v1/container_service_pb.js";
import { compact } from "./compact.js";
import { mapped } from "./mageflow-error.js";
import { Lease } from "./lease.js";
import { parseStatus, type StatusLike } from "./names.js";
import { openTransport, type OpenTransport, type TransportOptions } from "./transport.js";
import { SignatureWatch, type WatchOptions } from "./watch.js";

export type MageflowClientOptions = TransportOptions;

/** Conditions every mutation accepts. */
export interface MutationOptions {
  /** Apply only if the signature's revision is still this one (an etag); else ABORTED `REVISION_MISMATCH`. */
  expectedRevision?: number | bigint | undefined;
  /** The lease id, required while the signature is locked. */
  lockId?: string | undefined;
}

type KeyLike = string | { key: string };

/** A child created together with its chain or swarm (in the same atomic step): its task name and `asign`'s options. */
export interface InlineTask extends SignOptions {
  taskName: string;
}

/** A child of a chain or swarm: an existing signature (its key, or the signature) or an `InlineTask`. */
export type ContainerTaskLike = KeyLike | InlineTask;

export interface SignOptions {
  kwargs?: JsonObject | undefined;
  successCallbacks?: KeyLike[] | undefined;
  errorCallbacks?: KeyLike[] | undefined;
  /** PENDING (default) or SUSPENDED. */
  status?: StatusLike | undefined;
  returnFieldName?: string | undefined;
  inputSchema?: JsonObject | undefined;
  metadata?: Record<string, string> | undefined;
  /** Idempotency key: a retry with the same id returns the first signature. */
  requestId?: string | undefined;
  creationTime?: Date | undefined;
}

/** Options of `chain` (MageFlow's `chain(tasks, name, error, success, **kwargs)`). */
export interface ChainOptions {
  name?: string | undefined;
  /** Merged into every step's kwargs (the chain's win). */
  kwargs?: JsonObject | undefined;
  success?: KeyLike[] | undefined;
  error?: KeyLike[] | undefined;
  returnFieldName?: string | undefined;
  status?: StatusLike | undefined;
  requestId?: string | undefined;
}

/** Options of `swarm` (MageFlow's `swarm(tasks, task_name, **options)`); docs/containers.md. */
export interface SwarmOptions extends ChainOptions {
  /** Required: at most this many children in flight. */
  maxConcurrency: number;
  stopAfterNFailures?: number | undefined;
  maxTasks?: number | undefined;
  sendMessageToChildren?: boolean | undefined;
  /** Create it closed: no more tasks. */
  close?: boolean | undefined;
}

export interface ListOptions {
  statuses?: StatusLike[] | undefined;
  taskName?: string | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  pageSize?: number | undefined;
  pageToken?: string | undefined;
}

export interface UpdateOptions extends MutationOptions {
  kwargs?: JsonObject | undefined;
  metadata?: Record<string, string> | undefined;
  /** Fields to replace instead of merge: `kwargs`, `metadata` (schema and return field are always replaced). */
  replace?: ("kwargs" | "metadata")[] | undefined;
  inputSchema?: JsonObject | undefined;
  returnFieldName?: string | undefined;
}

export interface RunOptions extends MutationOptions {
  /** Idempotency key: a retry with the same id returns the first run instead of ALREADY_DISPATCHED. */
  requestId?: string | undefined;
}

export interface RemoveOptions extends MutationOptions {
  /** Also retire the error-callback tree (default true). */
  withError?: boolean | undefined;
  /** Also retire the success-callback tree (default true). */
  withSuccess?: boolean | undefined;
}

export interface LockOptions {
  /** Lease length; the server's default (30 s) when omitted, capped by its maximum. */
  ttlMs?: number | undefined;
  owner?: string | undefined;
}

export interface RunResult {
  signature: Signature;
  runId: string;
  dispatchState: DispatchState;
}

export interface StartResult {
  /** True when the worker should run the user function (decision RUN). */
  run: boolean;
  decision: StartDecision;
  skipReason: string;
  signature: Signature;
}

export interface TaskReport {
  signature: Signature;
  dispatchedCallbacks: string[];
}

export interface TaskErrorInput {
  message: string;
  type?: string | undefined;
  attempt?: number | undefined;
}

/** The MageFlow vocabulary over `mageflow.v1.SignatureService` and `WorkerService`. */
export class MageflowClient implements AsyncDisposable {
  /** The generated Connect clients, for anything this class does not wrap. */
  readonly signatures: Client<typeof SignatureService>;
  readonly workers: Client<typeof WorkerService>;
  readonly containers: Client<typeof ContainerService>;
  private readonly watches = new Set<SignatureWatch>();

  constructor(private readonly open: OpenTransport) {
    this.signatures = createClient(SignatureService, open.transport);
    this.workers = createClient(WorkerService, open.transport);
    this.containers = createClient(ContainerService, open.transport);
  }

  /**
   * MageFlow's `chain`: runs `tasks` (at least 2: existing signatures, or `InlineTask`s created with the chain)
   * one after another. Run it with `runNoWait`.
   */
  async chain(tasks: ContainerTaskLike[], options: ChainOptions = {}): Promise<Container> {
    const r = await mapped(() =>
      this.containers.createChain(compact({
        tasks: tasks.map(containerTask),
        name: options.name,
        kwargs: options.kwargs,
        successCallbacks: (options.success ?? []).map(keyOf),
        errorCallbacks: (options.error ?? []).map(keyOf),
        returnFieldName: options.returnFieldName,
        taskStatus: options.status === undefined ? undefined : parseStatus(options.status),
        requestId: options.requestId,
      })),
    );
    return r.chain!;
  }

  /**
   * MageFlow's `swarm`: runs `tasks` (existing signatures, or `InlineTask`s created with the swarm) in parallel
   * under `maxConcurrency`; open for `addTasks` unless `close`.
   */
  async swarm(tasks: ContainerTaskLike[], options: SwarmOptions): Promise<Container> {
    const r = await mapped(() =>
      this.containers.createSwarm(compact({
        tasks: tasks.map(containerTask),
        name: options.name,
        kwargs: options.kwargs,
        config: {
          maxConcurrency: options.maxConcurrency,
          stopAfterNFailures: options.stopAfterNFailures ?? 0,
          maxTasks: options.maxTasks ?? 0,
          sendMessageToChildren: options.sendMessageToChildren ?? false,
        },
        successCallbacks: (options.success ?? []).map(keyOf),
        errorCallbacks: (options.error ?? []).map(keyOf),
        returnFieldName: options.returnFieldName,
        taskStatus: options.status === undefined ? undefined : parseStatus(options.status),
        close: options.close,
        requestId: options.requestId,
      })),
    );
    return r.swarm!;
  }

  /** MageFlow's `add_tasks`: more children (existing or `InlineTask`s) for an open swarm; `close` closes it in the same step. */
  async addTasks(swarm: KeyLike, tasks: ContainerTaskLike[], options: MutationOptions & { close?: boolean } = {}): Promise<Container> {
    const r = await mapped(() =>
      this.containers.addSwarmTasks(compact({
        key: keyOf(swarm),
        tasks: tasks.map(containerTask),
        close: options.close,
        expectedRevision: options.expectedRevision === undefined ? undefined : BigInt(options.expectedRevision),
        lockId: options.lockId,
      })),
    );
    return r.swarm!;
  }

  /** MageFlow's `close_swarm`: the swarm ends once every child has ended. */
  async closeSwarm(swarm: KeyLike): Promise<Container> {
    return (await mapped(() => this.containers.closeSwarm({ key: keyOf(swarm) }))).swarm!;
  }

  /** A chain or swarm with its children counted by status. */
  async loadContainer(key: string): Promise<Container> {
    return (await mapped(() => this.containers.getContainer({ key }))).container!;
  }

  /** One page of a container's children, in order. */
  async listChildren(key: string, options: { pageSize?: number; pageToken?: string } = {}): Promise<{ children: Signature[]; nextPageToken: string }> {
    const r = await mapped(() => this.containers.listContainerChildren(compact({ key, pageSize: options.pageSize, pageToken: options.pageToken })));
    return { children: r.children, nextPageToken: r.nextPageToken };
  }

  /** The server URL and the transport in use. */
  get target() {
    return { url: this.open.url, transport: this.open.kind };
  }

  /** MageFlow's `asign`: creates a signature. */
  async asign(taskName: string, options: SignOptions = {}): Promise<Signature> {
    const r = await mapped(() => this.signatures.createSignature(createRequest(taskName, options)));
    return r.signature!;
  }

  /** Alias of `asign` (MageFlow's `sign`). */
  sign(taskName: string, options: SignOptions = {}): Promise<Signature> {
    return this.asign(taskName, options);
  }

  /** MageFlow's `load_signature`; NOT_FOUND for unknown or expired keys. */
  async loadSignature(key: string): Promise<Signature> {
    return (await mapped(() => this.signatures.getSignature({ key }))).signature!;
  }

  async loadSignatures(keys: string[]): Promise<Signature[]> {
    return (await mapped(() => this.signatures.batchGetSignatures({ keys }))).signatures;
  }

  /** One page of signatures, newest first. */
  async list(options: ListOptions = {}): Promise<{ signatures: Signature[]; nextPageToken: string }> {
    const r = await mapped(() =>
      this.signatures.listSignatures(compact({
        statuses: (options.statuses ?? []).map(parseStatus),
        taskName: options.taskName,
        createTimeAfter: ts(options.createdAfter),
        createTimeBefore: ts(options.createdBefore),
        pageSize: options.pageSize,
        pageToken: options.pageToken,
      })),
    );
    return { signatures: r.signatures, nextPageToken: r.nextPageToken };
  }

  /** Every matching signature, following the page tokens. */
  async *listAll(options: Omit<ListOptions, "pageToken"> = {}): AsyncGenerator<Signature> {
    let pageToken: string | undefined;
    do {
      const page = await this.list({ ...options, pageToken });
      yield* page.signatures;
      pageToken = page.nextPageToken || undefined;
    } while (pageToken);
  }

  /** MageFlow's `kwargs.aupdate`: merges kwargs and metadata unless named in `replace`. */
  async update(key: string, options: UpdateOptions): Promise<Signature> {
    const paths: string[] = [...(options.replace ?? [])];
    if (options.inputSchema !== undefined) paths.push("input_schema");
    if (options.returnFieldName !== undefined) paths.push("return_field_name");
    const r = await mapped(() =>
      this.signatures.updateSignature(compact({
        key,
        kwargs: options.kwargs,
        metadata: options.metadata,
        inputSchema: options.inputSchema,
        returnFieldName: options.returnFieldName,
        updateMask: paths.length > 0 ? { paths } : undefined,
        ...cond(options),
      })),
    );
    return r.signature!;
  }

  /** MageFlow's `aio_run_no_wait`: dispatches with `deep_merge(message, kwargs)` as input. */
  async runNoWait(key: string, message: JsonObject = {}, metadata: Record<string, string> = {}, options: RunOptions = {}): Promise<RunResult> {
    const r = await mapped(() => this.signatures.runSignature(compact({ key, message, metadata, requestId: options.requestId, ...cond(options) })));
    return { signature: r.signature!, runId: r.runId, dispatchState: r.dispatchState };
  }

  async suspend(key: string, options: MutationOptions = {}): Promise<Signature> {
    return (await mapped(() => this.signatures.suspendSignature(compact({ key, ...cond(options) })))).signature!;
  }

  async resume(key: string, options: MutationOptions = {}): Promise<Signature> {
    return (await mapped(() => this.signatures.resumeSignature(compact({ key, ...cond(options) })))).signature!;
  }

  /** Stops the signature and cancels its in-flight run at the engine. */
  async interrupt(key: string, options: MutationOptions = {}): Promise<Signature> {
    return (await mapped(() => this.signatures.interruptSignature(compact({ key, ...cond(options) })))).signature!;
  }

  /** MageFlow's `pause_task`: "soft" suspends, "hard" interrupts. */
  async pause(key: string, pauseType: "soft" | "hard" = "soft", options: MutationOptions = {}): Promise<Signature> {
    const type = pauseType === "hard" ? PauseType.HARD : PauseType.SOFT;
    return (await mapped(() => this.signatures.pauseSignature(compact({ key, pauseType: type, ...cond(options) })))).signature!;
  }

  async cancel(key: string, options: MutationOptions = {}): Promise<Signature> {
    return (await mapped(() => this.signatures.cancelSignature(compact({ key, ...cond(options) })))).signature!;
  }

  /** MageFlow's `remove(with_error, with_success)`: retires the signature and its callback trees. */
  async remove(key: string, options: RemoveOptions = {}): Promise<{ removedKeys: string[]; revision: bigint }> {
    const r = await mapped(() =>
      this.signatures.removeSignature(compact({ key, withError: options.withError ?? true, withSuccess: options.withSuccess ?? true, ...cond(options) })),
    );
    return { removedKeys: r.removedKeys, revision: r.revision };
  }

  /** MageFlow's `delete_signature`: deletes at once. Returns the store revision of the deletion. */
  async delete(key: string, options: MutationOptions = {}): Promise<bigint> {
    return (await mapped(() => this.signatures.deleteSignature(compact({ key, ...cond(options) })))).revision;
  }

  deleteSignature(key: string, options: MutationOptions = {}): Promise<bigint> {
    return this.delete(key, options);
  }

  /** MageFlow's `lock_task`, as an expiring lease: `await using lease = await client.lock(key)`. */
  async lock(key: string, options: LockOptions = {}): Promise<Lease> {
    const r = await this.lockRaw(key, options.ttlMs, options.owner, undefined);
    return Lease.fromResponse(this, key, options.owner, r);
  }

  /** Takes (or, with `lockId`, renews) a lease; `lock` wraps this in a Lease. */
  async lockRaw(key: string, ttlMs: number | undefined, owner: string | undefined, lockId: string | undefined): Promise<LockSignatureResponse> {
    return mapped(() => this.signatures.lockSignature(compact({ key, ttl: ttlMs === undefined ? undefined : duration(ttlMs), owner, lockId })));
  }

  async unlock(key: string, lockId: string): Promise<Signature> {
    return (await mapped(() => this.signatures.unlockSignature({ key, lockId }))).signature!;
  }

  /** Signature events as an async iterator that resumes after disconnects. */
  watch(options: WatchOptions = {}): SignatureWatch {
    const watch = new SignatureWatch((req, callOptions) => this.signatures.watchSignatures(req, callOptions), options, () => this.watches.delete(watch));
    this.watches.add(watch);
    return watch;
  }

  /** Worker side: asks whether to run the user function for this run. */
  async startTask(key: string, runId: string, options: { attempt?: number; lockId?: string } = {}): Promise<StartResult> {
    const r = await mapped(() => this.workers.startTask(compact({ key, runId, attempt: options.attempt, lockId: options.lockId })));
    return { run: r.decision === StartDecision.RUN, decision: r.decision, skipReason: r.skipReason, signature: r.signature! };
  }

  /** Worker side: the run succeeded with `result`; success callbacks are dispatched. */
  async completeTask(key: string, runId: string, result: JsonValue = null, options: { lockId?: string } = {}): Promise<TaskReport> {
    const r = await mapped(() => this.workers.completeTask(compact({ key, runId, result: fromJson(ValueSchema, result), lockId: options.lockId })));
    return { signature: r.signature!, dispatchedCallbacks: r.dispatchedCallbacks };
  }

  /** Worker side: the run failed; with `final` the signature becomes FAILED and error callbacks are dispatched. */
  async failTask(key: string, runId: string, error: TaskErrorInput, options: { final?: boolean; lockId?: string } = {}): Promise<TaskReport> {
    const r = await mapped(() => this.workers.failTask(compact({ key, runId, error: compact(error), final: options.final ?? true, lockId: options.lockId })));
    return { signature: r.signature!, dispatchedCallbacks: r.dispatchedCallbacks };
  }

  /** Ends open watches and closes the connections. */
  close(): void {
    for (const watch of this.watches) watch.close();
    this.open.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }
}

/**
 * Connects to the service: Connect on `baseUrl` by default, native gRPC with `transport: "grpc"` / `grpcAddress`.
 * Without an address it uses `MAGEFLOW_SERVER` (else `http://127.0.0.1:8080`), without a token `MAGEFLOW_TOKEN`.
 */
export function createMageflowClient(options: MageflowClientOptions = {}): MageflowClient {
  return new MageflowClient(openTransport(options));
}

const keyOf = (k: KeyLike) => (typeof k === "string" ? k : k.key);

function createRequest(taskName: string, options: SignOptions) {
  return compact({
    taskName,
    kwargs: options.kwargs,
    successCallbacks: (options.successCallbacks ?? []).map(keyOf),
    errorCallbacks: (options.errorCallbacks ?? []).map(keyOf),
    taskStatus: options.status === undefined ? undefined : parseStatus(options.status),
    returnFieldName: options.returnFieldName,
    inputSchema: options.inputSchema,
    metadata: options.metadata,
    requestId: options.requestId,
    creationTime: ts(options.creationTime),
  });
}

/** An existing signature (a key, or an object with one) by key; an `InlineTask` created with its container. */
function containerTask(t: ContainerTaskLike) {
  if (typeof t === "string" || "key" in t) return { source: { case: "key" as const, value: keyOf(t) } };
  const { taskName, ...options } = t;
  return { source: { case: "signature" as const, value: createRequest(taskName, options) } };
}
const ts = (d: Date | undefined): Timestamp | undefined => (d ? timestampFromDate(d) : undefined);
const cond = (o: MutationOptions) => ({ expectedRevision: o.expectedRevision === undefined ? undefined : BigInt(o.expectedRevision), lockId: o.lockId });

function duration(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: Math.round((ms % 1000) * 1e6) };
}
