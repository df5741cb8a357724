/**
 * The forms REDIS_URL takes (docs/configuration.md, docs/scaling.md):
 * - `redis://[user:pass@]host:port[/db]`, `rediss://…` (TLS): one Redis server;
 * - `redis-cluster://[user:pass@]host:port[,host:port…]`, `rediss-cluster://…`: a Redis Cluster, any of its nodes as seeds;
 * - `redis-sentinel://[user:pass@]host:port[,host:port…]/<primary-name>[/db]`, `rediss-sentinel://…`: the primary
 *   the Sentinels name; the credentials and TLS are the data nodes' (Sentinels without authentication).
 */
export type RedisTarget =
  | { kind: "single"; url: string }
  | { kind: "cluster"; nodes: HostPort[]; tls: boolean; username?: string; password?: string }
  | { kind: "sentinel"; sentinels: HostPort[]; name: string; db: number; tls: boolean; username?: string; password?: string };

export interface HostPort {
  host: string;
  port: number;
}

export class RedisTargetError extends Error {}

const FORM = /^(rediss?)(-cluster|-sentinel)?:\/\/(?:([^@/]*)@)?([^/?#]+)(\/[^?#]*)?$/;

/** Reads a REDIS_URL; throws RedisTargetError saying what is wrong. */
export function parseRedisTarget(raw: string): RedisTarget {
  const m = FORM.exec(raw.trim());
  if (!m) throw new RedisTargetError("a redis://, rediss://, redis-cluster:// or redis-sentinel:// URL");
  const [, scheme, variant, auth, hosts, path = ""] = m;
  if (!variant) return { kind: "single", url: raw };
  const tls = scheme === "rediss";
  const nodes = hosts.split(",").map(hostPort);
  const [username, password] = credentials(auth);
  const creds = { ...(username && { username }), ...(password !== undefined && { password }) };
  if (variant === "-cluster") {
    if (path !== "" && path !== "/") throw new RedisTargetError("no path after the cluster nodes (a Redis Cluster has database 0 only)");
    return { kind: "cluster", nodes, tls, ...creds };
  }
  const [, name, db = "0", ...rest] = path.split("/");
  if (!name || rest.length > 0 || !/^\d+$/.test(db)) throw new RedisTargetError("the primary's name after the sentinels: redis-sentinel://host:port,host:port/<name>[/db]");
  return { kind: "sentinel", sentinels: nodes, name: decodeURIComponent(name), db: Number(db), tls, ...creds };
}

function hostPort(text: string): HostPort {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const port = Number(m?.[2] ?? 6379);
  if (!m || port < 1 || port > 65535) throw new RedisTargetError(`host:port pairs separated by commas (not ${JSON.stringify(text)})`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

function credentials(auth: string | undefined): [string | undefined, string | undefined] {
  if (auth === undefined) return [undefined, undefined];
  const colon = auth.indexOf(":");
  if (colon < 0) return [decodeURIComponent(auth) || undefined, undefined];
  return [decodeURIComponent(auth.slice(0, colon)) || undefined, decodeURIComponent(auth.slice(colon + 1))];
}

/** The target with its password hidden, for logs. */
export function describeRedisTarget(t: RedisTarget): string {
  const list = (xs: HostPort[]) => xs.map((x) => `${x.host}:${x.port}`).join(",");
  if (t.kind === "single") return t.url.replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@");
  if (t.kind === "cluster") return `Redis Cluster ${list(t.nodes)}`;
  return `Sentinel ${list(t.sentinels)} primary ${t.name}`;
}
