import { DispatchError, type Dispatcher, type TriggerRequest } from "../dispatch/dispatcher.js";
import { engineCalls, engineDuration, engineErrors } from "../observability/metrics.js";
import { callbackParent, contextFromTraceparent, failSpan, SpanKind, tracer, tracingOn, traceparentOf } from "../observability/tracing.js";
import { INSTRUMENTED } from "./instrumented.js";

/**
 * The engine with its calls counted and timed, failures counted by class, and (tracing on) a span per
 * trigger: a child of the run's trace (its `traceparent` metadata, or the worker report that dispatched
 * a callback), whose own context is sent to the engine as the run's `traceparent`, so the worker's
 * reports continue it.
 */
export function observedDispatcher(inner: Dispatcher): Dispatcher {
  if (!INSTRUMENTED) return inner;
  return {
    name: inner.name,
    trigger: async (req) => {
      if (!tracingOn()) return measured("trigger", () => inner.trigger(req));
      const parent = contextFromTraceparent(req.metadata.traceparent) ?? (await callbackParent(req.key));
      const span = tracer().startSpan(
        `engine trigger ${req.taskName}`,
        { kind: SpanKind.PRODUCER, attributes: { "mageflow.key": req.key, "mageflow.task_name": req.taskName, "mageflow.attempt": req.attempt, "mageflow.engine": inner.name } },
        parent,
      );
      const traced: TriggerRequest = { ...req, metadata: { ...req.metadata, traceparent: traceparentOf(span)! } };
      return measured("trigger", () => inner.trigger(traced)).then(
        (r) => {
          span.setAttribute("mageflow.run_id", r.runId);
          span.end();
          return r;
        },
        (e) => {
          failSpan(span, e, e instanceof DispatchError ? e.type : undefined);
          span.end();
          throw e;
        },
      );
    },
    cancel: (runId) => measured("cancel", () => inner.cancel(runId)),
    close: () => inner.close(),
  };
}

async function measured<T>(operation: "trigger" | "cancel", call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    const r = await call();
    engineCalls.inc({ operation, result: "ok" });
    return r;
  } catch (e) {
    engineCalls.inc({ operation, result: "error" });
    const d = e instanceof DispatchError ? e : undefined;
    engineErrors.inc({ operation, class: d?.type ?? "UNKNOWN", permanent: String(d?.permanent ?? false) });
    throw e;
  } finally {
    engineDuration.observe({ operation }, (performance.now() - started) / 1000);
  }
}
