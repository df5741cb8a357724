import { PauseType } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { randomUUID } from "node:crypto";
import { ContainerKind } from "../../src/store/record.js";
import type { Store } from "../../src/store/store.js";
import { createCmd } from "../support/commands.js";
import { fixture, type Clients } from "./harness.js";

/** Every RPC of the three services: how to call it, and a request that succeeds for a caller allowed in `store`'s namespace. */
export interface RpcCase {
  service: "SignatureService" | "WorkerService" | "ContainerService";
  method: string;
  /** A request that succeeds in the namespace of `store`; `key` is the signature it addresses. */
  prepare(store: Store): Promise<{ req: Record<string, unknown>; key?: string }>;
  /** Calls it; resolves with the response (a stream's first message). */
  call(c: Clients, req: Record<string, unknown>): Promise<unknown>;
}

const unary =
  (service: "signatures" | "workers" | "containers", name: string) =>
  (c: Clients, req: Record<string, unknown>): Promise<unknown> =>
    (c[service] as unknown as Record<string, (r: unknown) => Promise<unknown>>)[name](req);

/** The first message of a WatchSignatures stream, then the stream is cancelled. */
export async function firstWatchMessage(c: Clients, req: Record<string, unknown>): Promise<unknown> {
  const ac = new AbortController();
  try {
    for await (const m of c.signatures.watchSignatures(req, { signal: ac.signal })) return m;
    return undefined;
  } finally {
    ac.abort();
  }
}

const sig = (method: string, localName: string, prepare: RpcCase["prepare"]): RpcCase => ({
  service: "SignatureService",
  method,
  prepare,
  call: unary("signatures", localName),
});
const worker = (method: string, localName: string, prepare: RpcCase["prepare"]): RpcCase => ({
  service: "WorkerService",
  method,
  prepare,
  call: unary("workers", localName),
});
const container = (method: string, localName: string, prepare: RpcCase["prepare"]): RpcCase => ({
  service: "ContainerService",
  method,
  prepare,
  call: unary("containers", localName),
});
/** An open swarm with one pending child, made in the store; `key` is the swarm's. */
const swarmed = (extra: (key: string) => Record<string, unknown> = () => ({})) => async (store: Store) => {
  const child = await fixture(store);
  const key = `SwarmSignature:${randomUUID()}`;
  await store.createContainer({
    ...createCmd({ key, taskName: "swarm-task:sec" }),
    kind: ContainerKind.SWARM,
    config: { maxConcurrency: 1, stopAfterNFailures: 0, maxTasks: 100, sendMessage: false },
    closed: false,
    children: [{ key: child.key }],
  });
  return { req: { key, ...extra(key) }, key };
};
const keyed = (kind: Parameters<typeof fixture>[1], extra: (f: Awaited<ReturnType<typeof fixture>>) => Record<string, unknown> = () => ({})) => async (store: Store) => {
  const f = await fixture(store, kind);
  return { req: { key: f.key, ...extra(f) }, key: f.key };
};

export const RPCS: RpcCase[] = [
  sig("CreateSignature", "createSignature", async () => ({ req: { taskName: "sec-create", kwargs: { x: 1 } } })),
  sig("GetSignature", "getSignature", keyed("pending")),
  sig("BatchGetSignatures", "batchGetSignatures", async (store) => {
    const f = await fixture(store);
    return { req: { keys: [f.key] }, key: f.key };
  }),
  sig("ListSignatures", "listSignatures", async () => ({ req: { taskName: "sec-task" } })),
  sig("UpdateSignature", "updateSignature", keyed("pending", () => ({ kwargs: { b: 2 } }))),
  sig("DeleteSignature", "deleteSignature", keyed("pending")),
  sig("RemoveSignature", "removeSignature", keyed("pending")),
  sig("RunSignature", "runSignature", keyed("pending", () => ({ message: { m: 1 } }))),
  sig("SuspendSignature", "suspendSignature", keyed("pending")),
  sig("ResumeSignature", "resumeSignature", keyed("suspended")),
  sig("InterruptSignature", "interruptSignature", keyed("pending")),
  sig("PauseSignature", "pauseSignature", keyed("pending", () => ({ pauseType: PauseType.SOFT }))),
  sig("CancelSignature", "cancelSignature", keyed("pending")),
  sig("LockSignature", "lockSignature", keyed("pending", () => ({ owner: "matrix", ttl: { seconds: 30n } }))),
  sig("UnlockSignature", "unlockSignature", keyed("locked", (f) => ({ lockId: f.lockId }))),
  {
    service: "SignatureService",
    method: "WatchSignatures",
    prepare: async (store) => {
      const f = await fixture(store);
      return { req: { filter: { keys: [f.key] }, sendInitial: true }, key: f.key };
    },
    call: firstWatchMessage,
  },
  container("CreateChain", "createChain", async (store) => {
    const [a, b] = [await fixture(store), await fixture(store)];
    return { req: { tasks: [a, b].map((f) => ({ source: { case: "key", value: f.key } })) }, key: a.key };
  }),
  container("CreateSwarm", "createSwarm", async () => ({ req: { config: { maxConcurrency: 2 }, tasks: [{ source: { case: "signature", value: { taskName: "sec-child" } } }] } })),
  container("AddSwarmTasks", "addSwarmTasks", swarmed(() => ({ tasks: [{ source: { case: "signature", value: { taskName: "sec-more" } } }] }))),
  container("CloseSwarm", "closeSwarm", swarmed()),
  container("GetContainer", "getContainer", swarmed()),
  container("ListContainerChildren", "listContainerChildren", swarmed()),
  worker("StartTask", "startTask", keyed("queued", (f) => ({ runId: f.runId, attempt: 1 }))),
  worker("CompleteTask", "completeTask", keyed("active", (f) => ({ runId: f.runId, result: { kind: { case: "stringValue", value: "ok" } } }))),
  worker("FailTask", "failTask", keyed("active", (f) => ({ runId: f.runId, final: true, error: { message: "boom", type: "Error", attempt: 1 } }))),
];
