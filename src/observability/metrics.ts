import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The service's Prometheus metrics, in one registry. Labels are bounded: no key, run id or token
 * is ever a label; a namespace is one only while fewer than `namespaceLabelCap` have been seen
 * (see namespaceLabel). Everything that changes per call is recorded through the functions below.
 */
export const registry = new Registry();

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const rpcHandled = new Counter({
  name: "mageflow_rpc_server_handled_total",
  help: "RPCs completed, by service, method, protocol (grpc, connect, grpc-web, grpc-http: gRPC on the HTTP port) and status code",
  labelNames: ["service", "method", "protocol", "code"] as const,
  registers: [registry],
});

export const rpcDuration = new Histogram({
  name: "mageflow_rpc_server_duration_seconds",
  help: "Time from an RPC's arrival to its answer (to the end of the stream for WatchSignatures)",
  labelNames: ["service", "method", "protocol"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const rpcInFlight = new Gauge({
  name: "mageflow_rpc_server_in_flight",
  help: "RPCs being handled now (open watch streams included)",
  labelNames: ["service", "method", "protocol"] as const,
  registers: [registry],
});

export const storeDuration = new Histogram({
  name: "mageflow_store_operation_duration_seconds",
  help: "Time of one store operation (one Lua script, or one read, on Redis), by operation",
  labelNames: ["operation"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const storeErrors = new Counter({
  name: "mageflow_store_operation_errors_total",
  help: "Store operations that failed (the store out of reach, a script error); refusals such as NOT_FOUND are not errors",
  labelNames: ["operation"] as const,
  registers: [registry],
});

export const engineCalls = new Counter({
  name: "mageflow_engine_requests_total",
  help: "Calls to the task engine (trigger a run, cancel a run), by result (ok or error)",
  labelNames: ["operation", "result"] as const,
  registers: [registry],
});

export const engineDuration = new Histogram({
  name: "mageflow_engine_request_duration_seconds",
  help: "Time of one call to the task engine",
  labelNames: ["operation"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [registry],
});

export const engineErrors = new Counter({
  name: "mageflow_engine_errors_total",
  help: "Failed engine calls by class (the engine's status such as UNAVAILABLE, NOT_FOUND, DEADLINE_EXCEEDED, HTTP_503) and whether they are permanent (not retried)",
  labelNames: ["operation", "class", "permanent"] as const,
  registers: [registry],
});

export const reconciliations = new Counter({
  name: "mageflow_reconciliation_outcomes_total",
  help: "Outcomes of reconciling runs the service recorded with the engine's view of them",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const authRefusals = new Counter({
  name: "mageflow_auth_refusals_total",
  help: "Calls refused by authentication or authorization, by reason (ErrorInfo reason)",
  labelNames: ["reason"] as const,
  registers: [registry],
});

export const statusChanges = new Counter({
  name: "mageflow_signature_status_changes_total",
  help: "Signatures entering a status (created into it, or changed to it), from the store's event stream",
  labelNames: ["namespace", "status"] as const,
  registers: [registry],
});

export const signaturesByStatus = new Gauge({
  name: "mageflow_signatures",
  help: "Net change of the number of signatures in each status seen in the event stream since this process started (never a scan; expiry is not seen)",
  labelNames: ["namespace", "status"] as const,
  registers: [registry],
});

const DEFAULT_NAMESPACE_CAP = 100;
let namespaceCap = DEFAULT_NAMESPACE_CAP;
const labelled = new Set<string>();

/** METRICS_NAMESPACE_LABELS: how many namespaces get their own label value. */
export function setNamespaceLabelCap(cap: number) {
  namespaceCap = cap;
}

/** The label value of a namespace: its name for the first `cap` namespaces seen, then "other". */
export function namespaceLabel(namespace: string): string {
  if (labelled.has(namespace)) return namespace;
  if (labelled.size >= namespaceCap) return "other";
  labelled.add(namespace);
  return namespace;
}

let defaultsCollected = false;

/** Process and Node.js runtime metrics (process_*, nodejs_*), once per process. */
export function collectProcessMetrics() {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: registry });
}

/**
 * Reconciliation of a recorded run against the engine: `outcome` is one of a fixed set of names
 * chosen by the reconciler (for example "in_sync", "redispatched", "failed", "cancelled").
 */
export function recordReconciliation(outcome: string, count = 1) {
  reconciliations.inc({ outcome }, count);
}

export function recordAuthRefusal(reason: string) {
  authRefusals.inc({ reason });
}
