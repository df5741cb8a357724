import { Command, CommanderError } from "commander";
import { addClientCommands } from "./cli/client-commands.js";
import { EXIT } from "./cli/exit-codes.js";
import { addTokenCommand } from "./cli/token.js";
import { serviceVersion } from "./cli/version.js";

// `mageflow watch | head` closes the pipe early: that ends the command, it is not an error.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(EXIT.ok);
  throw e;
});

const program = new Command("mageflow")
  .description("MageFlow signature service and command line")
  .version(serviceVersion(), "-V, --version", "print the version")
  .configureHelp({ showGlobalOptions: true })
  .exitOverride();

// The server pulls in the store, Redis and Hatchet modules: load them only to serve.
if (subcommand(process.argv.slice(2)) === "serve") {
  const { addServeCommand } = await import("./cli/serve.js");
  addServeCommand(program);
} else {
  program.command("serve").description("run the signature service (embedded store unless REDIS_URL is set); see mageflow serve --help");
}
addClientCommands(program);
addTokenCommand(program);
program.addHelpText(
  "after",
  `
Examples:
  mageflow serve --http-port 8080
  KEY=$(mageflow create send-email --kwargs '{"to": "a@example.com"}' -q)
  mageflow run "$KEY" && mageflow watch

Exit codes: 0 ok, 2 invalid argument, 3 not found, 4 precondition failed, 5 lock held or
revision mismatch, 6 unavailable, 7 unauthenticated, 10 worker start said SKIP, 1 anything else.
`,
);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.invalidArgument;
}

function subcommand(args: string[]): string | undefined {
  const takesValue = new Set(["-s", "--server", "--token", "--ca", "--transport"]);
  for (let i = 0; i < args.length; i++) {
    if (takesValue.has(args[i])) i++;
    else if (!args[i].startsWith("-")) return args[i];
  }
  return undefined;
}
