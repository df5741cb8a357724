import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { openedStream } from "../api/streams.js";
import { wellKnownViolations } from "../api/validate.js";
import { invalidArgument, ServiceError } from "../core/service-error.js";
import type { Authenticator } from "../auth/authenticator.js";
import { callInfoOf } from "../auth/call-info.js";
import type { Namespace, NamespaceRegistry } from "./namespaces.js";
import { noteNamespace } from "./call-notes.js";
import { allowed, methodPath } from "../auth/roles.js";
import type { Identity } from "../auth/tokens.js";
import type { WatchLimits } from "../auth/watch-limits.js";
import type { RateLimits } from "../auth/rate-limits.js";

/** What every RPC passes before a handler runs: who is calling, may they, and in which namespace. */
export class Gate {
  constructor(
    private readonly auth: Authenticator,
    private readonly registry: NamespaceRegistry,
    private readonly watches: WatchLimits,
    private readonly rates?: RateLimits,
  ) {}

  /**
   * In order: authentication (UNAUTHENTICATED), the role (PERMISSION_DENIED), the token's rate
   * (RESOURCE_EXHAUSTED RATE_LIMITED), the request body
   * (RESOURCE_EXHAUSTED when too large, INVALID_ARGUMENT when it could not be decoded or holds
   * out-of-range timestamps), then the caller's namespace.
   */
  async enter(method: DescMethod, req: unknown, ctx: HandlerContext): Promise<{ identity: Identity; namespace: Namespace; info: ReturnType<typeof callInfoOf> }> {
    const identity = this.auth.authenticate(ctx);
    noteNamespace(ctx, identity.namespace);
    if (!allowed(identity.role, method)) {
      throw new ServiceError(Code.PermissionDenied, "PERMISSION_DENIED", `role ${identity.role} may not call ${methodPath(method)}`, {
        role: identity.role,
        method: methodPath(method),
      });
    }
    this.rates?.take(identity);
    const info = callInfoOf(req, ctx);
    if (info.tooLarge !== undefined) {
      throw new ServiceError(Code.ResourceExhausted, "REQUEST_TOO_LARGE", `the request is larger than ${info.tooLarge} bytes (the server's MAX_REQUEST_BYTES)`, {
        limit: String(info.tooLarge),
      });
    }
    if (info.badRequest !== undefined) throw invalidArgument([{ field: "(request body)", description: info.badRequest }]);
    const outOfRange = wellKnownViolations(method.input, req as object);
    if (outOfRange.length > 0) throw invalidArgument(outOfRange);
    return { identity, namespace: await this.registry.get(identity.namespace), info };
  }

  /** Whether a call's headers admit it: a known token whose role may call `method` (the body is not looked at). */
  admits(requestHeader: Headers, method: DescMethod): boolean {
    try {
      return allowed(this.auth.authenticate({ requestHeader }).role, method);
    } catch {
      return false;
    }
  }

  /** Takes a watch slot for the caller (RESOURCE_EXHAUSTED TOO_MANY_WATCHES when none is left). */
  watchSlot(identity: Identity, connection: unknown) {
    return this.watches.acquire(identity, connection);
  }
}

type AnyFn = (req: unknown, ctx: HandlerContext) => unknown;

/**
 * One implementation of `service` that sends every call through the gate to the handlers of
 * the caller's namespace (`pick`). The handlers themselves know nothing of tokens or namespaces.
 */
export function routedService<S extends DescService>(service: S, gate: Gate, pick: (ns: Namespace) => ServiceImpl<S>): ServiceImpl<S> {
  const out: Record<string, AnyFn> = {};
  for (const m of service.methods) {
    const call = (ns: Namespace, req: unknown, ctx: HandlerContext) => (pick(ns) as unknown as Record<string, AnyFn>)[m.localName](req, ctx);
    if (m.methodKind === "server_streaming") {
      out[m.localName] = (req, ctx) =>
        openedStream(async () => {
          const { identity, namespace, info } = await gate.enter(m, req, ctx);
          const close = gate.watchSlot(identity, info.connection);
          try {
            return { stream: call(namespace, req, ctx) as AsyncIterable<unknown>, close };
          } catch (e) {
            close();
            throw e;
          }
        });
    } else {
      out[m.localName] = async (req, ctx) => {
        const { namespace } = await gate.enter(m, req, ctx);
        return call(namespace, req, ctx);
      };
    }
  }
  return out as unknown as ServiceImpl<S>;
}
