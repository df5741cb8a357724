import { Option, type Command } from "commander";
import { DEFAULT_SERVER } from "../../clients/typescript/src/defaults.js";

export interface GlobalOptions {
  server: string;
  token?: string;
  tls?: boolean;
  ca?: string;
  transport: "connect" | "grpc";
  json?: boolean;
}


/** The options every client command shares, set on the root program. */
export function addGlobalOptions(program: Command) {
  program
    .addOption(new Option("-s, --server <url>", "service address (Connect port, or gRPC port with --transport grpc)").env("MAGEFLOW_SERVER").default(DEFAULT_SERVER))
    .addOption(new Option("--token <token>", "bearer token sent with every call").env("MAGEFLOW_TOKEN"))
    .addOption(new Option("--tls", "use TLS (https); implied by an https:// server").env("MAGEFLOW_TLS"))
    .addOption(new Option("--ca <file>", "PEM file of the CA that signed the server certificate (implies --tls)").env("MAGEFLOW_CA"))
    .addOption(new Option("--transport <kind>", "connect (HTTP/1.1) or grpc (HTTP/2)").choices(["connect", "grpc"]).env("MAGEFLOW_TRANSPORT").default("connect"))
    .addOption(new Option("--json", "machine-readable JSON output"));
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}
