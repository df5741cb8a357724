import { Command, CommanderError } from "commander";
import { addClientCommands } from "./cli/client-commands.js";
import { EXIT } from "./cli/exit-codes.js";
import { addServeCommand } from "./cli/serve.js";

const program = new Command("mageflow")
  .description("MageFlow signature service and command line")
  .configureHelp({ showGlobalOptions: true })
  .exitOverride();
addServeCommand(program);
addClientCommands(program);
program.addHelpText("after", "\nExamples:\n  mageflow serve --http-port 8080\n  KEY=$(mageflow create send-email --kwargs '{\"to\": \"a@example.com\"}' -q)\n  mageflow run \"$KEY\" && mageflow watch\n\nExit codes: 0 ok, 2 invalid argument, 3 not found, 4 precondition failed, 5 lock held/aborted, 6 unavailable, 7 unauthenticated, 10 worker start: SKIP, 1 other errors.\n");

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CommanderError)) throw e;
  process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.invalidArgument;
}
