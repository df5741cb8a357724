/** Input limits; each breach is an INVALID_ARGUMENT naming the field. */
export interface Limits {
  maxJsonBytes: number;
  maxJsonDepth: number;
  maxCallbacks: number;
  maxMetadataEntries: number;
  maxPageSize: number;
  maxBatchKeys: number;
  defaultLockTtlMs: number;
  maxLockTtlMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxJsonBytes: 256 * 1024,
  maxJsonDepth: 32,
  maxCallbacks: 100,
  maxMetadataEntries: 64,
  maxPageSize: 1000,
  maxBatchKeys: 1000,
  defaultLockTtlMs: 30_000,
  maxLockTtlMs: 10 * 60_000,
};

export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_RETURN_FIELD = "mageflow_results";
/** A status filter (ListSignatures, WatchSignatures) names each status at most a few times. */
export const MAX_STATUSES = 64;
