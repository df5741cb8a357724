/**
 * A stand-in Hatchet engine on 127.0.0.1 for tests: the SDK's own gRPC service definitions served with
 * nice-grpc, plus the few REST routes the SDK calls. It records triggers, cancels and worker events, and
 * assigns triggered runs to connected SDK workers (retrying failed attempts like the engine does).
 * Where it models the real engine (hatchet-lite, see docs/hatchet.md) it behaves as measured there: a trigger
 * of a name no worker registered is answered with a run id and creates nothing (or, with the strict trigger
 * settings, INVALID_ARGUMENT; never NOT_FOUND); a standalone task's run id is its task's external id; a run
 * on a worker that disappears without unsubscribing is re-assigned as the next attempt, retries or not.
 * The real-engine suite (test/hatchet-real) covers what this does not.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createServer, ServerError, Status, type CallContext } from "nice-grpc";
import {
  ActionType,
  DispatcherDefinition,
  StepActionEventType,
  type AssignedAction,
} from "@hatchet-dev/typescript-sdk/protoc/dispatcher/dispatcher.js";
import { WorkflowServiceDefinition } from "@hatchet-dev/typescript-sdk/protoc/workflows/workflows.js";
import { AdminServiceDefinition, RunStatus } from "@hatchet-dev/typescript-sdk/protoc/v1/workflows.js";

export const STANDIN_ENGINE_VERSION = "v0.80.0";

export interface StandinTrigger {
  name: string;
  input: unknown;
  metadata: Record<string, string> | undefined;
  runId: string;
}

export type StandinEventType = "STARTED" | "COMPLETED" | "FAILED" | "CANCELLED" | "ACKNOWLEDGED" | "UNKNOWN";

export interface StandinEvent {
  runId: string;
  type: StandinEventType;
  retryCount: number;
  shouldNotRetry: boolean;
  payload: unknown;
}

export interface StandinRun {
  runId: string;
  taskRunExternalId: string;
  workflowName: string;
  input: unknown;
  metadata: Record<string, string> | undefined;
  retryCount: number;
  status: "QUEUED" | "ASSIGNED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
  workerId?: string;
  /** The COMPLETED event's output, or the FAILED event's error text (as the engine keeps them). */
  output?: unknown;
  error?: string;
}

interface RegisteredTask {
  readableId: string;
  action: string;
  retries: number;
}

interface StandinWorker {
  id: string;
  name: string;
  actions: Set<string>;
  inbox: Partial<AssignedAction>[];
  listening: boolean;
  wake?: () => void;
}

export interface StandinOptions {
  /**
   * The engine's strict trigger settings (SERVER_OPTIMISTIC_SCHEDULING_ENABLED=false,
   * SERVER_GRPC_TRIGGER_WRITES_ENABLED=false): a trigger of a workflow no worker registered is answered
   * INVALID_ARGUMENT "workflow names not found". Without them it gets a run id and nothing is created.
   */
  strictTriggers?: boolean;
  /** How long after a worker's stream breaks (no Unsubscribe) its runs are re-assigned (the engine: about 29 s). */
  reassignLostAfterMs?: number;
}

export interface HatchetStandin {
  readonly hostPort: string;
  readonly apiUrl: string;
  readonly tenantId: string;
  /** An unsigned token the SDK accepts (its signature is never checked). */
  readonly token: string;
  readonly triggers: readonly StandinTrigger[];
  /** Every TriggerWorkflow call, accepted or not. */
  readonly triggerCalls: number;
  /** Run ids of every cancel, REST or gRPC, in arrival order. */
  readonly cancels: readonly string[];
  readonly events: readonly StandinEvent[];
  readonly runs: ReadonlyMap<string, StandinRun>;
  /** Registered workflows (lower-cased name) and their tasks. */
  readonly workflows: ReadonlyMap<string, RegisteredTask[]>;
  failTriggersWith(code: Status, details?: string): void;
  /** Holds every TriggerWorkflow this long before anything is recorded (the engine was not reached). */
  delayTriggers(ms: number): void;
  /**
   * Records each trigger and creates its run at once, but holds the reply this long: the engine accepted
   * the run and the caller has not learned its id yet (the crash window of a dispatcher).
   */
  delayTriggerReplies(ms: number): void;
  /** While held, triggered runs stay QUEUED and are not assigned to workers; releasing assigns them. */
  holdAssignments(hold: boolean): void;
  failCancelsWith(httpStatus: number): void;
  resetFaults(): void;
  /** Polls until `check` returns a truthy value, or fails after `timeoutMs`. */
  until<T>(check: () => T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const EVENT_TYPES: Record<number, StandinEventType> = {
  [StepActionEventType.STEP_EVENT_TYPE_STARTED]: "STARTED",
  [StepActionEventType.STEP_EVENT_TYPE_COMPLETED]: "COMPLETED",
  [StepActionEventType.STEP_EVENT_TYPE_FAILED]: "FAILED",
  [StepActionEventType.STEP_EVENT_TYPE_CANCELLED]: "CANCELLED",
  [StepActionEventType.STEP_EVENT_TYPE_ACKNOWLEDGED]: "ACKNOWLEDGED",
};

export async function startHatchetStandin(opts: StandinOptions = {}): Promise<HatchetStandin> {
  const tenantId = "tenant-standin";
  const triggers: StandinTrigger[] = [];
  const cancels: string[] = [];
  const events: StandinEvent[] = [];
  const runs = new Map<string, StandinRun>();
  const runsByTask = new Map<string, StandinRun>();
  const workflows = new Map<string, RegisteredTask[]>();
  const workers = new Map<string, StandinWorker>();
  let triggerCalls = 0;
  let triggerFault: { code: Status; details: string } | undefined;
  let triggerDelayMs = 0;
  let triggerReplyDelayMs = 0;
  let assignmentsHeld = false;
  let cancelFailure: number | undefined;
  let closed = false;

  const taskOf = (run: StandinRun) => workflows.get(run.workflowName)?.[0];

  function actionFor(run: StandinRun, task: RegisteredTask, type: ActionType): Partial<AssignedAction> {
    return {
      tenantId,
      workflowRunId: run.runId,
      getGroupKeyRunId: "",
      jobId: `job-${run.workflowName}`,
      jobName: run.workflowName,
      jobRunId: `jobrun-${run.runId}`,
      taskId: `task-${task.readableId}`,
      taskRunExternalId: run.taskRunExternalId,
      actionId: task.action,
      actionType: type,
      actionPayload: JSON.stringify({ input: run.input }),
      taskName: task.readableId,
      retryCount: run.retryCount,
      additionalMetadata: run.metadata ? JSON.stringify(run.metadata) : undefined,
      priority: 1,
    };
  }

  function send(worker: StandinWorker, action: Partial<AssignedAction>): void {
    worker.inbox.push(action);
    worker.wake?.();
  }

  function assignQueued(): void {
    if (assignmentsHeld) return;
    for (const run of runs.values()) {
      if (run.status !== "QUEUED") continue;
      const task = taskOf(run);
      if (!task) continue;
      const worker = [...workers.values()].find((w) => w.listening && w.actions.has(task.action));
      if (!worker) continue;
      run.status = "ASSIGNED";
      run.workerId = worker.id;
      send(worker, actionFor(run, task, ActionType.START_STEP_RUN));
    }
  }

  /** The engine re-queues a lost worker's runs as the next attempt, even when the task has no retries left. */
  function reassignFrom(worker: StandinWorker): void {
    if (worker.listening || closed) return;
    for (const run of runs.values()) {
      if (run.workerId !== worker.id || !["ASSIGNED", "RUNNING"].includes(run.status)) continue;
      run.retryCount += 1;
      run.status = "QUEUED";
      run.workerId = undefined;
    }
    assignQueued();
  }

  function cancelRun(id: string): void {
    cancels.push(id);
    const run = runs.get(id) ?? runsByTask.get(id);
    if (!run || ["COMPLETED", "FAILED", "CANCELLED"].includes(run.status)) return;
    const wasOnWorker = run.workerId ? workers.get(run.workerId) : undefined;
    run.status = "CANCELLED";
    const task = taskOf(run);
    if (wasOnWorker && task) send(wasOnWorker, actionFor(run, task, ActionType.CANCEL_STEP_RUN));
  }

  function onStepEvent(ev: {
    taskRunExternalId: string;
    eventType: StepActionEventType;
    eventPayload: string;
    retryCount?: number;
    shouldNotRetry?: boolean;
  }): void {
    const run = runsByTask.get(ev.taskRunExternalId);
    const type = EVENT_TYPES[ev.eventType] ?? "UNKNOWN";
    events.push({
      runId: run?.runId ?? ev.taskRunExternalId,
      type,
      retryCount: ev.retryCount ?? 0,
      shouldNotRetry: ev.shouldNotRetry ?? false,
      payload: parseJson(ev.eventPayload),
    });
    // The SDK sends STARTED without awaiting it, so it may arrive after the attempt's COMPLETED/FAILED.
    if (!run || run.status === "CANCELLED" || (ev.retryCount ?? 0) !== run.retryCount) return;
    if (type === "STARTED" && run.status === "ASSIGNED") run.status = "RUNNING";
    if (type === "COMPLETED") {
      run.status = "COMPLETED";
      run.output = parseJson(ev.eventPayload);
    }
    if (type === "FAILED") {
      run.error = ev.eventPayload;
      const retries = taskOf(run)?.retries ?? 0;
      if (!ev.shouldNotRetry && run.retryCount < retries) {
        run.retryCount += 1;
        run.status = "QUEUED";
        setImmediate(assignQueued);
      } else {
        run.status = "FAILED";
      }
    }
  }

  const grpc = createServer();

  grpc.add(WorkflowServiceDefinition, {
    ...unimplemented(WorkflowServiceDefinition),
    async triggerWorkflow(req, ctx: CallContext) {
      triggerCalls += 1;
      if (triggerDelayMs > 0) await sleep(triggerDelayMs, undefined, { signal: ctx.signal });
      if (triggerFault) throw new ServerError(triggerFault.code, triggerFault.details);
      const name = req.name;
      const registered = workflows.has(name.toLowerCase());
      if (opts.strictTriggers && !registered) {
        throw new ServerError(Status.INVALID_ARGUMENT, `could not trigger workflow: rpc error: code = InvalidArgument desc = workflow names not found: ${name}`);
      }
      const runId = randomUUID();
      const metadata = req.additionalMetadata ? (JSON.parse(req.additionalMetadata) as Record<string, string>) : undefined;
      const input = parseJson(req.input);
      triggers.push({ name, input, metadata, runId });
      if (!registered) return { workflowRunId: runId }; // dropped: the id never exists
      const run: StandinRun = {
        runId,
        taskRunExternalId: runId,
        workflowName: name.toLowerCase(),
        input,
        metadata,
        retryCount: 0,
        status: "QUEUED",
      };
      runs.set(runId, run);
      runsByTask.set(run.taskRunExternalId, run);
      setImmediate(assignQueued);
      if (triggerReplyDelayMs > 0) await sleep(triggerReplyDelayMs, undefined, { signal: ctx.signal });
      return { workflowRunId: runId };
    },
  });

  grpc.add(AdminServiceDefinition, {
    ...unimplemented(AdminServiceDefinition),
    async putWorkflow(req) {
      const tasks = req.tasks.map((t) => ({ readableId: t.readableId, action: t.action.toLowerCase(), retries: t.retries }));
      workflows.set(req.name.toLowerCase(), tasks);
      return { id: randomUUID(), workflowId: randomUUID() };
    },
    async cancelTasks(req) {
      req.externalIds.forEach(cancelRun);
      return { cancelledTasks: req.externalIds };
    },
    async getRunDetails(req) {
      const run = runs.get(req.externalId);
      if (!run) throw new ServerError(Status.NOT_FOUND, "workflow run not found");
      const status = {
        QUEUED: RunStatus.QUEUED,
        ASSIGNED: RunStatus.QUEUED,
        RUNNING: RunStatus.RUNNING,
        COMPLETED: RunStatus.COMPLETED,
        FAILED: RunStatus.FAILED,
        CANCELLED: RunStatus.CANCELLED,
      }[run.status];
      const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v ?? {}));
      return {
        input: bytes(run.input),
        status,
        done: ["COMPLETED", "FAILED", "CANCELLED"].includes(run.status),
        additionalMetadata: bytes(run.metadata),
        isEvicted: false,
        taskRuns: {
          [run.taskRunExternalId]: {
            externalId: run.taskRunExternalId,
            status,
            error: run.error,
            output: run.status === "COMPLETED" ? bytes(run.output) : undefined,
            readableId: taskOf(run)?.readableId ?? run.workflowName,
            isEvicted: false,
          },
        },
      };
    },
  });

  grpc.add(DispatcherDefinition, {
    ...unimplemented(DispatcherDefinition),
    async getVersion() {
      return { version: STANDIN_ENGINE_VERSION };
    },
    async register(req) {
      const worker: StandinWorker = {
        id: randomUUID(),
        name: req.workerName,
        actions: new Set(req.actions.map((a) => a.toLowerCase())),
        inbox: [],
        listening: false,
      };
      workers.set(worker.id, worker);
      return { tenantId, workerId: worker.id, workerName: worker.name };
    },
    async *listenV2(req, ctx: CallContext) {
      const worker = workers.get(req.workerId);
      if (!worker) throw new ServerError(Status.NOT_FOUND, `unknown worker ${req.workerId}`);
      worker.listening = true;
      const wakeOnAbort = () => worker.wake?.();
      ctx.signal.addEventListener("abort", wakeOnAbort);
      setImmediate(assignQueued);
      try {
        while (!closed && !ctx.signal.aborted) {
          const next = worker.inbox.shift();
          if (next) {
            yield next;
            continue;
          }
          await new Promise<void>((resolve) => (worker.wake = resolve));
        }
      } finally {
        const lost = worker.listening && !closed; // Unsubscribe clears `listening` first
        worker.listening = false;
        worker.wake = undefined;
        ctx.signal.removeEventListener("abort", wakeOnAbort);
        if (lost) setTimeout(() => reassignFrom(worker), opts.reassignLostAfterMs ?? 500).unref();
      }
    },
    async heartbeat() {
      return {};
    },
    async sendStepActionEvent(req) {
      onStepEvent(req);
      return { tenantId, workerId: req.workerId };
    },
    async unsubscribe(req) {
      const worker = workers.get(req.workerId);
      if (worker) worker.listening = false;
      return { tenantId, workerId: req.workerId };
    },
    async upsertWorkerLabels(req) {
      return { tenantId, workerId: req.workerId };
    },
  });

  const grpcPort = await grpc.listen("127.0.0.1:0");

  const rest = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const reply = (status: number, payload: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(payload));
      };
      if (req.method === "GET" && url.pathname === `/api/v1/tenants/${tenantId}`) {
        return reply(200, { metadata: { id: tenantId }, name: "standin", slug: "standin", version: "V1" });
      }
      if (req.method === "POST" && url.pathname === `/api/v1/stable/tenants/${tenantId}/tasks/cancel`) {
        if (cancelFailure) return reply(cancelFailure, { errors: [{ description: "cancel refused by stand-in" }] });
        const ids = (parseJson(body) as { externalIds?: string[] } | undefined)?.externalIds ?? [];
        ids.forEach(cancelRun);
        return reply(200, { ids });
      }
      if (req.method === "PATCH" && url.pathname.startsWith("/api/v1/workers/")) return reply(200, {});
      reply(404, { errors: [{ description: `stand-in has no route ${req.method} ${url.pathname}` }] });
    });
  });
  await new Promise<void>((resolve) => rest.listen(0, "127.0.0.1", resolve));
  const apiUrl = `http://127.0.0.1:${(rest.address() as AddressInfo).port}`;

  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const token = `${b64({ alg: "none" })}.${b64({ sub: tenantId })}.standin`;

  return {
    hostPort: `127.0.0.1:${grpcPort}`,
    apiUrl,
    tenantId,
    token,
    triggers,
    get triggerCalls() {
      return triggerCalls;
    },
    cancels,
    events,
    runs,
    workflows,
    failTriggersWith(code, details = "stand-in failure") {
      triggerFault = { code, details };
    },
    delayTriggers(ms) {
      triggerDelayMs = ms;
    },
    delayTriggerReplies(ms) {
      triggerReplyDelayMs = ms;
    },
    holdAssignments(hold) {
      assignmentsHeld = hold;
      if (!hold) setImmediate(assignQueued);
    },
    failCancelsWith(httpStatus) {
      cancelFailure = httpStatus;
    },
    resetFaults() {
      triggerFault = undefined;
      triggerDelayMs = 0;
      triggerReplyDelayMs = 0;
      cancelFailure = undefined;
    },
    async until(check, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = check();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`stand-in: condition not met within ${timeoutMs} ms`);
        await sleep(20);
      }
    },
    async close() {
      closed = true;
      for (const w of workers.values()) w.wake?.();
      grpc.forceShutdown();
      rest.closeAllConnections();
      await new Promise<void>((resolve) => rest.close(() => resolve()));
    },
  };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Definition = { methods: Record<string, { name: string; responseStream: boolean }> };

/** Every method of `def` answering UNIMPLEMENTED; spread it under the methods the stand-in implements. */
function unimplemented<D extends Definition>(def: D): any {
  const impl: Record<string, unknown> = {};
  for (const [key, m] of Object.entries(def.methods)) {
    const fail = () => new ServerError(Status.UNIMPLEMENTED, `stand-in does not implement ${m.name}`);
    impl[key] = m.responseStream
      ? async function* () {
          throw fail();
        }
      : async () => {
          throw fail();
        };
  }
  return impl;
}
