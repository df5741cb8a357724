/// <reference lib="esnext.disposable" />
export { createMageflowClient, MageflowClient } from "./client.js";
export type { ChainOptions, ContainerTaskLike, InlineTask, SwarmOptions } from "./client.js";
export type { Container, ContainerSummary, SwarmConfig } from "../../../gen/ts/mageflow/v1/container_pb.js";
export type {
  ListOptions,
  LockOptions,
  MageflowClientOptions,
  MutationOptions,
  RemoveOptions,
  RunOptions,
  RunResult,
  SignOptions,
  StartResult,
  TaskErrorInput,
  TaskReport,
  UpdateOptions,
} from "./client.js";
export { Code, codeName, ERROR_DOMAIN, MageflowError } from "./mageflow-error.js";
export type { FieldViolation } from "./mageflow-error.js";
export { Lease } from "./lease.js";
export { dispatchStateName, eventTypeName, parseStatus, statusName, statusNames } from "./names.js";
export type { StatusLike } from "./names.js";
export { DEFAULT_SERVER, DEFAULT_TIMEOUT_MS, RECONNECT_DEFAULTS, RETRY_DEFAULTS } from "./defaults.js";
export type { TlsOptions, TransportOptions } from "./transport.js";
export { traceContextInterceptor, type TraceApi } from "./trace-context.js";
export type { RetryOptions } from "./retry.js";
export { SignatureWatch } from "./watch.js";
export type { ReconnectInfo, WatchOptions } from "./watch.js";
export { EventType, type SignatureEvent } from "../../../gen/ts/mageflow/v1/event_pb.js";
export { ContainerKind, DispatchState, Status, type Signature, type SignatureLock, type SignatureRun, type TaskError } from "../../../gen/ts/mageflow/v1/signature_pb.js";
export { StartDecision } from "../../../gen/ts/mageflow/v1/worker_service_pb.js";
export { timestampDate } from "@bufbuild/protobuf/wkt";
