import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { withErrorMapping } from "../api/error-mapping.js";
import { useNodeTextEncoding } from "../api/text-encoding.js";
import { openAuthenticator, tokenAuthenticator, type Authenticator } from "../auth/authenticator.js";
import { Gate, routedService } from "./gate.js";
import { NamespaceRegistry } from "./namespaces.js";
import { DEFAULT_NAMESPACE } from "../auth/tokens.js";
import { RateLimits } from "../auth/rate-limits.js";
import { WatchLimits } from "../auth/watch-limits.js";
import type { Config } from "../config.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import { hatchetConfigFromEnv, HatchetDispatcher } from "../dispatch/hatchet.js";
import { RecordingDispatcher } from "../dispatch/recording.js";
import { hasRunStatus } from "../dispatch/run-status.js";
import type { Store } from "../store/store.js";
import { log as logger } from "../observability/log.js";
import { collectProcessMetrics, setNamespaceLabelCap } from "../observability/metrics.js";
import { startTracing, stopTracing } from "../observability/tracing.js";
import { startGrpcListener } from "./grpc-listener.js";
import { metricsRoute, startMetricsListener } from "./metrics-endpoint.js";
import { observedDispatcher } from "./observed-dispatcher.js";
import { observedService } from "./observed-service.js";
import { HealthMonitor } from "./health.js";
import { openNamespaces } from "./namespace-opener.js";
import { HeldBuffers, WatchBudget } from "../watch/watch-budget.js";
import { startHttpListener } from "./http-listener.js";
import { webRoutes } from "../web/web-routes.js";

export interface RunningServer {
  grpcPort: number;
  httpPort: number;
  /** The store of namespace `default` (the only one in open mode); throws while it could not be opened yet. */
  readonly store: Store;
  storeKind: "redis" | "memory";
  /** Every namespace's store, hub and dispatch loop. */
  namespaces: NamespaceRegistry;
  dispatcher: Dispatcher;
  /** The metrics listener's port, when METRICS_PORT gives the metrics one of their own. */
  metricsPort?: number;
  /** Graceful stop: end watch streams, stop dispatching, finish in-flight calls, close the stores. */
  close(graceMs?: number): Promise<void>;
}

export interface ServerOverrides {
  dispatcher?: Dispatcher;
  log?: (msg: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function startServer(config: Config, o: ServerOverrides = {}): Promise<RunningServer> {
  const log = o.log ?? ((m: string) => logger.info(m));
  const warn = o.log ?? ((m: string) => logger.warn(m));
  useNodeTextEncoding();
  setNamespaceLabelCap(config.metrics.namespaceLabels);
  collectProcessMetrics();
  const auth: Authenticator = config.auth.mode === "tokens" ? tokenAuthenticator(config.auth.tokens) : openAuthenticator;
  if (config.auth.mode === "none") {
    const why = config.auth.explicit ? "AUTH=none" : `no AUTH_TOKENS_FILE given and ${config.host} is a loopback address`;
    warn(
      `WARNING: AUTHENTICATION IS OFF (${why}): every caller that reaches ${config.host} is an admin of namespace ${DEFAULT_NAMESPACE}. ` +
        "Set AUTH_TOKENS_FILE (see `mageflow token create` and docs/security.md) before serving anyone else.",
    );
  }
  const hatchet = hatchetConfigFromEnv(o.env ?? process.env);
  const dispatcher = o.dispatcher ?? (hatchet ? new HatchetDispatcher(hatchet) : new RecordingDispatcher());
  const tracing = await startTracing(o.env ?? process.env);

  const watchBudget = new WatchBudget(config.watchMemoryBudget);
  const watchFrames = new HeldBuffers(watchBudget);
  const namespaces = new NamespaceRegistry({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    store: {
      activeTtlMs: config.activeTtlMs,
      doneTtlMs: config.doneTtlMs,
      historyMax: config.historyMax,
      historyMaxBytes: config.historyMaxBytes,
      quota: { signatures: config.quotaSignatures, bytes: config.quotaBytes },
      requestIdTtlMs: config.requestIdTtlMs,
      now: Date.now,
      ...(config.redisWait && { waitReplicas: config.redisWait }),
    },
    watchBuffer: config.watchBuffer,
    watchBudget,
    dispatchClaimIdleMs: config.dispatchClaimIdleMs,
    reconcile: hasRunStatus(dispatcher) ? { ...config.reconcile, source: dispatcher } : undefined,
    dispatchWaitMs: config.dispatchWaitMs,
    limits: config.limits,
    dispatcher: observedDispatcher(dispatcher),
    log: warn,
  });
  // Namespace `default` backs health checks. Every namespace a token can reach is opened now,
  // not on first use: its dispatch loop must drain what its outbox held when the server stopped.
  // An unreachable store is no reason not to start: NOT_SERVING, and retries until it answers.
  const opener = openNamespaces(namespaces, [DEFAULT_NAMESPACE, ...auth.namespaces()], warn);
  const openedAtStart = await opener.firstAttempt;
  if (!config.redisUrl) warn("WARNING: no REDIS_URL given: using the embedded in-memory store; signatures are lost when the process exits");
  if (dispatcher.name === "recording") log("no HATCHET_CLIENT_TOKEN given: runs are recorded, not executed");
  if (!auth.open) log(`authentication: ${config.auth.mode === "tokens" ? config.auth.tokens.length : 0} tokens, namespaces ${auth.namespaces().join(", ") || "(none)"}`);

  const health = new HealthMonitor(async () => {
    const ns = namespaces.opened(DEFAULT_NAMESPACE);
    if (!ns) throw new Error("the store is not open yet");
    await ns.store.ping();
  });
  if (openedAtStart) await health.check();
  else health.set(false);
  health.start();
  void opener.done.then(() => health.check());

  const watches = new WatchLimits({ perToken: config.watchMaxPerToken, perConnection: config.watchMaxPerConnection });
  const gate = new Gate(auth, namespaces, watches, new RateLimits(config.rateLimits));
  const impls = {
    signatures: routedService(SignatureService, gate, (ns) => ns.signatures),
    workers: routedService(WorkerService, gate, (ns) => ns.workers),
    containers: routedService(ContainerService, gate, (ns) => ns.containers),
  };
  // The grpc-js adapter maps errors itself (toGrpcError); Connect needs them mapped before it sees them.
  const grpcListener = await startGrpcListener(
    config,
    { signatures: observedService(SignatureService, impls.signatures, "grpc"), workers: observedService(WorkerService, impls.workers, "grpc"), containers: observedService(ContainerService, impls.containers, "grpc") },
    health,
    { perStream: config.watchStreamBufferBytes, hold: (b) => watchFrames.hold(b), release: (b) => watchFrames.release(b) },
  );
  const mapped = { signatures: withErrorMapping(SignatureService, impls.signatures), workers: withErrorMapping(WorkerService, impls.workers), containers: withErrorMapping(ContainerService, impls.containers) };
  const observed = { signatures: observedService(SignatureService, mapped.signatures, "http"), workers: observedService(WorkerService, mapped.workers, "http"), containers: observedService(ContainerService, mapped.containers, "http") };
  const web = webRoutes(config, auth, watches, mapped);
  const metricsPath = config.metrics.port === undefined ? config.metrics.path : undefined;
  const metrics = metricsPath ? metricsRoute(metricsPath) : undefined;
  const httpListener = await startHttpListener(config, observed, health, metrics ? (req, res) => metrics(req, res) || web(req, res) : web, (header, method) =>
    gate.admits(header, method),
  );
  const metricsListener = config.metrics.port !== undefined && config.metrics.path ? await startMetricsListener(config.host, config.metrics.port, config.metrics.path) : undefined;
  if (metricsPath) log(`metrics: GET ${metricsPath} on the HTTP port`);
  if (metricsListener) log(`metrics: GET ${config.metrics.path} on ${config.host}:${metricsListener.port}`);
  if (tracing) log("tracing: on (OpenTelemetry, configured by OTEL_* variables)");

  return {
    grpcPort: grpcListener.port,
    httpPort: httpListener.port,
    get store() {
      const ns = namespaces.opened(DEFAULT_NAMESPACE);
      if (!ns) throw new Error("the store of namespace default is not open yet (unreachable at start)");
      return ns.store;
    },
    storeKind: config.redisUrl ? "redis" : "memory",
    namespaces,
    dispatcher,
    metricsPort: metricsListener?.port,
    async close(graceMs = 5000) {
      opener.stop();
      health.stop();
      await Promise.all([namespaces.stop(), grpcListener.close(graceMs), httpListener.close(graceMs), metricsListener?.close(graceMs)]);
      await dispatcher.close();
      await namespaces.closeStores();
      await stopTracing();
    },
  };
}
