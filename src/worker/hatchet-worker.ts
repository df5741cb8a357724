import type { MessageInitShape } from "@bufbuild/protobuf";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
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
  startTask(req: MessageInitShape<typeof StartTaskRequestSchema>, opts?: ReportOptions): Promise<StartTaskResponse>;
  completeTask(req: MessageInitShape<typeof CompleteTaskRequestSchema>, opts?: ReportOptions): Promise<CompleteTaskResponse>;
  failTask(req: MessageInitShape<typeof FailTaskRequestSchema>, opts?: ReportOptions): Promise<FailTaskResponse>;
}

/** Per-report call options: `headers` carry the run's trace context (`traceparent`) to the service. */
export interface ReportOptions {
  headers?: Record<string, string>;
}

export interface SignatureTaskOptions {
  /** The `retries` given to `hatchet.task`; the attempt with `retryCount >= retries` is reported final. */
  retries?: number;
}

/** The engine metadata key that carries the signature key. */
export const TASK_ID_METADATA = "task_id";
/** The engine metadata key that carries the run's W3C trace context (the service sets it when tracing is on). */
export const TRACEPARENT_METADATA = "traceparent";

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
    const metadata = ctx.additionalMetadata();
    const key = metadata[TASK_ID_METADATA];
    if (!key) return fn(input, ctx);
    const runId = ctx.workflowRunId();
    const retryCount = ctx.retryCount();
    const run = runTrace(metadata[TRACEPARENT_METADATA], ctx.taskName?.() ?? "task", key, runId);
    const report = run.reportOptions;

    try {
      const start = await reporter.startTask({ key, runId, attempt: retryCount + 1 }, report);
      if (start.decision === StartDecision.SKIP) return;

      let result: O;
      try {
        result = await run.within(() => fn(input, ctx));
      } catch (err) {
        run.failed(err);
        if (!ctx.cancelled) {
          const final = retryCount >= retries || isNonRetryable(err);
          await reporter
            .failTask({ key, runId, error: { ...describeError(err), attempt: retryCount + 1 }, final }, report)
            .catch(() => {}); // the user's error is the one Hatchet must see
        }
        throw err;
      }
      if (!ctx.cancelled) await reporter.completeTask({ key, runId, result: toValue(result) }, report);
      return result;
    } finally {
      run.end();
    }
  };
}

/**
 * The run's trace: with an OpenTelemetry SDK in the worker process, a span for the run (a child of the
 * engine trigger's context in `traceparent`) that the user function runs in and the reports continue;
 * without one, the reports pass the run's `traceparent` on as it came.
 */
function runTrace(traceparent: string | undefined, taskName: string, key: string, runId: string) {
  const parent = traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
  const span = trace.getTracer("mageflow-worker").startSpan(`run ${taskName}`, { kind: SpanKind.CONSUMER, attributes: { "mageflow.key": key, "mageflow.run_id": runId } }, parent);
  const spanCtx = trace.setSpan(parent, span);
  let headers: Record<string, string> | undefined;
  if (span.isRecording()) {
    headers = {};
    propagation.inject(spanCtx, headers);
  } else if (traceparent) {
    headers = { traceparent };
  }
  return {
    reportOptions: headers && Object.keys(headers).length > 0 ? { headers } : undefined,
    within: <T>(fn: () => T) => context.with(spanCtx, fn),
    failed: (err: unknown) => span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : "error" }),
    end: () => span.end(),
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
