import type { Command } from "commander";
import { globals } from "./connection.js";

/**
 * `mageflow mcp`: an MCP server on stdin/stdout whose tools call the service given by the
 * global options (--server, --token, ...). Every tool is offered; the service refuses what the
 * token's role may not do, and the tool answers with that error.
 */
export function addMcpCommand(program: Command) {
  program
    .command("mcp")
    .description("serve the MCP tools (docs/mcp.md) over stdio, acting on the service at --server with --token")
    .action(async (_o: unknown, cmd: Command) => {
      const { StdioServerTransport } = await import("@modelcontextprotocol/sdk/server/stdio.js");
      const { mcpServer } = await import("../mcp/server.js");
      const { clientFor } = await import("./client-for.js");
      const client = clientFor(globals(cmd));
      const server = mcpServer(client);
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        process.stdin.once("end", () => resolve());
      });
      await server.connect(transport);
      await closed;
      await server.close();
      client.close();
    });
}
