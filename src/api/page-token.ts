import { createHash } from "node:crypto";
import { invalidArgument } from "../core/service-error.js";

/** Page tokens bind the store's cursor to the filter it was made for (AIP-158). */
export function encodePageToken(cursor: string, filter: unknown): string {
  return Buffer.from(JSON.stringify({ c: cursor, f: fingerprint(filter) })).toString("base64url");
}

export function decodePageToken(token: string, filter: unknown): string | undefined {
  if (!token) return undefined;
  try {
    const { c, f } = JSON.parse(Buffer.from(token, "base64url").toString()) as { c: string; f: string };
    if (typeof c === "string" && f === fingerprint(filter) && isCursor(c)) return c;
  } catch {
    // fall through
  }
  throw invalidArgument([{ field: "page_token", description: "not a token of this query (the filters must not change between pages)" }]);
}

const fingerprint = (filter: unknown) => createHash("sha256").update(JSON.stringify(filter)).digest("base64url").slice(0, 16);

/**
 * The stores' cursors are JSON `[creation time ms, key]`. Tokens are not signed (the fingerprint
 * only binds the filter), so a caller can forge one: its cursor must have that shape.
 */
function isCursor(c: string): boolean {
  try {
    const v = JSON.parse(c) as unknown;
    return Array.isArray(v) && v.length === 2 && Number.isFinite(v[0]) && typeof v[1] === "string" && v[1].length <= 256;
  } catch {
    return false;
  }
}
