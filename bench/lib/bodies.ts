/** Request messages of the benchmarked operations, encoded once with protobuf-es. */
import { create, fromBinary, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CreateSignatureRequestSchema,
  CreateSignatureResponseSchema,
  GetSignatureRequestSchema,
  ListSignaturesRequestSchema,
  RunSignatureRequestSchema,
  RunSignatureResponseSchema,
  SuspendSignatureRequestSchema,
  UpdateSignatureRequestSchema,
  WatchSignaturesRequestSchema,
} from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { CompleteTaskRequestSchema, StartTaskRequestSchema } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import type { JsonObject } from "../../src/core/json.js";
import { newSignatureKey } from "../../src/core/keys.js";
import type { CreateCommand } from "../../src/store/store.js";
import type { Step } from "./drivers.js";

const enc = <D extends DescMessage>(schema: D, init: MessageInitShape<D>) => toBinary(schema, create(schema, init));

const SIG = "/mageflow.v1.SignatureService/";
const WORKER = "/mageflow.v1.WorkerService/";

export const PATH = {
  create: `${SIG}CreateSignature`,
  get: `${SIG}GetSignature`,
  list: `${SIG}ListSignatures`,
  update: `${SIG}UpdateSignature`,
  suspend: `${SIG}SuspendSignature`,
  resume: `${SIG}ResumeSignature`,
  run: `${SIG}RunSignature`,
  start: `${WORKER}StartTask`,
  complete: `${WORKER}CompleteTask`,
  noop: "/bench.v1.Noop/Call",
};

export const TASK = "bench.task";

/** What `body.create()` asks for, as the store's own command (for the benches that call the store directly). */
export const createCommand = (kwargs: JsonObject = { a: 1, b: "x" }): CreateCommand => ({
  key: newSignatureKey(),
  taskName: TASK,
  kwargs,
  creationTime: Date.now(),
  successCallbacks: [],
  errorCallbacks: [],
  status: Status.PENDING,
  returnFieldName: "mageflow_results",
  metadata: { team: "bench" },
  requestId: "",
});

export const body = {
  create: () => enc(CreateSignatureRequestSchema, { taskName: TASK, kwargs: { a: 1, b: "x" }, metadata: { team: "bench" } }),
  get: (key: string) => enc(GetSignatureRequestSchema, { key }),
  list: (pageSize = 50) => enc(ListSignaturesRequestSchema, { pageSize }),
  /** Merges {n: 1} into kwargs: repeatable, one new revision each time. */
  update: (key: string, n = 1) => enc(UpdateSignatureRequestSchema, { key, kwargs: { n } }),
  /** SuspendSignatureRequest and ResumeSignatureRequest have the same fields: one body serves both. */
  suspendOrResume: (key: string) => enc(SuspendSignatureRequestSchema, { key }),
  run: (key: string) => enc(RunSignatureRequestSchema, { key, message: { m: 1 } }),
  start: (key: string, runId: string, attempt: number) => enc(StartTaskRequestSchema, { key, runId, attempt }),
  complete: (key: string, runId: string) =>
    enc(CompleteTaskRequestSchema, { key, runId, result: { kind: { case: "structValue", value: { fields: { ok: { kind: { case: "boolValue", value: true } } } } } } }),
  watch: (progressMs: number) =>
    enc(WatchSignaturesRequestSchema, { progressInterval: { seconds: BigInt(Math.floor(progressMs / 1000)), nanos: (progressMs % 1000) * 1e6 } }),
  /** google.protobuf.Empty with one unknown field: h2load cannot send an empty body, and unknown fields are kept, not refused. */
  noopConnect: () => new Uint8Array([0x78, 0x00]),
  noopGrpc: () => new Uint8Array(0),
};

export const steps = {
  create: (): Step[] => [{ path: PATH.create, body: body.create() }],
  run: (key: string): Step[] => [{ path: PATH.run, body: body.run(key) }],
  startComplete: (key: string, runId: string, attempt: number): Step[] => [
    { path: PATH.start, body: body.start(key, runId, attempt) },
    { path: PATH.complete, body: body.complete(key, runId) },
  ],
};

export const decode = {
  createdKey: (b: Uint8Array) => fromBinary(CreateSignatureResponseSchema, b).signature?.key ?? "",
  run: (b: Uint8Array) => {
    const r = fromBinary(RunSignatureResponseSchema, b);
    return { key: r.signature?.key ?? "", runId: r.runId, attempt: r.signature?.run?.attempt ?? 0 };
  },
};
