import { isIP } from "node:net";
import { availableParallelism } from "node:os";
import { readTokensFile, TokensFileError, type TokenEntry } from "./auth/tokens.js";
import type { Rate, RoleRates } from "./auth/rate-limits.js";
import { DEFAULT_LIMITS, type Limits } from "./core/limits.js";
import { parseRedisTarget, RedisTargetError } from "./core/redis-target.js";

/**
 * How callers are authenticated (docs/security.md). `tokens`: bearer tokens from the tokens
 * file. `none`: open mode, everyone is an admin of namespace `default`; `explicit` is false
 * when it was chosen because no tokens file was given on a loopback host.
 */
export type AuthConfig = { mode: "tokens"; tokensFile: string; tokens: TokenEntry[] } | { mode: "none"; explicit: boolean };

/** Every server setting; docs/configuration.md is the reference for each. */
export interface Config {
  host: string;
  port: number;
  httpPort: number;
  redisUrl?: string;
  redisPrefix: string;
  /** REDIS_WAIT_REPLICAS (> 0) and REDIS_WAIT_TIMEOUT: every mutation waits for that many replicas. */
  redisWait?: { count: number; timeoutMs: number };
  /** `--workers`: server processes sharing both ports (1: this process serves). */
  workers: number;
  activeTtlMs: number;
  doneTtlMs: number;
  historyMax: number;
  historyMaxBytes: number;
  /** Per namespace: stored signatures and their bytes (0: no quota). */
  quotaSignatures: number;
  quotaBytes: number;
  requestIdTtlMs: number;
  watchBuffer: number;
  /** Bytes of events all watch queues of the process may hold together. */
  watchMemoryBudget: number;
  /** Bytes one watch stream may have written and not yet sent (its client reads slowly or not at all). */
  watchStreamBufferBytes: number;
  dispatchWaitMs: number;
  dispatchClaimIdleMs: number;
  /** Following triggered runs at the engine (docs/hatchet.md, reconciliation). */
  reconcile: { intervalMs: number; maxIntervalMs: number; notFoundAfterMs: number; scanIntervalMs: number };
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  auth: AuthConfig;
  /** Open WatchSignatures streams per token (authenticated callers only). */
  watchMaxPerToken: number;
  /** Open WatchSignatures streams per client connection. */
  watchMaxPerConnection: number;
  /** Largest request message, both ports (grpc max_receive_message_length, Connect readMaxBytes). */
  maxRequestBytes: number;
  /** The web console at /console on the HTTP port. */
  console: boolean;
  /** The MCP server (Streamable HTTP) at /mcp on the HTTP port. */
  mcp: boolean;
  /** Calls per token, per role (token buckets); a role without a rate is not limited. */
  rateLimits: RoleRates;
  limits: Limits;
  /** Prometheus metrics: GET `path` on the HTTP port, or on a listener of their own at `port`; no path: off. */
  metrics: { path?: string; port?: number; namespaceLabels: number };
  log: { level: string; format: "json" | "pretty" | "auto" };
}

type Parser = (raw: string, name: string) => unknown;

const int: Parser = (raw, name) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(name, raw, "a non-negative integer");
  return n;
};
const port: Parser = (raw, name) => {
  const n = int(raw, name) as number;
  if (n > 65535) throw new ConfigError(name, raw, "a port number (0 to 65535; 0 picks a free one)");
  return n;
};
const positiveInt: Parser = (raw, name) => {
  const n = int(raw, name) as number;
  if (n === 0) throw new ConfigError(name, raw, "a positive integer");
  return n;
};
const duration: Parser = (raw, name) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(raw.trim());
  if (!m) throw new ConfigError(name, raw, "a duration such as 500ms, 30s, 10m, 3h or 1d");
  const ms = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms"];
  if (ms <= 0) throw new ConfigError(name, raw, "a positive duration");
  return Math.round(ms);
};
/** A duration in ms as `duration` reads it, in the largest unit that divides it (30000 -> `30s`). */
function durationText(ms: number): string {
  const [unit, size] = (Object.entries({ d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 }).find(([, n]) => ms % n === 0) ?? ["ms", 1]) as [string, number];
  return `${ms / size}${unit}`;
}
const text: Parser = (raw) => raw;
const redisUrl: Parser = (raw, name) => {
  try {
    parseRedisTarget(raw);
  } catch (e) {
    if (e instanceof RedisTargetError) throw new ConfigError(name, raw, e.message);
    throw e;
  }
  return raw;
};

const workers: Parser = (raw, name) => {
  if (raw.trim() === "auto") return availableParallelism();
  const n = int(raw, name) as number;
  if (n < 1) throw new ConfigError(name, raw, "a number of processes (at least 1) or auto (one per core)");
  return n;
};

const onOff: Parser = (raw, name) => {
  const v = raw.trim().toLowerCase();
  if (["on", "true", "1"].includes(v)) return true;
  if (["off", "false", "0"].includes(v)) return false;
  throw new ConfigError(name, raw, "on or off");
};
const metricsPath: Parser = (raw, name) => {
  if (raw === "off") return undefined;
  if (!/^\/[\w./-]*$/.test(raw)) throw new ConfigError(name, raw, "a path such as /metrics, or off");
  return raw;
};
const oneOf =
  (...values: string[]): Parser =>
  (raw, name) => {
    if (!values.includes(raw)) throw new ConfigError(name, raw, `one of ${values.join(", ")}`);
    return raw;
  };
/** `<calls>/s` or `<calls>/m`, optionally `:<burst>` (default: one second's worth, at least 1), or `off`. */
const rate: Parser = (raw, name): Rate | undefined => {
  if (raw.trim() === "off") return undefined;
  const m = /^(\d+(?:\.\d+)?)\/(s|m)(?::(\d+))?$/.exec(raw.trim());
  const perSecond = m ? Number(m[1]) / (m[2] === "m" ? 60 : 1) : 0;
  if (!m || perSecond <= 0) throw new ConfigError(name, raw, "a rate such as 200/s, 600/m or 200/s:400 (calls per second or minute, optional burst), or off");
  const burst = m[3] !== undefined ? Number(m[3]) : Math.max(1, Math.ceil(perSecond));
  if (burst < 1) throw new ConfigError(name, raw, "a burst of at least 1");
  return { perSecond, burst };
};

const authMode: Parser = (raw, name) => {
  if (raw !== "tokens" && raw !== "none") throw new ConfigError(name, raw, "tokens (bearer tokens from AUTH_TOKENS_FILE) or none (no authentication)");
  return raw;
};

/** Setting name (flag `--kebab-case`, env `UPPER_SNAKE`), parser, default. */
export const SETTINGS = {
  host: ["HOST", text, "127.0.0.1"],
  port: ["PORT", port, "50051"],
  httpPort: ["HTTP_PORT", port, "8080"],
  redisUrl: ["REDIS_URL", redisUrl, undefined],
  redisPrefix: ["REDIS_PREFIX", text, "mageflow"],
  redisWaitReplicas: ["REDIS_WAIT_REPLICAS", int, "0"],
  redisWaitTimeout: ["REDIS_WAIT_TIMEOUT", duration, "1s"],
  workers: ["WORKERS", workers, "1"],
  activeTtl: ["ACTIVE_TTL", duration, "24h"],
  doneTtl: ["DONE_TTL", duration, "3h"],
  historyMax: ["HISTORY_MAX", positiveInt, "100000"],
  historyMaxBytes: ["HISTORY_MAX_BYTES", positiveInt, String(32 * 1024 * 1024)],
  quotaSignatures: ["QUOTA_SIGNATURES", int, "100000"],
  quotaBytes: ["QUOTA_BYTES", int, String(128 * 1024 * 1024)],
  requestIdTtl: ["REQUEST_ID_TTL", duration, "24h"],
  watchBuffer: ["WATCH_BUFFER", positiveInt, "10000"],
  watchMemoryBudget: ["WATCH_MEMORY_BUDGET", positiveInt, String(32 * 1024 * 1024)],
  watchStreamBufferBytes: ["WATCH_STREAM_BUFFER_BYTES", positiveInt, String(256 * 1024)],
  dispatchWait: ["DISPATCH_WAIT", duration, "2s"],
  dispatchClaimIdle: ["DISPATCH_CLAIM_IDLE", duration, "15s"],
  reconcileInterval: ["RECONCILE_INTERVAL", duration, "5s"],
  reconcileMaxInterval: ["RECONCILE_MAX_INTERVAL", duration, "1m"],
  reconcileNotFoundAfter: ["RECONCILE_NOT_FOUND_AFTER", duration, "30s"],
  reconcileScanInterval: ["RECONCILE_SCAN_INTERVAL", duration, "1m"],
  lockTtlDefault: ["LOCK_TTL_DEFAULT", duration, durationText(DEFAULT_LIMITS.defaultLockTtlMs)],
  lockTtlMax: ["LOCK_TTL_MAX", duration, durationText(DEFAULT_LIMITS.maxLockTtlMs)],
  maxJsonBytes: ["MAX_JSON_BYTES", positiveInt, String(DEFAULT_LIMITS.maxJsonBytes)],
  tlsCert: ["TLS_CERT", text, undefined],
  tlsKey: ["TLS_KEY", text, undefined],
  tlsCa: ["TLS_CA", text, undefined],
  auth: ["AUTH", authMode, undefined],
  authTokensFile: ["AUTH_TOKENS_FILE", text, undefined],
  watchMaxPerToken: ["WATCH_MAX_PER_TOKEN", positiveInt, "100"],
  watchMaxPerConnection: ["WATCH_MAX_PER_CONNECTION", positiveInt, "1000"],
  maxRequestBytes: ["MAX_REQUEST_BYTES", positiveInt, String(4 * 1024 * 1024)],
  console: ["CONSOLE", onOff, "on"],
  mcp: ["MCP", onOff, "on"],
  metricsPath: ["METRICS_PATH", metricsPath, "/metrics"],
  metricsPort: ["METRICS_PORT", port, undefined],
  metricsNamespaceLabels: ["METRICS_NAMESPACE_LABELS", int, "100"],
  logLevel: ["LOG_LEVEL", oneOf("trace", "debug", "info", "warn", "error", "fatal", "silent"), "info"],
  logFormat: ["LOG_FORMAT", oneOf("json", "pretty", "auto"), "auto"],
  rateLimitAdmin: ["RATE_LIMIT_ADMIN", rate, "1000/s:2000"],
  rateLimitClient: ["RATE_LIMIT_CLIENT", rate, "500/s:1000"],
  rateLimitWorker: ["RATE_LIMIT_WORKER", rate, "500/s:1000"],
  rateLimitReader: ["RATE_LIMIT_READER", rate, "200/s:400"],
} as const satisfies Record<string, readonly [string, Parser, string | undefined]>;

export type SettingName = keyof typeof SETTINGS;

export class ConfigError extends Error {
  constructor(setting: string, raw: string, expected: string, message?: string) {
    super(message ?? `invalid setting ${setting}=${JSON.stringify(raw)}: expected ${expected}`);
  }
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (isIP(h) === 6) return h === "::1" || /^::ffff:127\./.test(h) || /^(0{1,4}:){7}0{0,3}1$/.test(h);
  return false;
}

export const flagName = (name: string) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** Flags win over environment variables, which win over defaults. */
export function loadConfig(flags: Partial<Record<SettingName, string>>, env: NodeJS.ProcessEnv): Config {
  const v: Record<string, unknown> = {};
  for (const [name, [envName, parse, def]] of Object.entries(SETTINGS)) {
    const fromFlag = flags[name as SettingName];
    const raw = fromFlag ?? env[envName] ?? def;
    v[name] = raw === undefined || raw === "" ? undefined : parse(raw, fromFlag !== undefined ? flagName(name) : envName);
  }
  if (!!v.tlsCert !== !!v.tlsKey) throw new ConfigError("TLS_CERT/TLS_KEY", String(v.tlsCert ?? v.tlsKey), "both a certificate and a key");
  if ((v.lockTtlDefault as number) > (v.lockTtlMax as number)) {
    throw new ConfigError("LOCK_TTL_DEFAULT", String(v.lockTtlDefault), "at most LOCK_TTL_MAX");
  }
  if ((v.maxRequestBytes as number) < (v.maxJsonBytes as number)) {
    throw new ConfigError("MAX_REQUEST_BYTES", String(v.maxRequestBytes), "at least MAX_JSON_BYTES (a request must be able to carry the largest kwargs)");
  }
  if ((v.redisWaitReplicas as number) > 0 && !v.redisUrl) {
    throw new ConfigError("REDIS_WAIT_REPLICAS", String(v.redisWaitReplicas), "0 without REDIS_URL (the embedded store has no replicas)");
  }
  if ((v.workers as number) > 1 && !v.redisUrl) {
    throw new ConfigError("WORKERS", String(v.workers), "1 without REDIS_URL (the embedded store is one process's memory: several workers need the Redis store)");
  }
  return {
    host: v.host as string,
    port: v.port as number,
    httpPort: v.httpPort as number,
    redisUrl: v.redisUrl as string | undefined,
    redisPrefix: v.redisPrefix as string,
    workers: v.workers as number,
    redisWait: (v.redisWaitReplicas as number) > 0 ? { count: v.redisWaitReplicas as number, timeoutMs: v.redisWaitTimeout as number } : undefined,
    activeTtlMs: v.activeTtl as number,
    doneTtlMs: v.doneTtl as number,
    historyMax: v.historyMax as number,
    historyMaxBytes: v.historyMaxBytes as number,
    quotaSignatures: v.quotaSignatures as number,
    quotaBytes: v.quotaBytes as number,
    requestIdTtlMs: v.requestIdTtl as number,
    watchBuffer: v.watchBuffer as number,
    watchMemoryBudget: v.watchMemoryBudget as number,
    watchStreamBufferBytes: v.watchStreamBufferBytes as number,
    dispatchWaitMs: v.dispatchWait as number,
    dispatchClaimIdleMs: v.dispatchClaimIdle as number,
    reconcile: {
      intervalMs: v.reconcileInterval as number,
      maxIntervalMs: Math.max(v.reconcileInterval as number, v.reconcileMaxInterval as number),
      notFoundAfterMs: v.reconcileNotFoundAfter as number,
      scanIntervalMs: v.reconcileScanInterval as number,
    },
    tlsCert: v.tlsCert as string | undefined,
    tlsKey: v.tlsKey as string | undefined,
    tlsCa: v.tlsCa as string | undefined,
    auth: authConfig(v.auth as "tokens" | "none" | undefined, v.authTokensFile as string | undefined, v.host as string),
    watchMaxPerToken: v.watchMaxPerToken as number,
    watchMaxPerConnection: v.watchMaxPerConnection as number,
    maxRequestBytes: v.maxRequestBytes as number,
    console: v.console as boolean,
    mcp: v.mcp as boolean,
    metrics: { path: v.metricsPath as string | undefined, port: v.metricsPort as number | undefined, namespaceLabels: v.metricsNamespaceLabels as number },
    log: { level: v.logLevel as string, format: v.logFormat as "json" | "pretty" | "auto" },
    rateLimits: {
      admin: v.rateLimitAdmin as Rate | undefined,
      client: v.rateLimitClient as Rate | undefined,
      worker: v.rateLimitWorker as Rate | undefined,
      reader: v.rateLimitReader as Rate | undefined,
    },
    limits: {
      ...DEFAULT_LIMITS,
      defaultLockTtlMs: v.lockTtlDefault as number,
      maxLockTtlMs: v.lockTtlMax as number,
      maxJsonBytes: v.maxJsonBytes as number,
    },
  };
}

/**
 * AUTH and AUTH_TOKENS_FILE: tokens when a file is given; open mode only when asked for
 * (AUTH=none) or, with neither setting, on a loopback host. Anything else refuses to start.
 */
function authConfig(mode: "tokens" | "none" | undefined, tokensFile: string | undefined, host: string): AuthConfig {
  if (mode === "none") {
    if (tokensFile) throw new ConfigError("AUTH", "none", "", "conflicting settings: AUTH=none turns authentication off, but AUTH_TOKENS_FILE is set; drop one of them");
    return { mode: "none", explicit: true };
  }
  if (tokensFile) {
    try {
      return { mode: "tokens", tokensFile, tokens: readTokensFile(tokensFile) };
    } catch (e) {
      if (e instanceof TokensFileError) throw new ConfigError("AUTH_TOKENS_FILE", tokensFile, "", `invalid setting AUTH_TOKENS_FILE: ${e.message}`);
      throw e;
    }
  }
  if (mode === "tokens") throw new ConfigError("AUTH", "tokens", "", "AUTH=tokens needs AUTH_TOKENS_FILE (--auth-tokens-file): the JSON tokens file (see `mageflow token create`)");
  if (!isLoopbackHost(host)) {
    throw new ConfigError(
      "HOST",
      host,
      "",
      `refusing to serve on ${host} without authentication: set AUTH_TOKENS_FILE (--auth-tokens-file) to a tokens file ` +
        "(see `mageflow token create`), or AUTH=none (--auth none) to serve without authentication on purpose, or bind a loopback HOST such as 127.0.0.1",
    );
  }
  return { mode: "none", explicit: false };
}
