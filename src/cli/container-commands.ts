import type { Command } from "commander";
import type { Container } from "../../clients/typescript/src/index.js";
import { action, type Ctx } from "./action.js";
import { example } from "./common.js";
import { UsageError } from "./exit-codes.js";
import { jsonObject } from "./parse.js";

const count = (text: string, flag: string, min: number) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${flag} must be an integer of at least ${min}`);
  return n;
};

function show(ctx: Ctx, verb: string, c: Container, quiet = false) {
  const s = c.summary;
  const json = {
    key: c.signature!.key,
    kind: c.kind === 1 ? "chain" : "swarm",
    status: ctx.rt.statusText(false, c.signature!.taskStatus!.status),
    childKeys: c.childKeys,
    childCount: c.childCount,
    currentStep: c.currentStep,
    closed: c.closed,
    inFlight: c.inFlight,
    summary: s && { total: s.total, pending: s.pending, active: s.active, done: s.done, failed: s.failed, suspended: s.suspended, interrupted: s.interrupted, canceled: s.canceled },
  };
  if (ctx.opts.json) ctx.printJson(json);
  else if (quiet) ctx.print(json.key);
  else {
    ctx.print(`${verb ? `${verb} ` : ""}${json.key}  ${json.kind}  ${json.status}  ${json.childCount} children${json.kind === "swarm" ? `  ${json.inFlight} in flight${json.closed ? "  closed" : "  open"}` : `  step ${json.currentStep + 1}`}`);
    if (s) ctx.print(Object.entries(json.summary!).map(([k, v]) => `${k} ${v}`).join("  "));
  }
}

/** chain, swarm, swarm-add, swarm-close, container (docs/cli.md, docs/containers.md). */
export function addContainerCommands(program: Command) {
  example(
    program
      .command("chain")
      .description("create a chain of existing signatures, run in turn (MageFlow's chain); run it with `mageflow run`")
      .argument("<keys...>", "the steps, at least 2, in order")
      .option("--name <name>", "task name chain-task:<name>")
      .option("--kwargs <json>", "merged into every step's kwargs")
      .option("-q, --quiet", "print only the key"),
    `mageflow chain "$A" "$B" --name pipeline`,
  ).action(
    action(async (ctx, keys: string[], o) => {
      show(ctx, "created", await ctx.client.chain(keys, { name: o.name, kwargs: o.kwargs ? jsonObject(o.kwargs, "--kwargs") : undefined }), o.quiet);
    }),
  );
  example(
    program
      .command("swarm")
      .description("create a swarm of existing signatures, run in parallel (MageFlow's swarm)")
      .argument("[keys...]", "the first children")
      .requiredOption("--max-concurrency <n>", "children in flight at once")
      .option("--stop-after <n>", "fail the swarm after this many failed children (0: never)", "0")
      .option("--max-tasks <n>", "children it accepts (0: the server's limit)", "0")
      .option("--send-message", "give each child the run message")
      .option("--close", "take no more tasks")
      .option("--name <name>", "task name swarm-task:<name>")
      .option("--kwargs <json>", "merged into every child's kwargs")
      .option("-q, --quiet", "print only the key"),
    `mageflow swarm "$A" "$B" --max-concurrency 5 --stop-after 2 --close`,
  ).action(
    action(async (ctx, keys: string[], o) => {
      const swarm = await ctx.client.swarm(keys, {
        maxConcurrency: count(o.maxConcurrency, "--max-concurrency", 1),
        stopAfterNFailures: count(o.stopAfter, "--stop-after", 0),
        maxTasks: count(o.maxTasks, "--max-tasks", 0),
        sendMessageToChildren: !!o.sendMessage,
        close: !!o.close,
        name: o.name,
        kwargs: o.kwargs ? jsonObject(o.kwargs, "--kwargs") : undefined,
      });
      show(ctx, "created", swarm, o.quiet);
    }),
  );
  example(
    program
      .command("swarm-add")
      .description("add children to an open swarm (MageFlow's add_tasks)")
      .argument("<swarm>", "the swarm's key")
      .argument("<keys...>", "the children")
      .option("--close", "close the swarm in the same step"),
    `mageflow swarm-add "$SWARM" "$C" --close`,
  ).action(
    action(async (ctx, swarm: string, keys: string[], o) => {
      show(ctx, "added to", await ctx.client.addTasks(swarm, keys, { close: !!o.close }));
    }),
  );
  example(
    program.command("swarm-close").description("close a swarm: it ends once every child has ended").argument("<swarm>", "the swarm's key"),
    `mageflow swarm-close "$SWARM"`,
  ).action(
    action(async (ctx, swarm: string) => {
      show(ctx, "closed", await ctx.client.closeSwarm(swarm));
    }),
  );
  example(
    program.command("container").description("a chain or swarm with its children counted by status").argument("<key>", "the container's key"),
    `mageflow container "$SWARM" --json`,
  ).action(
    action(async (ctx, key: string) => {
      show(ctx, "", await ctx.client.loadContainer(key));
    }),
  );
}
