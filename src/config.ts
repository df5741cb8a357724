import { DEFAULT_LIMITS, type Limits } from "./core/limits.js";

/** Every server setting; docs/configuration.md is the reference for each. */
export interface Config {
  host: string;
  port: number;
  httpPort: number;
  redisUrl?: string;
  redisPrefix: string;
  activeTtlMs: number;
  doneTtlMs: number;
  historyMax: number;
  requestIdTtlMs: number;
  watchBuffer: number;
  dispatchWaitMs: number;
  dispatchClaimIdleMs: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  limits: Limits;
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
const text: Parser = (raw) => raw;
const redisUrl: Parser = (raw, name) => {
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError(name, raw, "a redis:// or rediss:// URL");
  return raw;
};

/** Setting name (flag `--kebab-case`, env `UPPER_SNAKE`), parser, default. */
export const SETTINGS = {
  host: ["HOST", text, "127.0.0.1"],
  port: ["PORT", port, "50051"],
  httpPort: ["HTTP_PORT", port, "8080"],
  redisUrl: ["REDIS_URL", redisUrl, undefined],
  redisPrefix: ["REDIS_PREFIX", text, "mageflow"],
  activeTtl: ["ACTIVE_TTL", duration, "24h"],
  doneTtl: ["DONE_TTL", duration, "3h"],
  historyMax: ["HISTORY_MAX", positiveInt, "100000"],
  requestIdTtl: ["REQUEST_ID_TTL", duration, "24h"],
  watchBuffer: ["WATCH_BUFFER", positiveInt, "10000"],
  dispatchWait: ["DISPATCH_WAIT", duration, "2s"],
  dispatchClaimIdle: ["DISPATCH_CLAIM_IDLE", duration, "15s"],
  lockTtlDefault: ["LOCK_TTL_DEFAULT", duration, "30s"],
  lockTtlMax: ["LOCK_TTL_MAX", duration, "10m"],
  maxJsonBytes: ["MAX_JSON_BYTES", positiveInt, String(DEFAULT_LIMITS.maxJsonBytes)],
  tlsCert: ["TLS_CERT", text, undefined],
  tlsKey: ["TLS_KEY", text, undefined],
  tlsCa: ["TLS_CA", text, undefined],
} as const satisfies Record<string, readonly [string, Parser, string | undefined]>;

export type SettingName = keyof typeof SETTINGS;

export class ConfigError extends Error {
  constructor(setting: string, raw: string, expected: string) {
    super(`invalid setting ${setting}=${JSON.stringify(raw)}: expected ${expected}`);
  }
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
  return {
    host: v.host as string,
    port: v.port as number,
    httpPort: v.httpPort as number,
    redisUrl: v.redisUrl as string | undefined,
    redisPrefix: v.redisPrefix as string,
    activeTtlMs: v.activeTtl as number,
    doneTtlMs: v.doneTtl as number,
    historyMax: v.historyMax as number,
    requestIdTtlMs: v.requestIdTtl as number,
    watchBuffer: v.watchBuffer as number,
    dispatchWaitMs: v.dispatchWait as number,
    dispatchClaimIdleMs: v.dispatchClaimIdle as number,
    tlsCert: v.tlsCert as string | undefined,
    tlsKey: v.tlsKey as string | undefined,
    tlsCa: v.tlsCa as string | undefined,
    limits: {
      ...DEFAULT_LIMITS,
      defaultLockTtlMs: v.lockTtlDefault as number,
      maxLockTtlMs: v.lockTtlMax as number,
      maxJsonBytes: v.maxJsonBytes as number,
    },
  };
}
