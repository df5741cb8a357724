import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { newToken, sha256Hex, type Role, type TokenEntry } from "../../src/auth/tokens.js";
import { loadConfig, type SettingName } from "../../src/config.js";
import { DispatchError, type Dispatcher, type TriggerRequest } from "../../src/dispatch/dispatcher.js";
import { startServer, type RunningServer } from "../../src/server/server.js";
import type { Store } from "../../src/store/store.js";

export const ROLES: Role[] = ["admin", "client", "worker", "reader"];
export const NAMESPACES = ["alpha", "beta"] as const;
export type Ns = (typeof NAMESPACES)[number];

/** A token per namespace and role, plus the file that admits them. */
export interface Tokens {
  file: string;
  token(ns: Ns, role: Role): string;
  entries: TokenEntry[];
}

export function makeTokens(dir = mkdtempSync(join(tmpdir(), "mageflow-sec-"))): Tokens {
  const secrets = new Map<string, string>();
  const entries: TokenEntry[] = [];
  for (const ns of NAMESPACES) {
    for (const role of ROLES) {
      const secret = newToken();
      secrets.set(`${ns}/${role}`, secret);
      entries.push({ name: `${ns}-${role}`, sha256: sha256Hex(secret), namespace: ns, role });
    }
  }
  const file = join(dir, "tokens.json");
  writeFileSync(file, JSON.stringify(entries, null, 2));
  return { file, entries, token: (ns, role) => secrets.get(`${ns}/${role}`)! };
}

/**
 * An engine that accepts triggers but never answers them until released: runs stay QUEUED
 * without a run id, so nothing writes to the store in the background (every revision change
 * in a test is the test's own request), and workers' StartTask adopts the run id they report.
 */
export class HoldingDispatcher implements Dispatcher {
  readonly name = "holding";
  readonly triggered: TriggerRequest[] = [];
  readonly cancelled: string[] = [];
  private readonly pending = new Set<(e: Error) => void>();
  private released = false;

  trigger(req: TriggerRequest): Promise<{ runId: string }> {
    this.triggered.push(req);
    if (this.released) return Promise.reject(new DispatchError("released", false));
    return new Promise((_, reject) => this.pending.add(reject));
  }

  async cancel(runId: string) {
    this.cancelled.push(runId);
  }

  /** Fails every held trigger (transiently), so dispatch loops can stop. */
  release() {
    this.released = true;
    for (const r of this.pending) r(new DispatchError("released", false));
    this.pending.clear();
  }

  async close() {
    this.release();
  }
}

export interface SecureServer {
  server: RunningServer;
  dispatcher: HoldingDispatcher;
  tokens: Tokens;
  store(ns: Ns | "default"): Promise<Store>;
  /** Revision of every namespace's store and the engine calls: equal snapshots mean nothing was written. */
  snapshot(): Promise<string>;
  close(): Promise<void>;
}

export async function startSecureServer(flags: Partial<Record<SettingName, string>> = {}, tokens = makeTokens()): Promise<SecureServer> {
  const config = loadConfig({ port: "0", httpPort: "0", host: "127.0.0.1", dispatchWait: "50ms", authTokensFile: tokens.file, ...flags }, {});
  const dispatcher = new HoldingDispatcher();
  const server = await startServer(config, { dispatcher, log: () => {}, env: {} });
  const store = async (ns: Ns | "default") => (await server.namespaces.get(ns)).store;
  return {
    server,
    dispatcher,
    tokens,
    store,
    async snapshot() {
      const revs = await Promise.all((["default", ...NAMESPACES] as const).map(async (ns) => `${ns}=${await (await store(ns)).currentRevision()}`));
      return `${revs.join(" ")} triggers=${dispatcher.triggered.length} cancels=${dispatcher.cancelled.length}`;
    },
    async close() {
      dispatcher.release();
      await server.close(1000);
    },
  };
}

export type Wire = "grpc-port" | "connect" | "grpc-web" | "grpc-on-http-port";
export const WIRES: Wire[] = ["grpc-port", "connect", "grpc-web", "grpc-on-http-port"];

export function transportFor(s: RunningServer, wire: Wire, authorization?: string): Transport {
  const interceptors: Interceptor[] = authorization
    ? [
        (next) => (req) => {
          req.header.set("authorization", authorization);
          return next(req);
        },
      ]
    : [];
  const http = `http://127.0.0.1:${s.httpPort}`;
  switch (wire) {
    case "grpc-port":
      return createGrpcTransport({ baseUrl: `http://127.0.0.1:${s.grpcPort}`, interceptors });
    case "connect":
      return createConnectTransport({ baseUrl: http, httpVersion: "1.1", interceptors });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl: http, httpVersion: "1.1", interceptors });
    case "grpc-on-http-port":
      return createGrpcTransport({ baseUrl: http, interceptors });
  }
}

export interface Clients {
  signatures: Client<typeof SignatureService>;
  workers: Client<typeof WorkerService>;
  containers: Client<typeof ContainerService>;
}

export function clientsFor(s: RunningServer, wire: Wire, authorization?: string): Clients {
  const t = transportFor(s, wire, authorization);
  return { signatures: createClient(SignatureService, t), workers: createClient(WorkerService, t), containers: createClient(ContainerService, t) };
}

/** The outcome of a call: OK, or the status code name and ErrorInfo reason. */
export interface Outcome {
  code: string;
  reason?: string;
  metadata?: Record<string, string>;
  message?: string;
}

export async function outcomeOf(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return { code: "OK" };
  } catch (e) {
    const ce = ConnectError.from(e);
    const info = ce.findDetails(ErrorInfoSchema)[0];
    return { code: Code[ce.code], reason: info?.reason, metadata: info ? { ...info.metadata } : undefined, message: ce.rawMessage };
  }
}

/** Fixtures written straight to a namespace's store, in the states each RPC needs to succeed. */
export async function fixture(store: Store, kind: "pending" | "suspended" | "locked" | "queued" | "active" = "pending") {
  const { newSignatureKey } = await import("../../src/core/keys.js");
  const key = newSignatureKey();
  await store.create({
    key,
    taskName: "sec-task",
    kwargs: { a: 1 },
    creationTime: Date.now(),
    successCallbacks: [],
    errorCallbacks: [],
    status: kind === "suspended" ? Status.SUSPENDED : Status.PENDING,
    returnFieldName: "mageflow_results",
    metadata: {},
    requestId: "",
  });
  let lockId = "";
  const runId = `run-${key.slice(-12)}`;
  if (kind === "locked") {
    lockId = `lock-${key.slice(-12)}`;
    await store.lock({ key, newLockId: lockId, renewLockId: "", ttlMs: 60_000, owner: "fixture" });
  }
  if (kind === "queued" || kind === "active") await store.run({ key, input: { a: 1 }, metadata: {}, requestId: "", guard: {} });
  if (kind === "active") await store.startTask(key, runId, 1, {});
  return { key, lockId, runId };
}
