import type { MageflowClient, Signature } from "../../clients/typescript/src/index.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { signatureJson } from "./signature-json.js";

/**
 * The service lists signatures by status, task and time, not by container: a container's
 * children are found by reading the list and keeping those whose container_key matches.
 * Every tool call reads at most this many signatures.
 */
export const SCAN_MAX = 20_000;
const SCAN_PAGE = 1000;

const STATUS_KEYS = Object.entries(Status)
  .filter(([name, v]) => typeof v === "number" && v !== Status.UNSPECIFIED && name !== "UNSPECIFIED")
  .map(([name, v]) => [name.toLowerCase(), v as Status] as const);

export async function containerSummary(client: MageflowClient, containerKey: string) {
  const counts: Record<string, number> = Object.fromEntries(STATUS_KEYS.map(([n]) => [n, 0]));
  let total = 0;
  let scanned = 0;
  let pageToken: string | undefined;
  do {
    const page = await client.list({ pageSize: SCAN_PAGE, pageToken });
    for (const s of page.signatures) {
      if (s.containerKey !== containerKey) continue;
      total++;
      const name = STATUS_KEYS.find(([, v]) => v === s.taskStatus?.status)?.[0];
      if (name) counts[name]++;
    }
    scanned += page.signatures.length;
    pageToken = page.nextPageToken || undefined;
  } while (pageToken && scanned < SCAN_MAX);
  return { container_key: containerKey, total, counts, scanned, complete: !pageToken };
}

interface Cursor {
  /** ListSignatures page token of the page being read ("" for the first). */
  t: string;
  /** Children of that page already returned. */
  s: number;
}

const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
function decode(token: string | undefined): Cursor {
  if (!token) return { t: "", s: 0 };
  try {
    const c = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Cursor;
    if (typeof c.t === "string" && Number.isInteger(c.s) && c.s >= 0) return c;
  } catch {
    // fall through
  }
  throw new RangeError("page_token: not a token this tool gave");
}

/** One page of a container's children (newest first) and the token of the next, if any. */
export async function containerPage(client: MageflowClient, containerKey: string, statuses: Status[], pageSize: number, token: string | undefined) {
  let cursor = decode(token);
  const out: Signature[] = [];
  let scanned = 0;
  for (;;) {
    const page = await client.list({ pageSize: SCAN_PAGE, pageToken: cursor.t || undefined, statuses });
    const children = page.signatures.filter((s) => s.containerKey === containerKey);
    scanned += page.signatures.length;
    const take = children.slice(cursor.s, cursor.s + (pageSize - out.length));
    out.push(...take);
    if (cursor.s + take.length < children.length) {
      cursor = { t: cursor.t, s: cursor.s + take.length };
      break;
    }
    if (!page.nextPageToken) return { children: out.map(signatureJson), next_page_token: "" };
    cursor = { t: page.nextPageToken, s: 0 };
    if (out.length >= pageSize || scanned >= SCAN_MAX) break;
  }
  return { children: out.map(signatureJson), next_page_token: encode(cursor) };
}
