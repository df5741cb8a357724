import { HatchetClient, IdempotencyCollisionError } from "@hatchet-dev/typescript-sdk";
import type { JsonValue } from "../core/json.js";
import { DispatchError, type Dispatcher, type TriggerRequest } from "./dispatcher.js";
import type { EngineRunState, RunStatusSource } from "./run-status.js";

export interface HatchetDispatcherOptions {
  /** A Hatchet API token; its `sub` claim is the tenant, and it may carry the engine addresses. */
  token: string;
  /** gRPC `host:port` of the engine; defaults to the token's `grpc_broadcast_address`. */
  hostPort?: string;
  /** REST base URL of the engine (used for cancel); defaults to the token's `server_url`. */
  apiUrl?: string;
  tls?: { strategy?: "tls" | "mtls" | "none"; caFile?: string; certFile?: string; keyFile?: string; serverName?: string };
  /** Prefix for task names, as Hatchet workers use it (`HATCHET_CLIENT_NAMESPACE`). */
  namespace?: string;
  /** How long to wait for the engine's answer before calling the attempt a transient failure. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const TLS_STRATEGIES = ["tls", "mtls", "none"] as const;

/** Reads Hatchet's standard client variables; undefined when `HATCHET_CLIENT_TOKEN` is not set. */
export function hatchetConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HatchetDispatcherOptions | undefined {
  const token = env.HATCHET_CLIENT_TOKEN?.trim();
  if (!token) return undefined;
  const strategy = env.HATCHET_CLIENT_TLS_STRATEGY?.trim();
  if (strategy && !(TLS_STRATEGIES as readonly string[]).includes(strategy)) {
    throw new Error(`HATCHET_CLIENT_TLS_STRATEGY must be one of ${TLS_STRATEGIES.join(", ")}, got "${strategy}"`);
  }
  return {
    token,
    hostPort: env.HATCHET_CLIENT_HOST_PORT || undefined,
    apiUrl: env.HATCHET_CLIENT_API_URL || undefined,
    namespace: env.HATCHET_CLIENT_NAMESPACE || undefined,
    tls: {
      strategy: (strategy || undefined) as "tls" | "mtls" | "none" | undefined,
      caFile: env.HATCHET_CLIENT_TLS_ROOT_CA_FILE || undefined,
      certFile: env.HATCHET_CLIENT_TLS_CERT_FILE || undefined,
      keyFile: env.HATCHET_CLIENT_TLS_KEY_FILE || undefined,
      serverName: env.HATCHET_CLIENT_TLS_SERVER_NAME || undefined,
    },
  };
}

const silentLogger = {
  debug() {},
  info() {},
  green() {},
  warn() {},
  error() {},
};

/**
 * Triggers runs through the Hatchet SDK (gRPC `WorkflowService/TriggerWorkflow`) and cancels them through
 * the SDK's `runs.cancel` (REST `POST /api/v1/stable/tenants/{tenant}/tasks/cancel`).
 * The SDK's own retries are off: one call per attempt, the caller owns the retry policy.
 */
export class HatchetDispatcher implements Dispatcher, RunStatusSource {
  readonly name = "hatchet";
  readonly client: HatchetClient;
  readonly #timeoutMs: number;
  #closed = false;

  constructor(opts: HatchetDispatcherOptions) {
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.client = HatchetClient.init(
      {
        token: opts.token,
        host_port: opts.hostPort,
        api_url: opts.apiUrl,
        // "" (not undefined) keeps the SDK from falling back to process.env.
        namespace: opts.namespace ?? "",
        tls_config: {
          tls_strategy: opts.tls?.strategy ?? "tls",
          ca_file: opts.tls?.caFile,
          cert_file: opts.tls?.certFile,
          key_file: opts.tls?.keyFile,
          server_name: opts.tls?.serverName,
        },
        retrier: { maxAttempts: 1 },
        log_level: "ERROR",
        logger: () => silentLogger,
      },
      undefined,
      { timeout: this.#timeoutMs },
    );
  }

  async trigger(req: TriggerRequest): Promise<{ runId: string }> {
    this.#assertOpen();
    try {
      const runId = await withTimeout(
        (async () => {
          const ref = await this.client.runNoWait(req.taskName, req.input, { additionalMetadata: req.metadata });
          return ref.runId;
        })(),
        this.#timeoutMs,
      );
      return { runId };
    } catch (err) {
      throw toDispatchError(err);
    }
  }

  async cancel(runId: string): Promise<void> {
    this.#assertOpen();
    try {
      await withTimeout(this.client.runs.cancel({ ids: [runId] }), this.#timeoutMs);
    } catch (err) {
      throw toDispatchError(err);
    }
  }

  /**
   * The run's state from the engine's run details (gRPC `v1.AdminService/GetRunDetails`, task-level statuses, which
   * do not lag as the run-level one does); for a failed run, its attempt from REST `GET /api/v1/stable/tasks/{id}`.
   * Throws a DispatchError when the engine cannot answer.
   */
  async runStatus(runId: string): Promise<EngineRunState> {
    this.#assertOpen();
    let details: Awaited<ReturnType<HatchetClient["runs"]["getDetails"]>>;
    try {
      details = await withTimeout(this.client.runs.getDetails(runId), this.#timeoutMs);
    } catch (err) {
      const e = toDispatchError(err);
      if (e.type === "NOT_FOUND") return { kind: "unknown" };
      throw e;
    }
    const tasks = Object.values(details.taskRuns);
    if (!details.done || tasks.length === 0) return { kind: "in_progress" };
    const failed = tasks.find((t) => t.status === "FAILED");
    if (failed) {
      const { message, type } = engineError(failed.error);
      return { kind: "failed", message, type, attempt: await this.#attempt(failed.externalId) };
    }
    if (tasks.some((t) => t.status === "CANCELLED")) return { kind: "cancelled" };
    if (tasks.every((t) => t.status === "COMPLETED")) {
      return { kind: "completed", output: (tasks.length === 1 ? tasks[0]!.output : Object.fromEntries(tasks.map((t) => [t.readableId, t.output]))) as JsonValue };
    }
    return { kind: "in_progress" };
  }

  async #attempt(taskExternalId: string): Promise<number> {
    try {
      const { data } = await withTimeout(this.client.api.v1TaskGet(taskExternalId), this.#timeoutMs);
      return data.attempt ?? (data.retryCount ?? 0) + 1;
    } catch {
      return 0;
    }
  }

  /** The SDK has no close; its gRPC channels go idle on their own. Later calls fail. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  #assertOpen(): void {
    if (this.#closed) throw new DispatchError("hatchet dispatcher is closed", false);
  }
}

class EngineTimeout extends Error {}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EngineTimeout(`the engine did not answer within ${ms} ms`)), ms);
  });
  work.catch(() => {}); // a late failure after the timeout is not an unhandled rejection
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** gRPC statuses after which the same request can never succeed. */
const PERMANENT_GRPC = new Set([
  "INVALID_ARGUMENT",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "FAILED_PRECONDITION",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
]);
/** HTTP statuses (REST calls) after which the same request can never succeed. */
const PERMANENT_HTTP = new Set([400, 404, 410, 422]);

/**
 * The SDK rethrows gRPC failures as `HatchetError(message)`, keeping only nice-grpc's message text
 * `"/<Service>/<Method> <STATUS_NAME>: <details>"`; REST failures are axios errors with `response.status`.
 */
export function toDispatchError(err: unknown): DispatchError {
  if (err instanceof DispatchError) return err;
  if (err instanceof EngineTimeout) return new DispatchError(err.message, false, "DEADLINE_EXCEEDED");
  if (err instanceof IdempotencyCollisionError) return new DispatchError(err.message, true, "ALREADY_EXISTS");
  const message = err instanceof Error ? err.message : String(err);
  const grpc = /^\/[\w.]+\/\w+ ([A-Z_]+): /.exec(message);
  // With the strict trigger settings (docs/hatchet.md) the engine refuses a name no worker registered.
  if (grpc?.[1] === "INVALID_ARGUMENT" && /workflow names not found/.test(message)) return new DispatchError(message, true, "TASK_NOT_REGISTERED");
  if (grpc) return new DispatchError(message, PERMANENT_GRPC.has(grpc[1]!), grpc[1]);
  const httpStatus = (err as { response?: { status?: unknown } } | null)?.response?.status;
  if (typeof httpStatus === "number") {
    return new DispatchError(`${message} (HTTP ${httpStatus})`, PERMANENT_HTTP.has(httpStatus), `HTTP_${httpStatus}`);
  }
  return new DispatchError(message, false, "UNAVAILABLE");
}

/**
 * The engine keeps a failed task's error as text: the TypeScript SDK sends JSON `{message, stack}`, the engine's
 * own failures are plain sentences ("Task exceeded timeout of 3s").
 */
export function engineError(text: string | undefined): { message: string; type: string } {
  const raw = text?.trim() || "the engine reported the run failed without an error message";
  let message = raw;
  try {
    const parsed = JSON.parse(raw) as { message?: unknown };
    if (typeof parsed?.message === "string") message = parsed.message;
  } catch {
    // plain text
  }
  const type = /exceeded timeout|timed out/i.test(message) ? "ENGINE_TIMEOUT" : "ENGINE_FAILED";
  return { message, type };
}
