import type { Command } from "commander";
import type { MutationOptions, Signature } from "../../clients/typescript/src/index.js";
import type { Ctx } from "./action.js";
import { signatureJson, signatureLine, stdoutColor } from "./format.js";
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

/** Prints a signature as one line (`verb KEY task STATUS`) or as JSON. */
export function printSignature(ctx: Ctx, verb: string, s: Signature) {
  if (ctx.opts.json) ctx.printJson(signatureJson(s));
  else ctx.print(`${verb} ${signatureLine(s, stdoutColor())}`);
}
