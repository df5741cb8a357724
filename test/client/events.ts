import type { SignatureEvent } from "../../clients/typescript/src/index.js";

/** Pulls events from a watch iterator into `seen` until `done(seen)` holds; fails after `timeoutMs`. */
export async function readUntil(
  it: AsyncIterator<SignatureEvent>,
  seen: SignatureEvent[],
  done: (seen: SignatureEvent[]) => boolean,
  timeoutMs = 10_000,
): Promise<SignatureEvent[]> {
  const deadline = Date.now() + timeoutMs;
  while (!done(seen)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out; saw ${seen.map((e) => `${e.revision}:${e.type}:${e.taskName}`).join(", ")}`);
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([it.next(), new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), left)))]);
    clearTimeout(timer);
    if (next === "timeout") continue;
    if (next.done) throw new Error("the watch ended");
    seen.push(next.value);
  }
  return seen;
}
