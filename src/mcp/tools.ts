import { toJson } from "@bufbuild/protobuf";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { SignatureEventSchema } from "../../gen/ts/mageflow/v1/event_pb.js";
import { Status, type Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { MageflowError, type MageflowClient } from "../../clients/typescript/src/index.js";
import { containerPage, containerSummary } from "./container-tools.js";
import { signatureHistory, HISTORY_MAX } from "./history.js";
import { signatureJson } from "./signature-json.js";

/** Status names as tools take and give them: `pending`, `active`, ... */
export const STATUS_NAMES = ["pending", "active", "done", "failed", "suspended", "interrupted", "canceled"] as const;
const statusOf = (name: (typeof STATUS_NAMES)[number]) => Status[name.toUpperCase() as keyof typeof Status];

/** The SignatureService methods a tool needs; `may` tells whether the caller's role may call it. */
export type MethodName = "GetSignature" | "ListSignatures" | "WatchSignatures" | "SuspendSignature" | "ResumeSignature" | "CancelSignature";

export interface ToolOptions {
  /** Whether the caller may call a method; tools whose method is refused are not registered. Unknown: register all (the service refuses). */
  may?: (method: MethodName) => boolean;
}

const key = z.string().min(1).max(256).describe("the signature's key, `TaskSignature:<uuid>`");
const pageSize = z.number().int().min(1).max(200).optional().describe("signatures per page; default 20, at most 200");
const pageToken = z.string().max(4096).optional().describe("`next_page_token` of the previous page (same other inputs)");

export { signatureJson };

function ok(value: unknown): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(value, null, 2) }], structuredContent: value as Record<string, unknown> };
}

/** A refused or failed call: the service's code, reason and message, as the tool's (error) result. */
function failure(e: unknown): CallToolResult {
  const m = MageflowError.from(e);
  const error = { code: m.codeName, reason: m.reason, message: m.message, metadata: m.metadata, field_violations: m.fieldViolations };
  return { isError: true, content: [{ type: "text", text: JSON.stringify({ error }, null, 2) }] };
}

async function guarded(run: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return ok(await run());
  } catch (e) {
    return failure(e);
  }
}

/** Registers the tools of docs/mcp.md on `server`, each calling the service through `client`. */
export function registerTools(server: McpServer, client: MageflowClient, opts: ToolOptions = {}) {
  const may = opts.may ?? (() => true);
  const readOnly = { readOnlyHint: true, openWorldHint: false };

  if (may("GetSignature")) {
    server.registerTool(
      "get_signature",
      { title: "Get a signature", description: "One signature with every field: status, kwargs, callbacks, run (last input, result, error), lock, container key.", inputSchema: { key }, annotations: readOnly },
      ({ key }) => guarded(async () => ({ signature: signatureJson(await client.loadSignature(key)) })),
    );
  }

  if (may("ListSignatures")) {
    server.registerTool(
      "list_signatures",
      {
        title: "List signatures",
        description: "Signatures newest first, from the service's indexes, filtered by status, task name and creation time; paginated.",
        inputSchema: {
          statuses: z.array(z.enum(STATUS_NAMES)).max(7).optional().describe("only these statuses"),
          task_name: z.string().max(256).optional().describe("only this task (exact name)"),
          created_after: z.iso.datetime({ offset: true }).optional().describe("only signatures created at or after this time (RFC 3339)"),
          created_before: z.iso.datetime({ offset: true }).optional().describe("only signatures created before this time (RFC 3339)"),
          page_size: pageSize,
          page_token: pageToken,
        },
        annotations: readOnly,
      },
      (a) =>
        guarded(async () => {
          const page = await client.list({
            statuses: a.statuses?.map(statusOf),
            taskName: a.task_name,
            createdAfter: a.created_after ? new Date(a.created_after) : undefined,
            createdBefore: a.created_before ? new Date(a.created_before) : undefined,
            pageSize: a.page_size ?? 20,
            pageToken: a.page_token,
          });
          return { signatures: page.signatures.map(signatureJson), next_page_token: page.nextPageToken };
        }),
    );

    server.registerTool(
      "summarize_container",
      {
        title: "Summarize a container",
        description: "A chain's or swarm's state (kind, status, current step or in-flight and failed counts) and its children counted by status.",
        inputSchema: { container_key: key.describe("the container's key") },
        annotations: readOnly,
      },
      ({ container_key }) => guarded(() => containerSummary(client, container_key)),
    );

    server.registerTool(
      "list_container_children",
      {
        title: "List a container's children",
        description: "A chain's or swarm's children in the container's order (chain steps in run order, swarm tasks in the order added); paginated.",
        inputSchema: {
          container_key: key.describe("the container's key"),
          page_size: pageSize,
          page_token: pageToken,
        },
        annotations: readOnly,
      },
      (a) => guarded(() => containerPage(client, a.container_key, a.page_size ?? 20, a.page_token)),
    );
  }

  if (may("WatchSignatures")) {
    server.registerTool(
      "signature_history",
      {
        title: "A signature's event history",
        description: `Every change of one signature the service's event history still holds (oldest first): created, run, started, completed, failed, suspended, ... with the status after each. At most ${HISTORY_MAX} events; \`oldest_revision\` says where the retained history begins.`,
        inputSchema: { key, limit: z.number().int().min(1).max(HISTORY_MAX).optional().describe(`most events returned (the newest); default 100, at most ${HISTORY_MAX}`) },
        annotations: readOnly,
      },
      ({ key, limit }) =>
        guarded(async () => {
          const h = await signatureHistory(client, key, limit ?? 100);
          return { events: h.events.map((e) => toJson(SignatureEventSchema, e, { useProtoFieldName: true })), oldest_revision: String(h.oldestRevision), truncated: h.truncated };
        }),
    );
  }

  const mutation = (name: string, method: MethodName, title: string, description: string, call: (key: string, expectedRevision?: number) => Promise<Signature>) => {
    if (!may(method)) return;
    server.registerTool(
      name,
      {
        title,
        description,
        inputSchema: { key, expected_revision: z.number().int().min(1).optional().describe("apply only if the signature's revision is still this (else ABORTED REVISION_MISMATCH)") },
        annotations: { readOnlyHint: false, destructiveHint: method === "CancelSignature", idempotentHint: true, openWorldHint: false },
      },
      ({ key, expected_revision }) => guarded(async () => ({ signature: signatureJson(await call(key, expected_revision)) })),
    );
  };
  mutation("suspend_signature", "SuspendSignature", "Suspend a signature", "Holds a PENDING signature before it starts; a run requested meanwhile is parked until resumed.", (k, r) =>
    client.suspend(k, { expectedRevision: r }),
  );
  mutation("resume_signature", "ResumeSignature", "Resume a signature", "Returns a SUSPENDED or INTERRUPTED signature to PENDING and re-dispatches its parked or interrupted run.", (k, r) =>
    client.resume(k, { expectedRevision: r }),
  );
  mutation("cancel_signature", "CancelSignature", "Cancel a signature", "Cancels a signature for good, with its in-flight run and both callback branches. Terminal.", (k, r) =>
    client.cancel(k, { expectedRevision: r }),
  );
}
