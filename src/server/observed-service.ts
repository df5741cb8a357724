import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { toConnectError } from "../api/to-connect-error.js";
import { log } from "../observability/log.js";
import { recordAuthRefusal, rpcDuration, rpcHandled, rpcInFlight } from "../observability/metrics.js";
import { context, contextFromHeaders, failSpan, SpanKind, trace, tracer, tracingOn, type Context, type Span } from "../observability/tracing.js";
import { namespaceOf } from "./call-notes.js";
import { INSTRUMENTED } from "./instrumented.js";

/** Which port a call came in on: the native gRPC port, or the HTTP port (Connect, gRPC-Web, gRPC). */
export type ListenerKind = "grpc" | "http";

type AnyFn = (req: unknown, ctx: HandlerContext) => unknown;

/** gRPC's canonical code names (OK, NOT_FOUND, ...), by code. */
const CODE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Code)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [v, k.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()]),
);
CODE_NAMES[0] = "OK";
/** Connect has no code for success; gRPC calls it 0, OK. */
const OK = 0 as Code;

/** Codes that mean the caller asked for something the service refused: answers, logged at debug like successes. */
const CALLER_CODES = new Set([
  Code.Canceled,
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.ResourceExhausted,
  Code.FailedPrecondition,
  Code.Aborted,
  Code.OutOfRange,
  Code.Unauthenticated,
]);

interface Outcome {
  code: Code;
  reason: string;
  /** The failure as thrown, for the log of a server-side fault. */
  fault?: unknown;
}

/**
 * Every method of `impl`, measured and traced: the RPC counter, latency histogram and in-flight gauge,
 * a server span continuing the caller's `traceparent` (when tracing is on), and one log line per call
 * (debug when it succeeded). Request and response bodies are never logged or put on a span.
 */
export function observedService<S extends DescService>(service: S, impl: ServiceImpl<S>, listener: ListenerKind): ServiceImpl<S> {
  if (!INSTRUMENTED) return impl;
  const out: Record<string, AnyFn> = {};
  for (const m of service.methods) {
    const fn = (impl as unknown as Record<string, AnyFn>)[m.localName].bind(impl);
    const call = new MethodObserver(service, m, listener);
    out[m.localName] = m.methodKind === "server_streaming" ? (req, ctx) => call.stream(req, ctx, fn) : (req, ctx) => call.unary(req, ctx, fn);
  }
  return out as unknown as ServiceImpl<S>;
}

class MethodObserver {
  private readonly byProtocol = new Map<string, { inFlight: ReturnType<typeof rpcInFlight.labels>; duration: ReturnType<typeof rpcDuration.labels>; handled: Map<string, ReturnType<typeof rpcHandled.labels>> }>();
  private readonly path: string;

  constructor(
    private readonly service: DescService,
    private readonly method: DescMethod,
    private readonly listener: ListenerKind,
  ) {
    this.path = `${service.typeName}/${method.name}`;
  }

  private protocol(ctx: HandlerContext) {
    if (this.listener === "grpc") return "grpc";
    return ctx.protocolName === "grpc" ? "grpc-http" : ctx.protocolName;
  }

  private children(protocol: string) {
    let c = this.byProtocol.get(protocol);
    if (!c) {
      const labels = { service: this.service.typeName, method: this.method.name, protocol };
      c = { inFlight: rpcInFlight.labels(labels), duration: rpcDuration.labels(labels), handled: new Map() };
      this.byProtocol.set(protocol, c);
    }
    return c;
  }

  private begin(req: unknown, ctx: HandlerContext) {
    const protocol = this.protocol(ctx);
    const c = this.children(protocol);
    c.inFlight.inc();
    let span: Span | undefined;
    let spanCtx: Context | undefined;
    if (tracingOn()) {
      const parent = contextFromHeaders(ctx.requestHeader);
      span = tracer().startSpan(
        this.path,
        {
          kind: SpanKind.SERVER,
          attributes: { "rpc.system": protocol.startsWith("grpc") ? "grpc" : "connect_rpc", "rpc.service": this.service.typeName, "rpc.method": this.method.name, "mageflow.protocol": protocol },
        },
        parent,
      );
      const key = (req as { key?: unknown }).key;
      if (typeof key === "string" && key) span.setAttribute("mageflow.key", key);
      spanCtx = trace.setSpan(parent, span);
    }
    return { protocol, c, span, spanCtx, started: performance.now() };
  }

  private end(b: ReturnType<MethodObserver["begin"]>, req: unknown, res: unknown, ctx: HandlerContext, outcome: Outcome) {
    const seconds = (performance.now() - b.started) / 1000;
    b.c.inFlight.dec();
    b.c.duration.observe(seconds);
    const code = CODE_NAMES[outcome.code] ?? String(outcome.code);
    let handled = b.c.handled.get(code);
    if (!handled) b.c.handled.set(code, (handled = rpcHandled.labels({ service: this.service.typeName, method: this.method.name, protocol: b.protocol, code })));
    handled.inc();
    if (outcome.code === Code.Unauthenticated || outcome.code === Code.PermissionDenied) recordAuthRefusal(outcome.reason);
    if (b.span) {
      b.span.setAttribute("rpc.grpc.status_code", outcome.code);
      if (outcome.code !== OK) failSpan(b.span, outcome.fault, `${code} ${outcome.reason}`);
      b.span.end();
    }
    const level = outcome.code === OK || CALLER_CODES.has(outcome.code) ? "debug" : outcome.code === Code.Unavailable || outcome.code === Code.DeadlineExceeded ? "warn" : "error";
    if (!log.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {
      namespace: namespaceOf(ctx),
      method: this.path,
      protocol: b.protocol,
      code,
      duration_ms: Math.round(seconds * 1e6) / 1000,
    };
    const r = req as { key?: unknown; runId?: unknown };
    if (typeof r.key === "string" && r.key) fields.key = r.key;
    const runId = (typeof r.runId === "string" && r.runId) || ((res as { runId?: unknown } | undefined)?.runId as string | undefined);
    if (runId) fields.run_id = runId;
    if (outcome.code !== OK) fields.reason = outcome.reason;
    if (b.span) fields.trace_id = b.span.spanContext().traceId;
    // Only a server-side fault's own message and stack: a refusal's message may quote the request.
    if (level === "error" && outcome.fault instanceof Error) fields.err = { type: outcome.fault.name, message: outcome.fault.message, stack: outcome.fault.stack };
    log[level](fields, "rpc");
  }

  async unary(req: unknown, ctx: HandlerContext, fn: AnyFn) {
    const b = this.begin(req, ctx);
    let res: unknown;
    let outcome: Outcome = { code: OK, reason: "" };
    try {
      res = b.spanCtx ? await context.with(b.spanCtx, () => fn(req, ctx)) : await fn(req, ctx);
      return res;
    } catch (e) {
      outcome = outcomeOf(e);
      throw e;
    } finally {
      this.end(b, req, res, ctx, outcome);
    }
  }

  /** A stream: measured from its start to its end, whatever ends it (the caller, an error, shutdown). */
  stream(req: unknown, ctx: HandlerContext, fn: AnyFn): AsyncIterable<unknown> {
    const self = this;
    return {
      [Symbol.asyncIterator]() {
        const b = self.begin(req, ctx);
        let inner: AsyncIterator<unknown> | undefined;
        let ended = false;
        const finish = (outcome: Outcome) => {
          if (ended) return;
          ended = true;
          self.end(b, req, undefined, ctx, outcome);
        };
        const settle = (r: IteratorResult<unknown>) => {
          if (r.done) finish({ code: OK, reason: "" });
          return r;
        };
        const fail = (e: unknown): never => {
          finish(outcomeOf(e));
          throw e;
        };
        const open = () => (inner ??= (fn(req, ctx) as AsyncIterable<unknown>)[Symbol.asyncIterator]());
        return {
          next() {
            if (ended) return Promise.resolve({ done: true, value: undefined });
            try {
              const it = b.spanCtx ? context.with(b.spanCtx, open) : open();
              return it.next().then(settle, fail);
            } catch (e) {
              return Promise.reject(fail(e));
            }
          },
          async return(value?: unknown) {
            try {
              await inner?.return?.();
            } finally {
              finish({ code: Code.Canceled, reason: "CANCELLED" });
            }
            return { done: true, value } as IteratorResult<unknown>;
          },
        };
      },
    };
  }
}

function outcomeOf(e: unknown): Outcome {
  const ce = toConnectError(e);
  const reason = ce.findDetails(ErrorInfoSchema)[0]?.reason ?? CODE_NAMES[ce.code] ?? "UNKNOWN";
  return { code: ce.code, reason, fault: e };
}
