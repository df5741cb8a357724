import type { ServiceImpl } from "@connectrpc/connect";
import type { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import type { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import type { ApiDeps } from "../api/context.js";
import { containerService } from "../api/container-service.js";
import { signatureService } from "../api/signature-service.js";
import { workerService } from "../api/worker-service.js";
import { unavailable } from "../core/service-error.js";
import type { Limits } from "../core/limits.js";
import type { Dispatcher } from "../dispatch/dispatcher.js";
import { DispatchLoop } from "../dispatch/loop.js";
import type { ReconcileOptions } from "../dispatch/reconciler.js";
import { forgetNamespace, observeNamespace } from "./namespace-metrics.js";
import { observedStore } from "./observed-store.js";
import { openStore } from "../store/open.js";
import type { Store, StoreOptions } from "../store/store.js";
import { WatchHub } from "../watch/hub.js";
import type { WatchBudget } from "../watch/watch-budget.js";
import { DEFAULT_NAMESPACE, NAMESPACE_PATTERN } from "../auth/tokens.js";

/** Engine metadata that tells a worker which namespace a run belongs to (absent for `default`). */
export const NAMESPACE_METADATA = "mageflow_namespace";

/** Everything one namespace owns: nothing here is shared with another namespace. */
export interface Namespace {
  name: string;
  store: Store;
  hub: WatchHub;
  loop: DispatchLoop;
  signatures: ServiceImpl<typeof SignatureService>;
  workers: ServiceImpl<typeof WorkerService>;
  containers: ServiceImpl<typeof ContainerService>;
}

export interface NamespaceOptions {
  redisUrl?: string;
  /** REDIS_PREFIX: `default` uses it as is, namespace `ns` uses `<prefix>:<ns>`. */
  prefix: string;
  store: Omit<StoreOptions, "prefix">;
  watchBuffer: number;
  /** Shared by every namespace's hub: the bytes all watch queues of the process may hold. */
  watchBudget: WatchBudget;
  dispatchClaimIdleMs: number;
  /** Each namespace's loop follows its triggered runs at the engine with these; off when absent. */
  reconcile?: ReconcileOptions;
  dispatchWaitMs: number;
  limits: Limits;
  /** Shared by every namespace; each namespace's loop triggers through it. */
  dispatcher: Dispatcher;
  log: (msg: string) => void;
}

/** After a namespace failed to open (its store unreachable), calls within this time get the same error. */
const REOPEN_AFTER_MS = 1000;

/** The store key prefix of a namespace. `default` keeps the prefix of a server without namespaces. */
export function namespacePrefix(prefix: string, namespace: string) {
  return namespace === DEFAULT_NAMESPACE ? prefix : `${prefix}:${namespace}`;
}

/**
 * Namespaces by structure: each has its own store (its own Redis key prefix, so its own
 * signatures, indexes, revision, event log, outbox, request ids and leases), its own watch
 * hub and dispatch loop, and handlers built on those alone. A key of another namespace is
 * simply not in the store a caller reaches. Opened on first use, closed on shutdown.
 */
export class NamespaceRegistry {
  private readonly opening = new Map<string, Promise<Namespace>>();
  private readonly open = new Map<string, Namespace>();
  private readonly failed = new Map<string, { at: number; error: unknown }>();
  private closed = false;

  constructor(private readonly opts: NamespaceOptions) {}

  /** The namespace, opened now if this is its first use. */
  get(name: string): Promise<Namespace> {
    const ns = this.open.get(name);
    if (ns) return Promise.resolve(ns);
    if (this.closed) return Promise.reject(unavailable("SHUTTING_DOWN", "the server is shutting down"));
    if (!NAMESPACE_PATTERN.test(name)) return Promise.reject(new Error(`invalid namespace name ${JSON.stringify(name)}`));
    const failed = this.failed.get(name);
    if (failed && Date.now() - failed.at < REOPEN_AFTER_MS) return Promise.reject(failed.error);
    let p = this.opening.get(name);
    if (!p) {
      p = this.create(name).then(
        (ns) => {
          this.opening.delete(name);
          if (this.closed) {
            void this.stopOne(ns).then(() => ns.store.close());
            throw unavailable("SHUTTING_DOWN", "the server is shutting down");
          }
          this.failed.delete(name);
          this.open.set(name, ns);
          return ns;
        },
        (err) => {
          this.opening.delete(name);
          // Its store is unreachable: calls meanwhile fail fast instead of each trying to connect.
          this.failed.set(name, { at: Date.now(), error: err });
          throw err;
        },
      );
      this.opening.set(name, p);
    }
    return p;
  }

  /** The namespace if it is open, without opening it. */
  opened(name: string): Namespace | undefined {
    return this.open.get(name);
  }

  /** Namespaces opened so far. */
  names(): string[] {
    return [...this.open.keys()].sort();
  }

  /** Stops every namespace's watch hub (ending its watch streams) and dispatch loop. */
  async stop() {
    this.closed = true;
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all([...this.open.values()].map((ns) => this.stopOne(ns)));
  }

  /** Closes every namespace's store (after `stop` and after the listeners closed). */
  async closeStores() {
    await Promise.all([...this.open.values()].map((ns) => ns.store.close()));
    this.open.clear();
  }

  private async stopOne(ns: Namespace) {
    forgetNamespace(ns);
    await ns.hub.close();
    await ns.loop.stop();
  }

  private async create(name: string): Promise<Namespace> {
    const o = this.opts;
    const store = observedStore(await openStore(o.redisUrl, { ...o.store, prefix: namespacePrefix(o.prefix, name) }));
    try {
      const hub = new WatchHub(store, o.watchBuffer, o.watchBudget);
      await hub.start();
      const dispatcher = name === DEFAULT_NAMESPACE ? o.dispatcher : namespacedDispatcher(o.dispatcher, name);
      const log = name === DEFAULT_NAMESPACE ? o.log : (m: string) => o.log(`[${name}] ${m}`);
      const loop = new DispatchLoop(store, dispatcher, { log, claimIdleMs: o.dispatchClaimIdleMs, reconcile: o.reconcile });
      loop.start();
      const deps: ApiDeps = { store, hub, limits: o.limits, dispatchWaitMs: o.dispatchWaitMs };
      const ns = { name, store, hub, loop, signatures: signatureService(deps), workers: workerService(deps), containers: containerService(deps) };
      observeNamespace(ns);
      return ns;
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
  }
}

/** The shared engine, with the namespace added to every run's metadata; closing it is the server's job. */
function namespacedDispatcher(inner: Dispatcher, namespace: string): Dispatcher {
  return {
    name: inner.name,
    trigger: (req) => inner.trigger({ ...req, metadata: { ...req.metadata, [NAMESPACE_METADATA]: namespace } }),
    cancel: (runId) => inner.cancel(runId),
    close: async () => {},
  };
}
