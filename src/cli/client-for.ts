import { readFileSync } from "node:fs";
import { createMageflowClient, type MageflowClient } from "../../clients/typescript/src/index.js";
import type { GlobalOptions } from "./connection.js";

export function clientFor(opts: GlobalOptions): MageflowClient {
  const tls = opts.ca ? { ca: readFileSync(opts.ca) } : opts.tls || undefined;
  return opts.transport === "grpc"
    ? createMageflowClient({ grpcAddress: opts.server, transport: "grpc", token: opts.token, tls })
    : createMageflowClient({ baseUrl: opts.server, token: opts.token, tls });
}
