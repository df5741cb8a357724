import type { Command } from "commander";
import { addGlobalOptions } from "./connection.js";
import { addContainerCommands } from "./container-commands.js";
import { addLifecycleCommands } from "./lifecycle-commands.js";
import { addLockCommands } from "./lock-commands.js";
import { addMcpCommand } from "./mcp-command.js";
import { addSignatureCommands } from "./signature-commands.js";
import { addWatchCommand } from "./watch-command.js";
import { addWorkerCommands } from "./worker-commands.js";

/** Every command that talks to a running service through the TypeScript client. */
export function addClientCommands(program: Command) {
  addGlobalOptions(program);
  addSignatureCommands(program);
  addLifecycleCommands(program);
  addContainerCommands(program);
  addLockCommands(program);
  addWatchCommand(program);
  addWorkerCommands(program);
  addMcpCommand(program);
}
