import type { Limits } from "../core/limits.js";
import type { Store } from "../store/store.js";
import type { WatchHub } from "../watch/hub.js";

/** What the RPC handlers need from the running server. */
export interface ApiDeps {
  store: Store;
  hub: WatchHub;
  limits: Limits;
  /** How long RunSignature waits for the engine before answering QUEUED. */
  dispatchWaitMs: number;
}
