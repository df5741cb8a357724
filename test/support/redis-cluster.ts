import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { startRedisServer, type RedisServer } from "./redis-server.js";

const run = promisify(execFile);

/** A private Redis Cluster on 127.0.0.1: three primaries, each with one replica. */
export interface RedisCluster {
  /** `redis-cluster://` URL naming every node. */
  url: string;
  nodes: RedisServer[];
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      nodes.push(await startRedisServer({ extraArgs: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"] }));
    }
    const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run("redis-cli", ["--cluster", "create", ...addrs, "--cluster-replicas", "1", "--cluster-yes"], { timeout: 60_000 });
    await waitClusterOk(nodes);
    return { url: `redis-cluster://${addrs.join(",")}`, nodes, stop: () => stopAll(nodes) };
  } catch (e) {
    await stopAll(nodes);
    throw e;
  }
}

async function stopAll(nodes: RedisServer[]) {
  await Promise.all(nodes.map((n) => n.stop()));
}

/** Every node agrees the cluster is up (slots assigned) and each primary's replica has synced. */
async function waitClusterOk(nodes: RedisServer[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const infos = await Promise.all(nodes.map((n) => run("redis-cli", ["-p", String(n.port), "cluster", "info"]).then((r) => r.stdout)));
    const replication = await Promise.all(nodes.map((n) => run("redis-cli", ["-p", String(n.port), "info", "replication"]).then((r) => r.stdout)));
    const onlineReplicas = replication.join("\n").match(/slave\d+:.*state=online/g)?.length ?? 0;
    if (infos.every((i) => /cluster_state:ok/.test(i)) && onlineReplicas === 3) return;
    if (Date.now() > deadline) throw new Error(`Redis Cluster not ready: ${infos.join(" | ")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
