import type { Command } from "commander";
import { MageflowError, type MageflowClient } from "../../clients/typescript/src/index.js";
import { clientFor, globals, type GlobalOptions } from "./connection.js";
import { EXIT, exitCodeOf, UsageError } from "./exit-codes.js";
import { paint } from "./format.js";

export interface Ctx {
  client: MageflowClient;
  opts: GlobalOptions;
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
    let client: MageflowClient | undefined;
    try {
      client = clientFor(opts);
      const ctx: Ctx = {
        client,
        opts,
        print: (line = "") => process.stdout.write(`${line}\n`),
        printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
      };
      process.exitCode = (await fn(ctx, ...args.slice(0, -1))) ?? EXIT.ok;
    } catch (e) {
      process.exitCode = reportError(e, !!opts.json);
    } finally {
      client?.close();
    }
  };
}

export function reportError(e: unknown, json: boolean): number {
  if (e instanceof UsageError || e instanceof TypeError || e instanceof SyntaxError) {
    writeError(json, { code: "INVALID_ARGUMENT", reason: "USAGE", message: e.message });
    return EXIT.invalidArgument;
  }
  const err = MageflowError.from(e);
  writeError(json, { code: err.codeName, reason: err.reason, message: err.message, metadata: err.metadata, fieldViolations: err.fieldViolations });
  return exitCodeOf(err);
}

interface ErrorReport {
  code: string;
  reason: string;
  message: string;
  metadata?: Record<string, string>;
  fieldViolations?: { field: string; description: string }[];
}

function writeError(json: boolean, r: ErrorReport) {
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: r })}\n`);
    return;
  }
  const color = process.stderr.isTTY === true;
  const head = r.reason === r.code || r.reason === "USAGE" ? r.code : `${r.code} ${r.reason}`;
  const lines = [`mageflow: ${paint(color, "red", head)}: ${r.message}`];
  for (const [k, v] of Object.entries(r.metadata ?? {})) lines.push(`  ${k}: ${v}`);
  for (const v of r.fieldViolations ?? []) lines.push(`  ${v.field}: ${v.description}`);
  process.stderr.write(`${lines.join("\n")}\n`);
}
