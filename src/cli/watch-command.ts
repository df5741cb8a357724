import type { Command } from "commander";
import { action } from "./action.js";
import { example } from "./common.js";
import { UsageError } from "./exit-codes.js";
import { collect } from "./parse.js";

export function addWatchCommand(program: Command) {
  example(
    program
      .command("watch")
      .description("stream signature changes live; reconnects and resumes by itself (Ctrl-C to stop)")
      .option("--task <name>", "only this task (repeatable)", collect)
      .option("--status <status>", "only events whose new status is one of these (repeatable or comma-separated)", collect)
      .option("--key <key>", "only this signature (repeatable)", collect)
      .option("--from <revision>", "replay from this revision (inclusive) before going live")
      .option("--initial", "first show the current state of every matching signature")
      .action(
        action(async (ctx, o) => {
          if (o.from !== undefined && !/^\d+$/.test(o.from)) throw new UsageError(`--from: expected a revision number, got ${JSON.stringify(o.from)}`);
          const color = ctx.rt.stdoutColor();
          let reconnecting = false;
          const watch = ctx.client.watch({
            keys: o.key,
            taskNames: o.task,
            statuses: ctx.rt.statuses(o.status),
            startRevision: o.from === undefined ? 0 : BigInt(o.from),
            sendInitial: !!o.initial,
            progressIntervalMs: 5000,
            maxReconnectDelayMs: 2000,
            onReconnect: (i) => {
              reconnecting = true;
              const why = i.error ? i.error.message : "stream ended";
              notice(`connection lost (${why}); resuming from revision ${i.revision + 1n} in ${(i.delayMs / 1000).toFixed(1)}s`);
            },
            onProgress: (revision) => {
              if (reconnecting) notice(`reconnected; at revision ${revision}`);
              reconnecting = false;
            },
          });
          const stop = () => watch.close();
          process.once("SIGINT", stop);
          process.once("SIGTERM", stop);
          notice(`watching ${ctx.client.target.url}; Ctrl-C to stop`);
          try {
            for await (const event of watch) {
              if (reconnecting) notice(`reconnected; at revision ${watch.revision}`);
              reconnecting = false;
              ctx.print(ctx.opts.json ? JSON.stringify(ctx.rt.eventJson(event)) : ctx.rt.eventLine(event, color));
            }
          } finally {
            process.off("SIGINT", stop);
            process.off("SIGTERM", stop);
          }
        }),
      ),
    "mageflow watch --task send-email --status done,failed",
    "mageflow watch --from 120 --json | jq .type",
  );
}

function notice(text: string) {
  process.stderr.write(`mageflow: ${text}\n`);
}
