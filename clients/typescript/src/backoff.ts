/** Jittered exponential backoff: the n-th delay (n from 1) is drawn from [d/2, d], d = min(maxMs, initialMs * 2^(n-1)). */
export function backoffMs(n: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const d = Math.min(maxMs, initialMs * 2 ** (n - 1));
  return Math.round(d / 2 + (random() * d) / 2);
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
