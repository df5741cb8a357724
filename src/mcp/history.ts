import { Code, ConnectError } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb.js";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { MageflowError, type MageflowClient } from "../../clients/typescript/src/index.js";

/** Most events one history read returns. */
export const HISTORY_MAX = 1000;

/**
 * A signature's events from the retained watch history: a watch on its key from the oldest
 * retained revision, read until the first bookmark (the replay has caught up with now).
 * Only the newest `limit` events are kept while reading.
 */
export async function signatureHistory(client: MageflowClient, key: string, limit: number): Promise<{ events: SignatureEvent[]; oldestRevision: bigint; truncated: boolean }> {
  await client.loadSignature(key); // NOT_FOUND for an unknown key rather than an empty history
  let start = 1n;
  for (let attempt = 0; attempt < 3; attempt++) {
    const abort = new AbortController();
    const events: SignatureEvent[] = [];
    let truncated = false;
    try {
      const stream = client.signatures.watchSignatures(
        { filter: { keys: [key] }, startRevision: start, progressInterval: durationFromMs(100) },
        { signal: abort.signal, timeoutMs: 30_000 },
      );
      for await (const res of stream) {
        if (res.bookmark) break;
        for (const e of res.events) {
          events.push(e);
          if (events.length > limit) {
            events.shift();
            truncated = true;
          }
        }
      }
      return { events, oldestRevision: start, truncated };
    } catch (e) {
      const ce = ConnectError.from(e);
      const oldest = ce.findDetails(ErrorInfoSchema).find((i) => i.reason === "REVISION_COMPACTED")?.metadata.oldest_revision;
      if (ce.code === Code.FailedPrecondition && oldest) {
        start = BigInt(oldest);
        continue;
      }
      throw MageflowError.from(e);
    } finally {
      abort.abort();
    }
  }
  throw new MageflowError("the event history moved on while it was read; try again", Code.Unavailable, "HISTORY_MOVED");
}
