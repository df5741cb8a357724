import type { Command } from "commander";
import type { MutationOptions } from "../../clients/typescript/src/index.js";
import { UsageError } from "./exit-codes.js";

export function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText("after", `\nExample${lines.length > 1 ? "s" : ""}:\n${lines.map((l) => `  ${l}`).join("\n")}\n`);
}

/** `--lock-id` and `--expected-revision`, accepted by every mutation. */
export function withConditions(cmd: Command): Command {
  return cmd
    .option("--lock-id <id>", "lease id, required while the signature is locked")
    .option("--expected-revision <rev>", "act only if the signature's revision is still this one");
}

export function conditions(o: { lockId?: string; expectedRevision?: string }): MutationOptions {
  if (o.expectedRevision !== undefined && !/^\d+$/.test(o.expectedRevision)) {
    throw new UsageError(`--expected-revision: expected a revision number, got ${JSON.stringify(o.expectedRevision)}`);
  }
  return { lockId: o.lockId, expectedRevision: o.expectedRevision === undefined ? undefined : BigInt(o.expectedRevision) };
}
