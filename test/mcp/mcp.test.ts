import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { createMageflowClient, type MageflowClient } from "../../clients/typescript/src/index.js";
import type { RunningServer } from "../../src/server/server.js";
import { REPO_ROOT } from "../client/live-server.js";
import { makeTokens, type Tokens } from "../security/harness.js";
import { startTestServer } from "../support/server.js";

type Kind = "http" | "stdio";
type ToolResult = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: Record<string, any> };

let server: RunningServer;
let tokens: Tokens;
let admin: MageflowClient;
const base = () => `http://127.0.0.1:${server.httpPort}`;

before(async () => {
  tokens = makeTokens();
  server = await startTestServer({ authTokensFile: tokens.file });
  admin = createMageflowClient({ baseUrl: base(), token: tokens.token("alpha", "admin") });
});
after(async () => {
  admin.close();
  await server.close(500);
});

async function connect(kind: Kind, token: string): Promise<Client> {
  const client = new Client({ name: "mcp-test", version: "1.0.0" });
  let transport: Transport;
  if (kind === "http") {
    transport = new StreamableHTTPClientTransport(new URL(`${base()}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
  } else {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("MAGEFLOW_")) env[k] = v;
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(REPO_ROOT, "bin", "mageflow.js"), "mcp", "--server", base(), "--token", token],
      cwd: REPO_ROOT,
      env,
      stderr: "pipe",
    });
  }
  await client.connect(transport);
  return client;
}

const call = async (c: Client, name: string, args: Record<string, unknown>) => (await c.callTool({ name, arguments: args })) as unknown as ToolResult;
const errorOf = (r: ToolResult) => JSON.parse(r.content[0].text).error as { code: string; reason: string; message: string };

for (const kind of ["http", "stdio"] as const) {
  describe(`MCP over ${kind}`, () => {
    test("lists the tools, each with an input schema", async () => {
      const c = await connect(kind, tokens.token("alpha", "client"));
      try {
        const { tools } = await c.listTools();
        const names = tools.map((t) => t.name).sort();
        assert.deepEqual(names, [
          "cancel_signature",
          "get_signature",
          "list_container_children",
          "list_signatures",
          "resume_signature",
          "signature_history",
          "summarize_container",
          "suspend_signature",
        ]);
        for (const t of tools) {
          assert.equal(t.inputSchema.type, "object", t.name);
          assert.ok(t.description && t.description.length > 20, t.name);
        }
        assert.deepEqual(tools.find((t) => t.name === "get_signature")!.inputSchema.required, ["key"]);
      } finally {
        await c.close();
      }
    });

    test("reads a signature, its history, and suspends it", async () => {
      const sig = await admin.asign("mcp-read", { kwargs: { n: 1 } });
      const c = await connect(kind, tokens.token("alpha", "client"));
      try {
        const got = await call(c, "get_signature", { key: sig.key });
        assert.ok(!got.isError, got.content[0].text);
        assert.equal(got.structuredContent!.signature.key, sig.key);
        assert.equal(got.structuredContent!.signature.task_status.status, "STATUS_PENDING");
        assert.deepEqual(got.structuredContent!.signature.kwargs, { n: 1 });

        const listed = await call(c, "list_signatures", { task_name: "mcp-read", statuses: ["pending"] });
        assert.ok(listed.structuredContent!.signatures.some((s: { key: string }) => s.key === sig.key));

        const suspended = await call(c, "suspend_signature", { key: sig.key });
        assert.ok(!suspended.isError, suspended.content[0].text);
        assert.equal(suspended.structuredContent!.signature.task_status.status, "STATUS_SUSPENDED");
        assert.equal((await admin.loadSignature(sig.key)).taskStatus!.status, 5 /* SUSPENDED */);

        const history = await call(c, "signature_history", { key: sig.key });
        const steps = history.structuredContent!.events.map((e: { type: string; status: string }) => `${e.type} ${e.status}`);
        assert.deepEqual(steps, ["EVENT_TYPE_CREATED STATUS_PENDING", "EVENT_TYPE_STATUS_CHANGED STATUS_SUSPENDED"]);

        const resumed = await call(c, "resume_signature", { key: sig.key });
        assert.equal(resumed.structuredContent!.signature.task_status.status, "STATUS_PENDING");

        const missing = await call(c, "get_signature", { key: "TaskSignature:00000000-0000-4000-8000-000000000000" });
        assert.equal(missing.isError, true);
        assert.equal(errorOf(missing).code, "NOT_FOUND");
      } finally {
        await c.close();
      }
    });

    test("a reader token reads but cannot suspend", async () => {
      const sig = await admin.asign("mcp-reader");
      const c = await connect(kind, tokens.token("alpha", "reader"));
      try {
        const got = await call(c, "get_signature", { key: sig.key });
        assert.ok(!got.isError);
        const names = (await c.listTools()).tools.map((t) => t.name);
        if (kind === "http") {
          // The HTTP endpoint knows the token's role: it does not offer what the role may not do.
          assert.ok(!names.includes("suspend_signature"));
          const r = await call(c, "suspend_signature", { key: sig.key });
          assert.equal(r.isError, true);
          assert.match(r.content[0].text, /suspend_signature not found/);
        } else {
          // stdio only relays: the service refuses, and the tool says why.
          const r = await call(c, "suspend_signature", { key: sig.key });
          assert.equal(r.isError, true);
          assert.equal(errorOf(r).code, "PERMISSION_DENIED");
          assert.match(errorOf(r).message, /role reader may not call mageflow.v1.SignatureService\/SuspendSignature/);
        }
        assert.equal((await admin.loadSignature(sig.key)).taskStatus!.status, 1 /* still PENDING */);
      } finally {
        await c.close();
      }
    });

    test("summarizes a container and lists its children", async () => {
      const c = await connect(kind, tokens.token("alpha", "reader"));
      try {
        const steps = [(await admin.asign("mcp-step-1")).key, (await admin.asign("mcp-step-2")).key, (await admin.asign("mcp-step-3")).key];
        const chain = (await admin.chain(steps)).signature!.key;
        const r = await call(c, "summarize_container", { container_key: chain });
        assert.ok(!r.isError, r.content[0].text);
        assert.equal(r.structuredContent!.kind, "chain");
        assert.equal(r.structuredContent!.total, 3);
        assert.deepEqual(r.structuredContent!.counts, { pending: 3, active: 0, suspended: 0, interrupted: 0, done: 0, failed: 0, canceled: 0 });
        const first = await call(c, "list_container_children", { container_key: chain, page_size: 2 });
        assert.ok(!first.isError, first.content[0].text);
        const page1 = first.structuredContent!.children as { key: string }[];
        assert.ok(first.structuredContent!.next_page_token);
        const second = await call(c, "list_container_children", { container_key: chain, page_size: 2, page_token: first.structuredContent!.next_page_token });
        const page2 = second.structuredContent!.children as { key: string }[];
        assert.deepEqual([...page1, ...page2].map((s) => s.key), steps, "the chain's steps in run order");
        assert.equal(second.structuredContent!.next_page_token, "");
        const missing = await call(c, "summarize_container", { container_key: "TaskSignature:none" });
        assert.ok(missing.isError, "an unknown container is an error naming its reason");
      } finally {
        await c.close();
      }
    });
  });
}

test("MCP over HTTP without a valid token is 401", async () => {
  const c = new Client({ name: "mcp-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${base()}/mcp`), { requestInit: { headers: { authorization: "Bearer nope" } } });
  await assert.rejects(c.connect(transport), /unknown or revoked token/);
});
