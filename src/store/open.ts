import type { Store, StoreOptions } from "./store.js";
import { MemoryStore } from "./memory/memory-store.js";

/** Opens the Redis store when a URL is given, else the embedded memory store. */
export async function openStore(redisUrl: string | undefined, opts: StoreOptions): Promise<Store> {
  if (!redisUrl) return new MemoryStore(opts);
  const { openRedisStore } = await import("./redis/index.js");
  return openRedisStore(redisUrl, opts);
}
