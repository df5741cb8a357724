import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb";

export type SignatureClient = Client<typeof SignatureService>;

/** What /console/api/session says about the token. */
export interface Session {
  name: string;
  namespace: string;
  role: string;
  open: boolean;
  /** SignatureService methods the role may call. */
  methods: string[];
  /** Watch streams open on the server. */
  watchers: number;
}

const authHeaders = (token: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});

/** Asks the server who the token is; throws the server's message when it is refused. */
export async function fetchSession(token: string): Promise<Session> {
  const res = await fetch("/console/api/session", { headers: authHeaders(token), cache: "no-store" });
  const body = await res.json();
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  return body as Session;
}

/** The same RPCs as every client, with Connect over fetch, binary, on this page's origin. */
export function signatureClient(token: string): SignatureClient {
  const transport = createConnectTransport({
    baseUrl: window.location.origin,
    useBinaryFormat: true,
    interceptors: [
      (next) => (req) => {
        if (token) req.header.set("authorization", `Bearer ${token}`);
        return next(req);
      },
    ],
  });
  return createClient(SignatureService, transport);
}

/** A refused or failed call, as the page shows it: gRPC code, ErrorInfo reason, message, field violations. */
export interface CallError {
  code: string;
  reason: string;
  message: string;
  violations: string[];
  metadata: Record<string, string>;
}

export function callError(e: unknown): CallError {
  const ce = ConnectError.from(e);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  const violations = ce.findDetails(BadRequestSchema).flatMap((b) => b.fieldViolations.map((v) => `${v.field}: ${v.description}`));
  const code = (Code[ce.code] ?? "Unknown").replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
  return { code, reason: info?.reason ?? code, message: ce.rawMessage, violations, metadata: { ...(info?.metadata ?? {}) } };
}
