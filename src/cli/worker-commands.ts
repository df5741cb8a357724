import type { Command } from "commander";
import type { Signature } from "../../clients/typescript/src/index.js";
import { action, type Ctx } from "./action.js";
import { example } from "./common.js";
import { EXIT } from "./exit-codes.js";
import { jsonValue, positiveInt } from "./parse.js";

export function addWorkerCommands(program: Command) {
  const worker = program.command("worker").description("act as a worker by hand: report the start, completion or failure of a run");
  example(worker, `mageflow worker start "$KEY" && mageflow worker complete "$KEY" --result '{"sent": true}'`);

  example(
    worker
      .command("start")
      .description("ask whether to run the current run; RUN makes the signature ACTIVE (exit 0), SKIP exits 10")
      .argument("<key>", "signature key")
      .argument("[run-id]", "the engine's run id; default: the signature's current run")
      .option("--attempt <n>", "engine attempt, 1-based", "1")
      .option("--lock-id <id>", "lease id, required while the signature is locked")
      .action(
        action(async (ctx, key: string, runIdArg: string | undefined, o) => {
          const runId = runIdArg ?? (await currentRunId(ctx, key));
          const r = await ctx.client.startTask(key, runId, { attempt: positiveInt(o.attempt, "--attempt"), lockId: o.lockId });
          const decision = ctx.rt.StartDecision[r.decision];
          if (ctx.opts.json) ctx.printJson({ decision, skipReason: r.skipReason, runId, signature: ctx.rt.signatureJson(r.signature) });
          else ctx.print(r.run ? `RUN ${runId}: ${ctx.rt.signatureLine(r.signature, ctx.rt.stdoutColor())}` : `SKIP ${runId}: ${r.skipReason} (do not run the task)`);
          return r.run ? EXIT.ok : EXIT.skip;
        }),
      ),
    `mageflow worker start "$KEY"`,
  );

  example(
    worker
      .command("complete")
      .description("report success: the signature becomes DONE and its success callbacks are dispatched")
      .argument("<key>", "signature key")
      .argument("[run-id]", "the engine's run id; default: the signature's current run")
      .option("--result <json>", "the task's return value (any JSON)", "null")
      .option("--lock-id <id>", "lease id, required while the signature is locked")
      .action(
        action(async (ctx, key: string, runIdArg: string | undefined, o) => {
          const runId = runIdArg ?? (await currentRunId(ctx, key));
          const r = await ctx.client.completeTask(key, runId, jsonValue(o.result, "--result"), { lockId: o.lockId });
          printReport(ctx, "completed", r.signature, r.dispatchedCallbacks);
        }),
      ),
    `mageflow worker complete "$KEY" --result '{"sent": true}'`,
  );

  example(
    worker
      .command("fail")
      .description("report a failure: final by default (FAILED, error callbacks dispatched); --retry keeps it ACTIVE")
      .argument("<key>", "signature key")
      .argument("[run-id]", "the engine's run id; default: the signature's current run")
      .requiredOption("--message <text>", "error message")
      .option("--type <name>", "error type, e.g. ValueError", "Error")
      .option("--attempt <n>", "engine attempt that failed, 1-based", "1")
      .option("--retry", "not final: the engine will retry")
      .option("--lock-id <id>", "lease id, required while the signature is locked")
      .action(
        action(async (ctx, key: string, runIdArg: string | undefined, o) => {
          const runId = runIdArg ?? (await currentRunId(ctx, key));
          const error = { message: o.message, type: o.type, attempt: positiveInt(o.attempt, "--attempt") };
          const r = await ctx.client.failTask(key, runId, error, { final: !o.retry, lockId: o.lockId });
          printReport(ctx, o.retry ? "attempt failed" : "failed", r.signature, r.dispatchedCallbacks);
        }),
      ),
    `mageflow worker fail "$KEY" --message "SMTP timeout" --type TimeoutError`,
  );
}

async function currentRunId(ctx: Ctx, key: string): Promise<string> {
  const runId = (await ctx.client.loadSignature(key)).run?.runId;
  if (!runId) throw new ctx.rt.MageflowError(`${key} has no dispatched run yet; give the run id, or run it first`, ctx.rt.Code.FailedPrecondition, "NO_RUN_ID", { key });
  return runId;
}

function printReport(ctx: Ctx, verb: string, s: Signature, callbacks: string[]) {
  if (ctx.opts.json) return ctx.printJson({ signature: ctx.rt.signatureJson(s), dispatchedCallbacks: callbacks });
  ctx.print(`${verb} ${ctx.rt.signatureLine(s, ctx.rt.stdoutColor())}`);
  if (callbacks.length > 0) ctx.print(`dispatched callbacks:\n${callbacks.map((k) => `  ${k}`).join("\n")}`);
}
