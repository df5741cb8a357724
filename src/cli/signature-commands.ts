import type { Command } from "commander";
import { action } from "./action.js";
import { conditions, example, withConditions } from "./common.js";
import { collect, jsonObject, keyValues, positiveInt } from "./parse.js";

export function addSignatureCommands(program: Command) {
  example(
    program
      .command("create")
      .description("create a signature (MageFlow's asign)")
      .argument("<task>", "task name, as the engine knows it")
      .option("--kwargs <json>", "keyword arguments bound to the task (a JSON object)")
      .option("--on-success <key>", "success callback (repeatable)", collect)
      .option("--on-error <key>", "error callback (repeatable)", collect)
      .option("--suspended", "create it SUSPENDED instead of PENDING")
      .option("--metadata <k=v>", "engine metadata (repeatable)", collect)
      .option("--return-field <name>", "field under which callbacks receive the result")
      .option("--input-schema <json>", "JSON Schema every run input must satisfy")
      .option("--request-id <id>", "idempotency key: a retry returns the first signature")
      .option("-q, --quiet", "print only the key")
      .action(
        action(async (ctx, task: string, o) => {
          const s = await ctx.client.asign(task, {
            kwargs: o.kwargs === undefined ? undefined : jsonObject(o.kwargs, "--kwargs"),
            successCallbacks: o.onSuccess,
            errorCallbacks: o.onError,
            status: o.suspended ? "SUSPENDED" : undefined,
            metadata: keyValues(o.metadata, "--metadata"),
            returnFieldName: o.returnField,
            inputSchema: o.inputSchema === undefined ? undefined : jsonObject(o.inputSchema, "--input-schema"),
            requestId: o.requestId,
          });
          if (o.quiet && !ctx.opts.json) ctx.print(s.key);
          else ctx.rt.printSignature(ctx, "created", s);
        }),
      ),
    `mageflow create send-email --kwargs '{"to": "a@example.com"}' --on-success "$NOTIFY_KEY"`,
    `KEY=$(mageflow create send-email -q)`,
  );

  example(
    program
      .command("get")
      .description("show one signature (MageFlow's load_signature)")
      .argument("<key>", "signature key")
      .action(
        action(async (ctx, key: string) => {
          const s = await ctx.client.loadSignature(key);
          if (ctx.opts.json) ctx.printJson(ctx.rt.signatureJson(s));
          else ctx.print(ctx.rt.signatureDetail(s, ctx.rt.stdoutColor()));
        }),
      ),
    "mageflow get TaskSignature:4f1c2a9e-0d7b-4c55-9a43-8f0e6b1d2c3a",
  );

  example(
    program
      .command("list")
      .description("list signatures, newest first")
      .option("--status <status>", "only these statuses (repeatable or comma-separated)", collect)
      .option("--task <name>", "only this task")
      .option("--limit <n>", "at most this many", "50")
      .option("--page-token <token>", "continue after a previous page")
      .action(
        action(async (ctx, o) => {
          const limit = positiveInt(o.limit, "--limit");
          const found = [];
          let pageToken: string | undefined = o.pageToken;
          do {
            const page = await ctx.client.list({ statuses: ctx.rt.statuses(o.status), taskName: o.task, pageSize: Math.min(1000, limit - found.length), pageToken });
            found.push(...page.signatures);
            pageToken = page.nextPageToken || undefined;
          } while (pageToken && found.length < limit);
          if (ctx.opts.json) ctx.printJson({ signatures: found.map(ctx.rt.signatureJson), nextPageToken: pageToken ?? "" });
          else if (found.length === 0) ctx.print("no signatures");
          else {
            ctx.print(ctx.rt.table(ctx.rt.SIGNATURE_HEADERS, ctx.rt.signatureRows(found, ctx.rt.stdoutColor()), ctx.rt.stdoutColor()));
            if (pageToken) process.stderr.write(`more: mageflow list --page-token ${pageToken}\n`);
          }
        }),
      ),
    "mageflow list --status pending,suspended --task send-email --limit 20",
  );

  example(
    withConditions(
      program
        .command("update")
        .description("change kwargs or metadata (MageFlow's kwargs.aupdate); merges unless --replace")
        .argument("<key>", "signature key")
        .option("--kwargs <json>", "keyword arguments to merge in (a JSON object)")
        .option("--metadata <k=v>", "metadata to merge in (repeatable)", collect)
        .option("--replace", "replace kwargs/metadata instead of merging"),
    ).action(
      action(async (ctx, key: string, o) => {
        const kwargs = o.kwargs === undefined ? undefined : jsonObject(o.kwargs, "--kwargs");
        const metadata = o.metadata ? keyValues(o.metadata, "--metadata") : undefined;
        const replace = o.replace ? ([kwargs && "kwargs", metadata && "metadata"].filter(Boolean) as ("kwargs" | "metadata")[]) : [];
        ctx.rt.printSignature(ctx, "updated", await ctx.client.update(key, { kwargs, metadata, replace, ...conditions(o) }));
      }),
    ),
    `mageflow update "$KEY" --kwargs '{"subject": "hello"}'`,
  );

  example(
    withConditions(
      program
        .command("remove")
        .description("retire a signature and its callback trees (MageFlow's remove); they stay readable until the done TTL")
        .argument("<key>", "signature key")
        .option("--keep-errors", "do not retire the error-callback tree")
        .option("--keep-success", "do not retire the success-callback tree"),
    ).action(
      action(async (ctx, key: string, o) => {
        const r = await ctx.client.remove(key, { withError: !o.keepErrors, withSuccess: !o.keepSuccess, ...conditions(o) });
        if (ctx.opts.json) ctx.printJson({ removedKeys: r.removedKeys, revision: String(r.revision) });
        else if (r.removedKeys.length === 0) ctx.print(`nothing to remove: ${key} was already removed`);
        else ctx.print(`removed ${r.removedKeys.length} signature${r.removedKeys.length === 1 ? "" : "s"} at revision ${r.revision}:\n${r.removedKeys.map((k) => `  ${k}`).join("\n")}`);
      }),
    ),
    `mageflow remove "$KEY" --keep-errors`,
  );

  example(
    withConditions(
      program.command("delete").description("delete a signature at once (MageFlow's delete_signature)").argument("<key>", "signature key"),
    ).action(
      action(async (ctx, key: string, o) => {
        const revision = await ctx.client.delete(key, conditions(o));
        if (ctx.opts.json) ctx.printJson({ key, revision: String(revision) });
        else ctx.print(`deleted ${key} at revision ${revision}`);
      }),
    ),
    `mageflow delete "$KEY"`,
  );
}
