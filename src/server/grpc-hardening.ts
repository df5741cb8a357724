import { create, type DescMessage, type DescService } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { attachCallInfo } from "../auth/call-info.js";

/**
 * A stand-in for a grpc.Server that hardens every service added through it:
 * - a request body that is not a valid message does not become grpc-js's INTERNAL
 *   "Error deserializing request": it is answered INVALID_ARGUMENT by the gate (after
 *   authentication), like on the Connect port;
 * - a request message larger than `maxRequestBytes` (grpc-js reads up to `receiveLimit(…)`, so that
 *   the client can finish sending and read the answer) is answered RESOURCE_EXHAUSTED
 *   REQUEST_TOO_LARGE by the gate, like on the Connect port;
 * - each stream's request carries its connection (the peer address), for per-connection limits.
 */
export function hardenedServer(server: grpc.Server, services: DescService[], maxRequestBytes: number): Pick<grpc.Server, "addService"> {
  const inputs = new Map(services.flatMap((s) => s.methods.map((m) => [`/${s.typeName}/${m.name}`, m.input] as [string, DescMessage])));
  return {
    addService(definition: grpc.ServiceDefinition, handlers: grpc.UntypedServiceImplementation) {
      const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
      const impl: grpc.UntypedServiceImplementation = {};
      for (const [name, d] of Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
        const input = inputs.get(d.path);
        def[name] = !input
          ? d
          : {
              ...d,
              requestDeserialize: (bytes: Buffer) => {
                if (bytes.length > maxRequestBytes) {
                  const empty = create(input);
                  attachCallInfo(empty, { tooLarge: maxRequestBytes });
                  return empty;
                }
                try {
                  return d.requestDeserialize(bytes);
                } catch (e) {
                  const empty = create(input);
                  attachCallInfo(empty, { badRequest: `not a valid ${input.typeName} message: ${describe(e)}` });
                  return empty;
                }
              },
            };
        const h = handlers[name] as (call: grpc.ServerUnaryCall<unknown, unknown>, cb?: unknown) => void;
        // Only streams are limited per connection; a unary call need not name its peer.
        impl[name] = !d.responseStream
          ? (h as grpc.UntypedHandleCall)
          : (((call: grpc.ServerUnaryCall<unknown, unknown>, cb?: unknown) => {
              if (typeof call.request === "object" && call.request !== null) attachCallInfo(call.request, { connection: `grpc:${call.getPeer()}` });
              return h(call, cb);
            }) as grpc.UntypedHandleCall);
      }
      server.addService(def as grpc.ServiceDefinition, impl);
    },
  };
}

const describe = (e: unknown) => (e instanceof RangeError ? "nested too deeply" : e instanceof Error ? e.message : String(e)).slice(0, 200);
