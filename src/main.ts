import { Command } from "commander";
import { addServeCommand } from "./cli/serve.js";

const program = new Command("mageflow").description("MageFlow signature service and command line");
addServeCommand(program);
await program.parseAsync(process.argv);
