import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { MageflowClient } from "../../clients/typescript/src/index.js";
import { registerTools, type ToolOptions } from "./tools.js";

export const MCP_SERVER_NAME = "mageflow-signatures";

/** An MCP server whose tools act through `client` (docs/mcp.md). */
export function mcpServer(client: MageflowClient, opts: ToolOptions = {}): McpServer {
  const server = new McpServer(
    { name: MCP_SERVER_NAME, version: "0.1.0" },
    { instructions: "Inspect and steer MageFlow task signatures: get, list, container summaries and children, event history; suspend, resume and cancel where the token's role allows." },
  );
  registerTools(server, client, opts);
  return server;
}
