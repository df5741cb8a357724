import type { Interceptor } from "@connectrpc/connect";

/**
 * The two parts of `@opentelemetry/api` the client needs, passed in by the caller (the client does not
 * depend on OpenTelemetry): `import { context, propagation } from "@opentelemetry/api"`.
 */
export interface TraceApi {
  context: { active(): unknown };
  propagation: { inject(ctx: never, carrier: Headers, setter: { set(carrier: Headers, key: string, value: string): void }): void };
}

/**
 * Sends the active OpenTelemetry trace context (`traceparent`, `tracestate`) with every call, so the
 * service's span for the call continues the caller's trace. With no SDK registered it sends nothing.
 */
export function traceContextInterceptor(api: TraceApi): Interceptor {
  const setter = { set: (h: Headers, k: string, v: string) => h.set(k, v) };
  return (next) => (req) => {
    api.propagation.inject(api.context.active() as never, req.header, setter);
    return next(req);
  };
}
