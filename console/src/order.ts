import type { Signature } from "../../gen/ts/mageflow/v1/signature_pb";

/** Where a signature sorts in the table: newest first, then by key (a total order). */
export interface Position {
  ms: number;
  key: string;
}

export const positionOf = (s: Signature): Position => ({
  ms: s.creationTime ? Number(s.creationTime.seconds) * 1000 + Math.floor(s.creationTime.nanos / 1e6) : 0,
  key: s.key,
});

/** Negative when `a` comes before `b` in the table. */
export function compare(a: Position, b: Position): number {
  if (a.ms !== b.ms) return b.ms - a.ms;
  return a.key < b.key ? 1 : a.key > b.key ? -1 : 0;
}

/**
 * Keyset pagination over a list that changes under the reader: a page starts at a position
 * (not an offset), so rows arriving above it or leaving it never shift what the page shows;
 * without an anchor the page follows the newest rows.
 */
export function pageOf<T extends Signature>(sorted: T[], anchor: Position | undefined, size: number) {
  let start = 0;
  if (anchor) {
    // first row at or after the anchor
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(positionOf(sorted[mid]), anchor) < 0) lo = mid + 1;
      else hi = mid;
    }
    start = lo;
  }
  const rows = sorted.slice(start, start + size);
  const next = start + size < sorted.length ? positionOf(sorted[start + size]) : undefined;
  const prevStart = start - size;
  const prev = start === 0 ? undefined : prevStart <= 0 ? null : positionOf(sorted[prevStart]);
  return { rows, start, next, prev, total: sorted.length };
}
