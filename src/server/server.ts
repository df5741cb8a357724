import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { withErrorMapping } from "../api/error-mapping.js";
import { signatureService } from "../api/signature-service.js";
import { workerService } from "../api/worker-service.js";
import type { Config } from "../config.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import { hatchetConfigFromEnv, HatchetDispatcher } from "../dispatch/hatchet.js";
import { DispatchLoop } from "../dispatch/loop.js";
import { RecordingDispatcher } from "../dispatch/recording.js";
import { openStore } from "../store/open.js";
import type { Store } from "../store/store.js";
import { WatchHub } from "../watch/hub.js";
import { startGrpcListener } from "./grpc-listener.js";
import { HealthMonitor } from "./health.js";
import { startHttpListener } from "./http-listener.js";

export interface RunningServer {
  grpcPort: number;
  httpPort: number;
  store: Store;
  dispatcher: Dispatcher;
  /** Graceful stop: end watch streams, stop dispatching, finish in-flight calls, close the store. */
  close(graceMs?: number): Promise<void>;
}

export interface ServerOverrides {
  dispatcher?: Dispatcher;
  log?: (msg: string) => void;
  env?: NodeJS.ProcessEnv;
}

export async function startServer(config: Config, o: ServerOverrides = {}): Promise<RunningServer> {
  const log = o.log ?? ((m: string) => console.error(m));
  const store = await openStore(config.redisUrl, {
    prefix: config.redisPrefix,
    activeTtlMs: config.activeTtlMs,
    doneTtlMs: config.doneTtlMs,
    historyMax: config.historyMax,
    requestIdTtlMs: config.requestIdTtlMs,
    now: Date.now,
  });
  if (!config.redisUrl) log("WARNING: no REDIS_URL given: using the embedded in-memory store; signatures are lost when the process exits");
  const hatchet = hatchetConfigFromEnv(o.env ?? process.env);
  const dispatcher = o.dispatcher ?? (hatchet ? new HatchetDispatcher(hatchet) : new RecordingDispatcher());
  if (dispatcher.name === "recording") log("no HATCHET_CLIENT_TOKEN given: runs are recorded, not executed");

  const hub = new WatchHub(store, config.watchBuffer);
  await hub.start();
  const loop = new DispatchLoop(store, dispatcher, { log, claimIdleMs: config.dispatchClaimIdleMs });
  loop.start();
  const health = new HealthMonitor(store);
  health.start();

  const deps = { store, hub, limits: config.limits, dispatchWaitMs: config.dispatchWaitMs };
  const impls = {
    signatures: withErrorMapping(SignatureService, signatureService(deps)),
    workers: withErrorMapping(WorkerService, workerService(deps)),
  };
  const grpcListener = await startGrpcListener(config, impls, health);
  const httpListener = await startHttpListener(config, impls, health);

  return {
    grpcPort: grpcListener.port,
    httpPort: httpListener.port,
    store,
    dispatcher,
    async close(graceMs = 5000) {
      health.stop();
      await hub.close();
      await loop.stop();
      await Promise.all([grpcListener.close(graceMs), httpListener.close(graceMs)]);
      await dispatcher.close();
      await store.close();
    },
  };
}
