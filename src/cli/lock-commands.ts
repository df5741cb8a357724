import type { Command } from "commander";
import { action } from "./action.js";
import { example } from "./common.js";
import { durationMs } from "./parse.js";

export function addLockCommands(program: Command) {
  example(
    program
      .command("lock")
      .description("take (or with --lock-id renew) a lease; while held, mutations need --lock-id")
      .argument("<key>", "signature key")
      .option("--ttl <duration>", "lease length, e.g. 30s or 5m (server default 30s, capped by its maximum)")
      .option("--owner <name>", "holder name shown to others", process.env.USER)
      .option("--lock-id <id>", "renew this lease instead of taking a new one")
      .option("-q, --quiet", "print only the lock id")
      .action(
        action(async (ctx, key: string, o) => {
          const ttlMs = o.ttl === undefined ? undefined : durationMs(o.ttl, "--ttl");
          const r = await ctx.client.lockRaw(key, ttlMs, o.owner, o.lockId);
          if (ctx.opts.json) ctx.printJson(ctx.rt.toJson(ctx.rt.LockSignatureResponseSchema, r));
          else if (o.quiet) ctx.print(r.lockId);
          else ctx.print(`locked ${key} until ${ctx.rt.relTime(r.expireTime)}\nlock id: ${r.lockId}`);
        }),
      ),
    `LOCK=$(mageflow lock "$KEY" --ttl 2m -q)`,
    `mageflow suspend "$KEY" --lock-id "$LOCK"`,
  );

  example(
    program
      .command("unlock")
      .description("release a lease")
      .argument("<key>", "signature key")
      .requiredOption("--lock-id <id>", "the lease id from `mageflow lock`")
      .action(action(async (ctx, key: string, o) => ctx.rt.printSignature(ctx, "unlocked", await ctx.client.unlock(key, o.lockId)))),
    `mageflow unlock "$KEY" --lock-id "$LOCK"`,
  );
}
