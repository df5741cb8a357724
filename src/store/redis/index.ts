import type { StoreOptions } from "../store.js";
import { RedisStore } from "./redis-store.js";

export { RedisStore };

/** Connects to Redis at `url`, loads the scripts and creates the outbox consumer group. */
export function openRedisStore(url: string, opts: StoreOptions): Promise<RedisStore> {
  return RedisStore.open(url, opts);
}
