import type http from "node:http";
import type { McpServices } from "../mcp/http-endpoint.js";
import type { Authenticator } from "../auth/authenticator.js";
import type { WatchLimits } from "../auth/watch-limits.js";
import type { Config } from "../config.js";
import { MCP_PATH, mcpEndpoint } from "../mcp/http-endpoint.js";
import { CONSOLE_PATH, consoleFiles } from "./console-files.js";
import { consoleSession, SESSION_PATH } from "./console-session.js";

/** Answers a request on the HTTP port that is not an RPC; false when the path is none of these. */
export type WebRoutes = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

/** The web console (/console, CONSOLE) and the MCP endpoint (/mcp, MCP), beside the RPCs. */
export function webRoutes(config: Pick<Config, "console" | "mcp">, auth: Authenticator, watches: WatchLimits, services: McpServices): WebRoutes {
  const files = consoleFiles();
  const session = consoleSession(auth, watches);
  const mcp = mcpEndpoint(auth, services);
  return (req, res) => {
    const pathname = (req.url ?? "").split("?", 1)[0];
    if (config.mcp && pathname === MCP_PATH) {
      void mcp(req, res);
      return true;
    }
    if (!config.console) return false;
    if (pathname === SESSION_PATH) session(req, res);
    else if (pathname === CONSOLE_PATH || pathname.startsWith(`${CONSOLE_PATH}/`)) files(req, res, pathname);
    else return false;
    return true;
  };
}
