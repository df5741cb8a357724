import type http from "node:http";
import { createRouterTransport, type ConnectRouter } from "@connectrpc/connect";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { Authenticator } from "../auth/authenticator.js";
import { allowed } from "../auth/roles.js";
import { MageflowClient } from "../../clients/typescript/src/index.js";
import type { ServiceError } from "../core/service-error.js";
import type { ServiceImpl } from "@connectrpc/connect";
import { mcpServer } from "./server.js";
import type { MethodName } from "./tools.js";

export const MCP_PATH = "/mcp";

/**
 * MCP over Streamable HTTP (stateless: one server per request). The caller's bearer token is
 * checked like any RPC's, and the tools call the service in-process with that same token, so
 * roles and namespaces apply unchanged; tools the role may not use are not offered.
 */
export interface McpServices {
  signatures: ServiceImpl<typeof SignatureService>;
  containers: ServiceImpl<typeof ContainerService>;
}

export function mcpEndpoint(auth: Authenticator, services: McpServices) {
  const routes = (router: ConnectRouter) => {
    router.service(SignatureService, services.signatures);
    router.service(ContainerService, services.containers);
  };
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const headers = new Headers();
    if (req.headers.authorization) headers.set("authorization", req.headers.authorization);
    let role;
    try {
      role = auth.authenticate({ requestHeader: headers }).role;
    } catch (e) {
      const err = e as ServiceError;
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="mageflow"' });
      res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32001, message: err.message, data: { reason: "UNAUTHENTICATED" } }, id: null }));
      return;
    }
    const transport = createRouterTransport(routes, {
      transport: {
        interceptors: [
          (next) => (r) => {
            const a = headers.get("authorization");
            if (a) r.header.set("authorization", a);
            return next(r);
          },
        ],
      },
    });
    const client = new MageflowClient({ transport, kind: "connect", url: "in-process", close() {} });
    const method = (name: MethodName) => SignatureService.method[(name[0].toLowerCase() + name.slice(1)) as keyof typeof SignatureService.method];
    const server = mcpServer(client, { may: (name) => allowed(role, method(name)) });
    const mcp = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.once("close", () => {
      void mcp.close();
      void server.close();
      client.close();
    });
    try {
      await server.connect(mcp);
      await mcp.handleRequest(req, res);
    } catch (e) {
      console.error("mcp request failed", e);
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32603, message: "internal error" }, id: null }));
      }
    }
  };
}
