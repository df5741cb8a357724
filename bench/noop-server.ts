/**
 * The transport baselines: one trivial unary method, /bench.v1.Noop/Call
 * (google.protobuf.Empty in and out), on the same stacks as the service.
 *
 *   --stack grpc-js      grpc-js through src/api/grpc-adapter.ts, exactly as the service's
 *                        handlers are mounted (the transport limit).
 *   --stack grpc-js-raw  grpc-js with a plain handler and fixed serializers (no adapter):
 *                        the difference to `grpc-js` is the adapter's own cost.
 *   --stack connect      connect-node's adapter on cleartext HTTP/2 (gRPC, gRPC-Web and Connect).
 *
 * Prints `noop listening grpc=127.0.0.1:<port>` and serves until SIGINT/SIGTERM.
 */
import http2 from "node:http2";
import { create, createFileRegistry, type DescService } from "@bufbuild/protobuf";
import { EmptySchema, file_google_protobuf_empty, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { addGrpcService } from "../src/api/grpc-adapter.js";

export const NOOP_PATH = "/bench.v1.Noop/Call";

export function noopService(): DescService {
  const file = create(FileDescriptorProtoSchema, {
    name: "bench/v1/noop.proto",
    package: "bench.v1",
    dependency: ["google/protobuf/empty.proto"],
    syntax: "proto3",
    service: [{ name: "Noop", method: [{ name: "Call", inputType: ".google.protobuf.Empty", outputType: ".google.protobuf.Empty" }] }],
  });
  const registry = createFileRegistry(file, (name) => (name === "google/protobuf/empty.proto" ? file_google_protobuf_empty : undefined));
  return registry.getService("bench.v1.Noop")!;
}

async function main() {
  const stack = process.argv[process.argv.indexOf("--stack") + 1] ?? "grpc-js";
  const service = noopService();
  const impl = { call: async () => create(EmptySchema) };
  let port: number;
  let stop: () => void;
  if (stack === "grpc-js" || stack === "grpc-js-raw") {
    const server = new grpc.Server();
    if (stack === "grpc-js") {
      addGrpcService(server, service, impl as never);
    } else {
      const empty = Buffer.alloc(0);
      server.addService(
        {
          call: {
            path: NOOP_PATH,
            requestStream: false,
            responseStream: false,
            requestSerialize: () => empty,
            requestDeserialize: (b: Buffer) => b,
            responseSerialize: () => empty,
            responseDeserialize: (b: Buffer) => b,
          },
        },
        { call: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}) },
      );
    }
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    stop = () => server.forceShutdown();
  } else if (stack === "connect") {
    const handler = connectNodeAdapter({ routes: (router: ConnectRouter) => router.service(service, impl as never) });
    const h2 = http2.createServer({}, handler);
    await new Promise<void>((resolve) => h2.listen(0, "127.0.0.1", resolve));
    port = (h2.address() as { port: number }).port;
    stop = () => h2.close();
  } else {
    throw new Error(`unknown --stack ${stack}`);
  }
  console.log(`noop listening grpc=127.0.0.1:${port} stack=${stack}`);
  const exit = () => {
    stop();
    process.exit(0);
  };
  process.on("SIGINT", exit);
  process.on("SIGTERM", exit);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
