import type { NamespaceRegistry } from "./namespaces.js";

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;

/**
 * Opens `names` (their stores, watch hubs and dispatch loops), retrying with exponential backoff
 * while the store is unreachable (Redis down at start), until all are open or `stop()` is called.
 * `firstAttempt` settles after the first try, with whether everything opened.
 */
export function openNamespaces(registry: NamespaceRegistry, names: string[], log: (m: string) => void) {
  let stopped = false;
  let wake: (() => void) | undefined;
  const tryAll = async () => {
    for (const name of names) await registry.get(name);
  };
  const firstAttempt = tryAll().then(
    () => true,
    (e: unknown) => {
      if (!stopped) log(`the store is unreachable (${describe(e)}): serving NOT_SERVING and retrying`);
      return false;
    },
  );
  const done = firstAttempt.then(async (ok) => {
    for (let delay = FIRST_DELAY_MS; !ok && !stopped; delay = Math.min(2 * delay, MAX_DELAY_MS)) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      if (stopped) return;
      ok = await tryAll().then(
        () => true,
        (e: unknown) => {
          if (!stopped) log(`the store is still unreachable (${describe(e)}); next try in ${Math.min(2 * delay, MAX_DELAY_MS)} ms`);
          return false;
        },
      );
      if (ok) log("the store is reachable: serving");
    }
  });
  return {
    firstAttempt,
    done,
    stop() {
      stopped = true;
      wake?.();
    },
  };
}

const describe = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 200);
