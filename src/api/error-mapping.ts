import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { toConnectError } from "./to-connect-error.js";
import { mapStreamErrors } from "./streams.js";

type AnyImpl = (req: unknown, ctx: unknown) => unknown;

/**
 * Wraps every method of a service implementation so that whatever it throws leaves as
 * a wire error with ErrorInfo: once, for both the grpc-js and the Connect stack.
 */
export function withErrorMapping<S extends DescService>(service: S, impl: ServiceImpl<S>): ServiceImpl<S> {
  const out: Record<string, AnyImpl> = {};
  for (const m of service.methods) {
    const fn = (impl as unknown as Record<string, AnyImpl>)[m.localName].bind(impl);
    out[m.localName] =
      m.methodKind === "server_streaming"
        ? (req, ctx) => mapStreamErrors(() => fn(req, ctx) as AsyncIterable<unknown>, toConnectError)
        : async (req, ctx) => {
            try {
              return await fn(req, ctx);
            } catch (e) {
              throw toConnectError(e);
            }
          };
  }
  return out as unknown as ServiceImpl<S>;
}
