import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";

/** What a token may call; docs/security.md has the table. */
export const ROLES = ["admin", "client", "worker", "reader"] as const;
export type Role = (typeof ROLES)[number];

/** Namespace names: lowercase letters, digits and dashes, 1 to 63 characters, not starting with a dash. */
export const NAMESPACE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The namespace of open mode, and the one whose Redis keys use `REDIS_PREFIX` unchanged. */
export const DEFAULT_NAMESPACE = "default";

/** One line of the tokens file: the token itself is never stored, only its SHA-256. */
export interface TokenEntry {
  name: string;
  /** Lowercase hex SHA-256 of the token's UTF-8 bytes. */
  sha256: string;
  namespace: string;
  role: Role;
}

/** Who is calling: the entry a presented token matched (or the open-mode identity). */
export interface Identity {
  name: string;
  namespace: string;
  role: Role;
  /** True in open mode: no token was checked. */
  anonymous: boolean;
}

export class TokensFileError extends Error {}

/** Reads and checks a tokens file: a JSON array of `{name, sha256, namespace, role}`. */
export function readTokensFile(path: string): TokenEntry[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new TokensFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new TokensFileError(`${path} is not JSON: ${(e as Error).message}`);
  }
  return parseTokenEntries(data, path);
}

export function parseTokenEntries(data: unknown, source = "tokens file"): TokenEntry[] {
  if (!Array.isArray(data)) throw new TokensFileError(`${source}: expected a JSON array of {"name", "sha256", "namespace", "role"}`);
  const names = new Set<string>();
  const hashes = new Set<string>();
  return data.map((raw, i) => {
    const at = `${source}[${i}]`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new TokensFileError(`${at}: expected an object`);
    const e = raw as Record<string, unknown>;
    const extra = Object.keys(e).filter((k) => !["name", "sha256", "namespace", "role"].includes(k));
    if (extra.length > 0) throw new TokensFileError(`${at}: unknown field ${extra[0]} (a token's secret never goes in this file, only its sha256)`);
    if (typeof e.name !== "string" || !e.name || e.name.length > 128 || /[\u0000-\u001f\u007f]/.test(e.name)) {
      throw new TokensFileError(`${at}.name: expected a non-empty string of at most 128 characters`);
    }
    if (typeof e.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(e.sha256)) {
      throw new TokensFileError(`${at}.sha256: expected 64 lowercase hex digits (the SHA-256 of the token; see \`mageflow token create\`)`);
    }
    if (typeof e.namespace !== "string" || !NAMESPACE_PATTERN.test(e.namespace)) {
      throw new TokensFileError(`${at}.namespace: expected a namespace name matching ${NAMESPACE_PATTERN.source}`);
    }
    if (typeof e.role !== "string" || !(ROLES as readonly string[]).includes(e.role)) {
      throw new TokensFileError(`${at}.role: expected one of ${ROLES.join(", ")}`);
    }
    if (names.has(e.name)) throw new TokensFileError(`${at}.name: ${e.name} appears twice`);
    if (hashes.has(e.sha256)) throw new TokensFileError(`${at}.sha256: the same token appears twice`);
    names.add(e.name);
    hashes.add(e.sha256);
    return { name: e.name, sha256: e.sha256, namespace: e.namespace, role: e.role as Role };
  });
}

export const sha256Hex = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

/** A new random token (256 bits), prefixed so secret scanners can spot it. */
export const newToken = () => `mft_${randomBytes(32).toString("base64url")}`;

/**
 * Looks tokens up by their hash. Every entry is compared, each in constant time, so the
 * time taken does not depend on which entry (if any) matched.
 */
export class TokenTable {
  private readonly entries: { entry: TokenEntry; hash: Buffer }[];

  constructor(entries: TokenEntry[]) {
    this.entries = entries.map((entry) => ({ entry, hash: Buffer.from(entry.sha256, "hex") }));
  }

  get size() {
    return this.entries.length;
  }

  namespaces(): string[] {
    return [...new Set(this.entries.map((e) => e.entry.namespace))].sort();
  }

  lookup(token: string): Identity | undefined {
    const presented = createHash("sha256").update(token, "utf8").digest();
    let found: TokenEntry | undefined;
    for (const { entry, hash } of this.entries) {
      if (timingSafeEqual(hash, presented) && !found) found = entry;
    }
    return found && { name: found.name, namespace: found.namespace, role: found.role, anonymous: false };
  }
}
