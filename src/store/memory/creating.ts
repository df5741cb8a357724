import { F, type FlatRecord } from "../record.js";
import { refusals } from "../refusal-errors.js";
import type { MemoryState } from "./memory-state.js";

/** The first checks of a step that writes new signatures (creating.lua's twin). */

/** The record a request id wrote before, while that id is remembered. */
export function replayedRequest(db: MemoryState, requestId: string | undefined, now: number): FlatRecord | undefined {
  if (!requestId) return undefined;
  const seen = db.requests.get(requestId);
  return seen && seen.expireAt > now ? db.find(seen.key) : undefined;
}

/** Refuses CALLBACKS_NOT_FOUND unless every key names a signature that is not removed. */
export function requireCallbacks(db: MemoryState, keys: readonly string[]): void {
  const missing = keys.filter((k) => {
    const h = db.find(k);
    return !h || h[F.removed] === "1";
  });
  if (missing.length > 0) throw refusals.callbacksNotFound(missing);
}
