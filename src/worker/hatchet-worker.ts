import type { MessageInitShape } from "@bufbuild/protobuf";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { NonRetryableError, type Context, type InputType, type OutputType, type TaskFn } from "@hatchet-dev/typescript-sdk";
import {
  StartDecision,
  WorkerService,
  type CompleteTaskRequestSchema,
  type CompleteTaskResponse,
  type FailTaskRequestSchema,
  type FailTaskResponse,
  type StartTaskRequestSchema,
  type StartTaskResponse,
} from "../../gen/ts/mageflow/v1/worker_service_pb.js";

/** The three WorkerService calls a worker makes; a Connect client of `WorkerService` is one. */
export interface WorkerReporter {
  startTask(req: MessageInitShape<typeof StartTaskRequestSchema>): Promise<StartTaskResponse>;
  completeTask(req: MessageInitShape<typeof CompleteTaskRequestSchema>): Promise<CompleteTaskResponse>;
  failTask(req: MessageInitShape<typeof FailTaskRequestSchema>): Promise<FailTaskResponse>;
}

export interface SignatureTaskOptions {
  /** The `retries` given to `hatchet.task`; the attempt with `retryCount >= retries` is reported final. */
  retries?: number;
}

/** The engine metadata key that carries the signature key. */
export const TASK_ID_METADATA = "task_id";

/**
 * Wraps a Hatchet task function so the signature service learns about its runs: StartTask before the
 * user function (SKIP means the function is not run), then CompleteTask with its result or FailTask with
 * its error (rethrown, so Hatchet retries as configured). Runs without `task_id` metadata are not
 * signatures and run unreported; cancelled runs are not reported either.
 *
 * ```ts
 * const opts = { name: "resize", retries: 2 };
 * hatchet.task({ ...opts, fn: withSignature(reporter, resize, opts) });
 * ```
 */
export function withSignature<I extends InputType, O extends OutputType>(
  reporter: WorkerReporter,
  fn: TaskFn<I, O>,
  opts: SignatureTaskOptions = {},
): TaskFn<I, O | void> {
  const retries = opts.retries ?? 0;
  return async (input: I, ctx: Context<I>) => {
    const key = ctx.additionalMetadata()[TASK_ID_METADATA];
    if (!key) return fn(input, ctx);
    const runId = ctx.workflowRunId();
    const retryCount = ctx.retryCount();

    const start = await reporter.startTask({ key, runId, attempt: retryCount + 1 });
    if (start.decision === StartDecision.SKIP) return;

    let result: O;
    try {
      result = await fn(input, ctx);
    } catch (err) {
      if (!ctx.cancelled) {
        const final = retryCount >= retries || isNonRetryable(err);
        await reporter
          .failTask({ key, runId, error: { ...describeError(err), attempt: retryCount + 1 }, final })
          .catch(() => {}); // the user's error is the one Hatchet must see
      }
      throw err;
    }
    if (!ctx.cancelled) await reporter.completeTask({ key, runId, result: toValue(result) });
    return result;
  };
}

export interface WorkerReporterOptions {
  httpVersion?: "1.1" | "2";
  interceptors?: Interceptor[];
}

/** A WorkerService client speaking the Connect protocol to the signature service at `baseUrl`. */
export function connectWorkerReporter(baseUrl: string, opts: WorkerReporterOptions = {}): WorkerReporter {
  const transport = createConnectTransport({
    baseUrl,
    httpVersion: opts.httpVersion ?? "1.1",
    interceptors: opts.interceptors,
  });
  return createClient(WorkerService, transport);
}

function isNonRetryable(err: unknown): boolean {
  return err instanceof NonRetryableError || (err instanceof Error && err.name === "NonRetryableError");
}

function describeError(err: unknown): { message: string; type: string } {
  if (!(err instanceof Error)) return { message: String(err), type: typeof err };
  const type = err.name !== "Error" ? err.name : err.constructor.name;
  return { message: err.message, type };
}

function toValue(result: unknown) {
  const json = result === undefined ? null : (JSON.parse(JSON.stringify(result)) as JsonValue);
  return fromJson(ValueSchema, json);
}
