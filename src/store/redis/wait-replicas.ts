import type { ChainableCommander } from "ioredis";
import type { StoreOptions } from "../store.js";

export type WaitReplicas = NonNullable<StoreOptions["waitReplicas"]>;

export interface Waited {
  /** The replies of the pipeline's own commands, in order. */
  replies: [Error | null, unknown][];
  /** Whether `count` replicas acknowledged everything the connection wrote, within the timeout. */
  replicated: boolean;
  /** Redis refused the WAIT itself. */
  waitError: Error | null;
  acked: number;
}

/**
 * Runs `pipeline`, then `WAIT count timeout` on the same connection (so on the same shard in a Cluster).
 * WAIT covers only what that connection wrote, and the replication stream is ordered: once the replicas
 * have the connection's last write, they have everything the primary held before it.
 */
export async function execThenWait(pipeline: ChainableCommander, w: WaitReplicas): Promise<Waited> {
  const res = ((await pipeline.wait(w.count, w.timeoutMs).exec()) ?? []) as [Error | null, unknown][];
  const [waitError, acked] = res.pop() ?? [new Error("no reply to WAIT"), 0];
  return { replies: res, waitError, acked: Number(acked), replicated: !waitError && Number(acked) >= w.count };
}
