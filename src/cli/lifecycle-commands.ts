import type { Command } from "commander";
import type { MageflowClient, MutationOptions, Signature } from "../../clients/typescript/src/index.js";
import { action } from "./action.js";
import { conditions, example, withConditions } from "./common.js";
import { UsageError } from "./exit-codes.js";
import { collect, jsonObject, keyValues } from "./parse.js";

type Transition = (client: MageflowClient, key: string, o: MutationOptions) => Promise<Signature>;

const TRANSITIONS: [name: string, verb: string, description: string, run: Transition][] = [
  ["suspend", "suspended", "hold a PENDING signature before it starts (MageFlow's suspend)", (c, k, o) => c.suspend(k, o)],
  ["resume", "resumed", "return a SUSPENDED or INTERRUPTED signature to PENDING and re-dispatch its run", (c, k, o) => c.resume(k, o)],
  ["interrupt", "interrupted", "stop a signature and cancel its in-flight run at the engine", (c, k, o) => c.interrupt(k, o)],
  ["cancel", "canceled", "cancel a signature for good, with its run and both callback branches", (c, k, o) => c.cancel(k, o)],
];

export function addLifecycleCommands(program: Command) {
  example(
    withConditions(
      program
        .command("run")
        .description("dispatch a PENDING signature (MageFlow's aio_run_no_wait); input = message deep-merged with kwargs")
        .argument("<key>", "signature key")
        .option("--message <json>", "run message (a JSON object)", "{}")
        .option("--metadata <k=v>", "extra engine metadata (repeatable)", collect)
        .option("--request-id <id>", "idempotency key: a retry returns the first run"),
    ).action(
      action(async (ctx, key: string, o) => {
        const r = await ctx.client.runNoWait(key, jsonObject(o.message, "--message"), keyValues(o.metadata, "--metadata"), { requestId: o.requestId, ...conditions(o) });
        const state = ctx.rt.dispatchStateName(r.dispatchState);
        if (ctx.opts.json) ctx.printJson({ signature: ctx.rt.signatureJson(r.signature), runId: r.runId, dispatchState: state });
        else ctx.print(`run of ${key}: ${state}${r.runId ? `, run id ${r.runId}` : ""}`);
      }),
    ),
    `mageflow run "$KEY" --message '{"subject": "hi"}'`,
  );

  for (const [name, verb, description, run] of TRANSITIONS) {
    example(
      withConditions(program.command(name).description(description).argument("<key>", "signature key")).action(
        action(async (ctx, key: string, o) => ctx.rt.printSignature(ctx, verb, await run(ctx.client, key, conditions(o)))),
      ),
      `mageflow ${name} "$KEY"`,
    );
  }

  example(
    withConditions(
      program
        .command("pause")
        .description("MageFlow's pause_task: --soft suspends (the default), --hard interrupts")
        .argument("<key>", "signature key")
        .option("--soft", "suspend")
        .option("--hard", "interrupt and cancel the in-flight run"),
    ).action(
      action(async (ctx, key: string, o) => {
        if (o.soft && o.hard) throw new UsageError("pause: give --soft or --hard, not both");
        ctx.rt.printSignature(ctx, "paused", await ctx.client.pause(key, o.hard ? "hard" : "soft", conditions(o)));
      }),
    ),
    `mageflow pause "$KEY" --hard`,
  );
}
