import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { UsageError } from "./exit-codes.js";

export function jsonValue(text: string, flag: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new UsageError(`${flag}: not valid JSON (${(e as Error).message})`);
  }
}

export function jsonObject(text: string, flag: string): JsonObject {
  const v = jsonValue(text, flag);
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new UsageError(`${flag}: must be a JSON object, e.g. '{"to": "a@example.com"}'`);
  return v;
}

/** `k=v` pairs into a map. */
export function keyValues(pairs: string[] = [], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new UsageError(`${flag}: expected KEY=VALUE, got ${JSON.stringify(p)}`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

/** `500ms`, `30s`, `5m`, `1h`, or plain seconds. */
export function durationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag}: expected a duration such as 30s, 5m or 500ms, got ${JSON.stringify(text)}`);
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "s"]);
}

export function positiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  return n;
}

/** For repeatable options: `--on-success A --on-success B`. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];
