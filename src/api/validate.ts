import type { DescMessage } from "@bufbuild/protobuf";
import { invalidArgument, type FieldViolation } from "../core/service-error.js";
import type { JsonObject, JsonValue } from "../core/json.js";
import { schemaProblem } from "../core/input-schema.js";
import { isSignatureKey } from "../core/keys.js";
import type { Limits } from "../core/limits.js";

/** At most this many violations are reported: the answer to a hostile request stays small. */
const MAX_VIOLATIONS = 100;

/** Collects field violations of one request; `check()` throws them as one INVALID_ARGUMENT. */
export class Violations {
  readonly list: FieldViolation[] = [];

  constructor(private readonly limits: Limits) {}

  add(field: string, description: string) {
    if (this.list.length < MAX_VIOLATIONS) this.list.push({ field, description });
  }

  /**
   * Whether a repeated field has at most `max` items (else a violation). Checked before any
   * per-item work, so that the cost of validating stays proportional to the limits, not to the input.
   */
  count(field: string, n: number, max: number, what = "items"): boolean {
    if (n <= max) return true;
    this.add(field, `at most ${max} ${what}; got ${n}`);
    return false;
  }

  key(field: string, key: string) {
    if (!key) this.add(field, "required");
    else if (!isSignatureKey(key)) this.add(field, "must look like TaskSignature:<uuid4>");
  }

  keys(field: string, keys: string[], max: number) {
    if (this.count(field, keys.length, max, "keys")) keys.forEach((k, i) => this.key(`${field}[${i}]`, k));
  }

  /** A repeated enum field: at most `max` items, each one of `allowed`. */
  enumValues<E extends number>(field: string, values: E[], max: number, allowed: readonly E[], names: Record<number, string>) {
    if (this.count(field, values.length, max)) values.forEach((s, i) => this.enumValue(`${field}[${i}]`, s, allowed, names));
  }

  name(field: string, value: string, required = true) {
    if (!value) {
      if (required) this.add(field, "required");
    } else if (value.length > 256) this.add(field, "at most 256 characters");
    else if (/[\u0000-\u001f\u007f]/.test(value)) this.add(field, "must not contain control characters");
  }

  json(field: string, value: JsonValue | undefined) {
    if (value === undefined) return;
    const depth = jsonDepth(value);
    if (depth > this.limits.maxJsonDepth) return this.add(field, `nested deeper than ${this.limits.maxJsonDepth} levels`);
    const nonFinite = nonFinitePath(value);
    if (nonFinite !== undefined) this.add(`${field}${nonFinite}`, "must be a finite number (NaN and ±Infinity have no JSON form)");
    else if (Buffer.byteLength(JSON.stringify(value)) > this.limits.maxJsonBytes) {
      this.add(field, `larger than ${this.limits.maxJsonBytes} bytes as JSON`);
    }
  }

  metadata(field: string, m: Record<string, string>) {
    const entries = Object.entries(m);
    if (!this.count(field, entries.length, this.limits.maxMetadataEntries, "entries")) return;
    for (const [k, v] of entries) {
      if (k === "task_id") this.add(`${field}.task_id`, "reserved: the service sets task_id to the signature key");
      else if (k === "mageflow_namespace") this.add(`${field}.mageflow_namespace`, "reserved: the service sets it to the caller's namespace");
      else if (!k || k.length > 256) this.add(field, "keys must have 1 to 256 characters");
      else if (v.length > 4096) this.add(`${field}.${k}`, "at most 4096 characters");
    }
  }

  enumValue<E extends number>(field: string, value: E, allowed: readonly E[], names: Record<number, string>) {
    if (!allowed.includes(value)) {
      this.add(field, `must be one of ${allowed.map((a) => names[a]).join(", ")}; got ${names[value] ?? value}`);
    }
  }

  nonNegative(field: string, value: bigint | number) {
    if (value < 0) this.add(field, "must not be negative");
  }

  schema(field: string, schema: JsonObject | undefined) {
    if (schema === undefined) return;
    const before = this.list.length;
    this.json(field, schema);
    if (this.list.length > before) return;
    const problem = schemaProblem(schema);
    if (problem) this.add(field, problem);
  }

  check() {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }
}

/** The path (`.a[2].b`) of the first NaN or ±Infinity in a JSON value (of bounded depth), or undefined. */
function nonFinitePath(v: JsonValue, path = ""): string | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? undefined : path;
  if (typeof v !== "object" || v === null) return undefined;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = nonFinitePath(v[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [k, c] of Object.entries(v)) {
    const found = nonFinitePath(c, `${path}.${k}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

function jsonDepth(v: JsonValue, depth = 1): number {
  if (typeof v !== "object" || v === null) return depth;
  let max = depth;
  for (const c of Object.values(v)) {
    max = Math.max(max, jsonDepth(c, depth + 1));
    if (max > 64) return max;
  }
  return max;
}

// The ranges protobuf's JSON mapping allows (0001-01-01 to 9999-12-31; ±10000 years). Binary
// protobuf carries any int64, and a stored value out of range could no longer be sent as JSON.
const TIMESTAMP_SECONDS = [-62_135_596_800n, 253_402_300_799n] as const;
const DURATION_SECONDS = 315_576_000_000n;

/**
 * Out-of-range google.protobuf.Timestamp and Duration values anywhere in a request (the
 * request is walked by its descriptor), as field violations named by proto field paths.
 */
export function wellKnownViolations(desc: DescMessage, msg: object, prefix = ""): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const f of desc.fields) {
    if (f.fieldKind !== "message" && !(f.fieldKind === "list" && f.listKind === "message")) continue;
    const value = (msg as Record<string, unknown>)[f.localName];
    if (value === undefined || value === null) continue;
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      const path = `${prefix}${f.name}${Array.isArray(value) ? `[${i}]` : ""}`;
      const problem = wellKnownProblem(f.message!.typeName, item as { seconds?: bigint; nanos?: number });
      if (problem) out.push({ field: path, description: problem });
      else if (!f.message!.typeName.startsWith("google.protobuf.") && typeof item === "object") out.push(...wellKnownViolations(f.message!, item as object, `${path}.`));
    });
  }
  return out;
}

function wellKnownProblem(typeName: string, v: { seconds?: bigint; nanos?: number }): string | undefined {
  const seconds = BigInt(v.seconds ?? 0n);
  const nanos = v.nanos ?? 0;
  if (typeName === "google.protobuf.Timestamp") {
    if (seconds < TIMESTAMP_SECONDS[0] || seconds > TIMESTAMP_SECONDS[1]) return "must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z";
    if (nanos < 0 || nanos > 999_999_999) return "nanos must be from 0 to 999999999";
  } else if (typeName === "google.protobuf.Duration") {
    if (seconds < -DURATION_SECONDS || seconds > DURATION_SECONDS) return "must be within ±10000 years";
    if (nanos < -999_999_999 || nanos > 999_999_999 || (seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) return "nanos must be within ±999999999 and have the sign of seconds";
  }
  return undefined;
}
