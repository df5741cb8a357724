import type { Command } from "commander";
import type { MageflowClient } from "../../clients/typescript/src/index.js";
import { globals, type GlobalOptions } from "./connection.js";
import { EXIT } from "./exit-codes.js";

/** What command handlers use that loads the client and protobuf: imported when a command runs, not for --help. */
export type Runtime = typeof import("./runtime.js");

export interface Ctx {
  client: MageflowClient;
  opts: GlobalOptions;
  /** Formatting, parsing and client values (see runtime.ts). */
  rt: Runtime;
  /** Prints a line on stdout. */
  print(line?: string): void;
  /** Prints a value as JSON on stdout. */
  printJson(value: unknown): void;
}

type Handler = (ctx: Ctx, ...args: any[]) => Promise<number | void>;

/** Wraps a command handler: builds the client, maps errors to messages and exit codes, closes the client. */
export function action(fn: Handler) {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = globals(cmd);
    const rt = await import("./runtime.js");
    let client: MageflowClient | undefined;
    try {
      client = rt.clientFor(opts);
      const ctx: Ctx = {
        client,
        opts,
        rt,
        print: (line = "") => process.stdout.write(`${line}\n`),
        printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
      };
      process.exitCode = (await fn(ctx, ...args.slice(0, -1))) ?? EXIT.ok;
    } catch (e) {
      process.exitCode = rt.reportError(e, !!opts.json);
    } finally {
      client?.close();
    }
  };
}
