import { ServiceError } from "../core/service-error.js";
import { storeDuration, storeErrors } from "../observability/metrics.js";
import { context, failSpan, rememberCallbackParent, SpanKind, trace, tracer, tracingOn, trackReport, traceparentOf } from "../observability/tracing.js";
import type { CompleteResult, RunCommand, Store } from "../store/store.js";
import { INSTRUMENTED } from "./instrumented.js";

/** The store operations that are measured (each is one Lua script or one read on Redis). */
const OPERATIONS = [
  "get",
  "getMany",
  "list",
  "create",
  "update",
  "delete",
  "remove",
  "transition",
  "run",
  "lock",
  "unlock",
  "startTask",
  "completeTask",
  "failTask",
  "markDispatched",
  "failDispatch",
  "currentRevision",
  "ping",
] as const satisfies readonly (keyof Store)[];

const REPORTS = new Set<string>(["completeTask", "failTask"]);

type AnyOp = (...args: unknown[]) => Promise<unknown>;

/**
 * The store with every operation timed (`mageflow_store_operation_duration_seconds`), its failures
 * counted (refusals such as NOT_FOUND are answers, not failures), and, when tracing is on and a span is
 * active, a child span per operation. A run carries the active trace in its engine metadata
 * (`traceparent`, the key Hatchet propagates), unless the caller set one.
 */
export function observedStore(inner: Store): Store {
  if (!INSTRUMENTED) return inner;
  const out: Record<string, unknown> = {};
  for (const op of OPERATIONS) {
    const fn = (inner[op] as AnyOp).bind(inner);
    const duration = storeDuration.labels({ operation: op });
    const errors = storeErrors.labels({ operation: op });
    const timed = async (args: unknown[]) => {
      const started = performance.now();
      try {
        return await fn(...args);
      } catch (e) {
        if (!(e instanceof ServiceError)) errors.inc();
        throw e;
      } finally {
        duration.observe((performance.now() - started) / 1000);
      }
    };
    out[op] = (...args: unknown[]) => {
      if (!tracingOn()) return timed(args);
      const parent = context.active();
      if (!trace.getSpan(parent)) return timed(args);
      if (op === "run") args = [withTraceparent(args[0] as RunCommand)];
      const span = tracer().startSpan(`store ${op}`, { kind: SpanKind.CLIENT, attributes: { "db.system": inner.kind, "db.operation.name": op } }, parent);
      const step = context.with(trace.setSpan(parent, span), () => timed(args)).then(
        (r) => {
          span.end();
          // The callbacks a worker report dispatched continue the report's trace when they are triggered.
          if (REPORTS.has(op)) for (const k of (r as CompleteResult).dispatched) rememberCallbackParent(k, parent);
          return r;
        },
        (e) => {
          if (!(e instanceof ServiceError)) failSpan(span, e);
          span.end();
          throw e;
        },
      );
      return REPORTS.has(op) ? trackReport(step) : step;
    };
  }
  // Anything else (outbox, events, close, operations added later) is the store's own, unmeasured.
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && Object.hasOwn(out, prop)) return out[prop];
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

function withTraceparent(c: RunCommand): RunCommand {
  if (c.metadata.traceparent) return c;
  const traceparent = traceparentOf();
  return traceparent ? { ...c, metadata: { ...c.metadata, traceparent } } : c;
}
