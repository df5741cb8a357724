import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from "@opentelemetry/api";

/**
 * OpenTelemetry tracing, off unless the standard OTEL_* variables ask for it (an OTLP endpoint, or
 * OTEL_TRACES_EXPORTER other than none). When off, nothing here allocates a span or reads a header.
 */
let on = false;
let shutdownSdk: (() => Promise<void>) | undefined;

export const TRACER_NAME = "mageflow-signature-service";
export const tracer = () => trace.getTracer(TRACER_NAME);

/** Whether the environment configures trace export. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "").trim();
  if (exporters === "none") return false;
  return !!(exporters || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts the OpenTelemetry Node SDK when `env` configures an exporter; the SDK module is loaded only then,
 * and reads its exporter, sampler, resource and batching settings from process.env. Returns whether tracing is on.
 */
export async function startTracing(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (on || !tracingConfigured(env)) return on;
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({
    // OTEL_SERVICE_NAME, when set, names the service; this is the default.
    ...(env.OTEL_SERVICE_NAME ? {} : { serviceName: "mageflow-signature-service" }),
    instrumentations: [],
    // Traces only: metrics are Prometheus (/metrics), logs are JSON lines.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  shutdownSdk = () => sdk.shutdown();
  on = true;
  return on;
}

/** Flushes and stops the exporter (at server shutdown). */
export async function stopTracing() {
  const stop = shutdownSdk;
  shutdownSdk = undefined;
  on = false;
  await stop?.().catch(() => {});
}

export function tracingOn() {
  return on;
}

const headerGetter = {
  keys: (h: Headers) => [...h.keys()],
  get: (h: Headers, key: string) => h.get(key) ?? undefined,
};

/** The caller's context from `traceparent`/`tracestate` request headers (gRPC metadata or HTTP). */
export function contextFromHeaders(headers: Headers): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

/** The context a `traceparent` value names (e.g. engine run metadata); undefined when absent or invalid. */
export function contextFromTraceparent(traceparent: string | undefined): Context | undefined {
  if (!traceparent) return undefined;
  const ctx = propagation.extract(ROOT_CONTEXT, { traceparent });
  return trace.getSpanContext(ctx) ? ctx : undefined;
}

/** The `traceparent` value of a span (or of the active span); undefined when there is none. */
export function traceparentOf(span: Span | undefined = trace.getActiveSpan()): string | undefined {
  if (!span) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
  return carrier.traceparent;
}

/** Runs `fn` in a child span of the active span (nothing when tracing is off or no span is active). */
export async function inChildSpan<T>(name: string, kind: SpanKind, attributes: Record<string, string | number>, fn: () => Promise<T>): Promise<T> {
  if (!on) return fn();
  const parent = context.active();
  if (!trace.getSpan(parent)) return fn();
  const span = tracer().startSpan(name, { kind, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (e) {
    failSpan(span, e);
    throw e;
  } finally {
    span.end();
  }
}

/** Marks a span failed with the error's class only: messages may quote user data. */
export function failSpan(span: Span, err: unknown, description?: string) {
  span.setStatus({ code: SpanStatusCode.ERROR, message: description ?? (err instanceof Error ? err.name : "error") });
}

/** Run contexts of callbacks dispatched by a worker report, until their trigger continues them. */
const CALLBACK_PARENTS_MAX = 10_000;
const callbackParents = new Map<string, Context>();

/** The callbacks a CompleteTask/FailTask dispatched continue the trace of that report. */
export function rememberCallbackParent(key: string, ctx: Context) {
  if (!on) return;
  callbackParents.delete(key);
  callbackParents.set(key, ctx);
  if (callbackParents.size > CALLBACK_PARENTS_MAX) callbackParents.delete(callbackParents.keys().next().value!);
}

function takeCallbackParent(key: string): Context | undefined {
  const ctx = callbackParents.get(key);
  if (ctx) callbackParents.delete(key);
  return ctx;
}

/** Worker reports whose store step may have dispatched callbacks and not yet said which. */
const reportsInFlight = new Set<Promise<unknown>>();

/** Tracks a report's store step: a callback it dispatched can be triggered before the step's answer arrives. */
export function trackReport<T>(step: Promise<T>): Promise<T> {
  reportsInFlight.add(step);
  const done = () => reportsInFlight.delete(step);
  step.then(done, done);
  return step;
}

/** The context a callback's trigger continues: the report that dispatched it (waiting for reports still answering). */
export async function callbackParent(key: string): Promise<Context | undefined> {
  const ctx = takeCallbackParent(key);
  if (ctx || reportsInFlight.size === 0) return ctx;
  await Promise.allSettled([...reportsInFlight]);
  return takeCallbackParent(key);
}

export { context, SpanKind, SpanStatusCode, trace, type Context, type Span };
