// The defaults every MageFlow client shares (docs/clients/defaults.md), in one place.

/** The service address a client uses when given none and MAGEFLOW_SERVER is unset (the Connect port). */
export const DEFAULT_SERVER = "http://127.0.0.1:8080";

/** Deadline of each unary call, covering all its attempts; watches have none. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Opt-in retries of idempotent unary calls. */
export const RETRY_DEFAULTS = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 5_000 } as const;

/** Watch reconnects: unlimited, with this backoff, reset once a message arrives. */
export const RECONNECT_DEFAULTS = { initialDelayMs: 100, maxDelayMs: 10_000 } as const;
