import type { NamespaceRegistry } from "./namespaces.js";

const FIRST_DELAY_MS = 250;

/** The store refused the server's settings (a wrong password, an untrusted certificate): retrying cannot help. */
export class StoreSettingError extends Error {}

const SETTING_ERROR = /WRONGPASS|NOAUTH|invalid password|invalid username-password|CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS|Hostname\/IP does not match/i;

function settingError(e: unknown): StoreSettingError | undefined {
  const text = `${(e as NodeJS.ErrnoException)?.code ?? ""} ${e instanceof Error ? e.message : String(e)}`;
  if (!SETTING_ERROR.test(text)) return undefined;
  return new StoreSettingError(`the store refused the connection settings (check REDIS_URL and NODE_EXTRA_CA_CERTS): ${describe(e)}`);
}
const MAX_DELAY_MS = 10_000;

/**
 * Opens `names` (their stores, watch hubs and dispatch loops), retrying with exponential backoff
 * while the store is unreachable (Redis down at start), until all are open or `stop()` is called.
 * `firstAttempt` settles after the first try, with whether everything opened; it rejects with a
 * StoreSettingError when the store refused the settings themselves (then nothing is retried).
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
      const bad = settingError(e);
      if (bad) {
        stopped = true;
        throw bad;
      }
      if (!stopped) log(`the store is unreachable (${describe(e)}): serving NOT_SERVING and retrying`);
      return false;
    },
  );
  const done = firstAttempt.catch(() => true).then(async (ok) => {
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
