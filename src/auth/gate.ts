import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { wellKnownViolations } from "../api/validate.js";
import { invalidArgument, ServiceError } from "../core/errors.js";
import type { Authenticator } from "./authenticator.js";
import { callInfoOf } from "./call-info.js";
import type { Namespace, NamespaceRegistry } from "./namespaces.js";
import { allowed, methodPath } from "./roles.js";
import type { Identity } from "./tokens.js";
import type { WatchLimits } from "./watch-limits.js";

/** What every RPC passes before a handler runs: who is calling, may they, and in which namespace. */
export class Gate {
  constructor(
    private readonly auth: Authenticator,
    private readonly registry: NamespaceRegistry,
    private readonly watches: WatchLimits,
  ) {}

  /**
   * In order: authentication (UNAUTHENTICATED), the role (PERMISSION_DENIED), the request body
   * (RESOURCE_EXHAUSTED when too large, INVALID_ARGUMENT when it could not be decoded or holds
   * out-of-range timestamps), then the caller's namespace.
   */
  async enter(method: DescMethod, req: unknown, ctx: HandlerContext): Promise<{ identity: Identity; namespace: Namespace; info: ReturnType<typeof callInfoOf> }> {
    const identity = this.auth.authenticate(ctx.requestHeader);
    if (!allowed(identity.role, method)) {
      throw new ServiceError(Code.PermissionDenied, "PERMISSION_DENIED", `role ${identity.role} may not call ${methodPath(method)}`, {
        role: identity.role,
        method: methodPath(method),
      });
    }
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

  /** Takes a watch slot for the caller (RESOURCE_EXHAUSTED TOO_MANY_WATCHES when none is left). */
  watchSlot(identity: Identity, connection: unknown) {
    return this.watches.acquire(identity, connection);
  }
}

type AnyFn = (req: unknown, ctx: HandlerContext) => unknown;

/** Error sizes that fit in HTTP/2 trailers (grpc-message, grpc-status-details-bin) with room to spare. */
const MAX_MESSAGE = 512;
const MAX_METADATA_VALUE = 512;
const MAX_VIOLATIONS = 10;

/** Lone UTF-16 surrogates (from hostile input echoed in an error) cannot be percent-encoded into grpc-message. */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

/** Cuts `s` to about `max` characters; a comma-separated list keeps whole items and ends with `,…`. */
function cut(s: string, max: number): string {
  if (s.length <= max) return wellFormed(s);
  const comma = s.lastIndexOf(",", max);
  // (Cutting may split a surrogate pair: the half left over is replaced.)
  return wellFormed(comma > 0 && !/\s/.test(s.slice(0, comma)) ? `${s.slice(0, comma)},…` : `${s.slice(0, max)}… (${s.length - max} more characters)`);
}

/**
 * Errors carry request text (a bad key, an unknown field mask path) and can grow with the
 * request (one violation per bad list item, a `missing` list of a thousand keys). A gRPC status
 * travels in HTTP/2 trailers: tens of kilobytes there make clients hang or reset the stream,
 * and text that is not well-formed UTF-16 cannot be encoded at all. Errors leave cut down
 * and well-formed.
 */
export function wireSafeError(e: unknown): unknown {
  if (!(e instanceof ServiceError)) return e;
  const more = e.fieldViolations.length - MAX_VIOLATIONS;
  return new ServiceError(
    e.code,
    e.reason,
    cut(e.message, MAX_MESSAGE) + (more > 0 && e.message.length <= MAX_MESSAGE ? ` (and ${more} more violations)` : ""),
    Object.fromEntries(Object.entries(e.metadata).map(([k, v]) => [cut(k, 100), cut(v, MAX_METADATA_VALUE)])),
    e.fieldViolations.slice(0, MAX_VIOLATIONS).map((v) => ({ field: cut(v.field, 100), description: cut(v.description, 200) })),
  );
}

/**
 * One implementation of `service` that sends every call through the gate to the handlers of
 * the caller's namespace (`pick`). The handlers themselves know nothing of tokens or namespaces.
 */
export function routedService<S extends DescService>(service: S, gate: Gate, pick: (ns: Namespace) => ServiceImpl<S>): ServiceImpl<S> {
  const out: Record<string, AnyFn> = {};
  for (const m of service.methods) {
    const call = (ns: Namespace, req: unknown, ctx: HandlerContext) => (pick(ns) as unknown as Record<string, AnyFn>)[m.localName](req, ctx);
    if (m.methodKind === "server_streaming") {
      out[m.localName] = async function* (req, ctx) {
        let release: (() => void) | undefined;
        try {
          const { identity, namespace, info } = await gate.enter(m, req, ctx);
          release = gate.watchSlot(identity, info.connection);
          yield* call(namespace, req, ctx) as AsyncIterable<unknown>;
        } catch (e) {
          throw wireSafeError(e);
        } finally {
          release?.();
        }
      };
    } else {
      out[m.localName] = async (req, ctx) => {
        try {
          const { namespace } = await gate.enter(m, req, ctx);
          return await call(namespace, req, ctx);
        } catch (e) {
          throw wireSafeError(e);
        }
      };
    }
  }
  return out as unknown as ServiceImpl<S>;
}
