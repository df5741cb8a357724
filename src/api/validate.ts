import { Ajv, type ValidateFunction } from "ajv";
import { invalidArgument, type FieldViolation } from "../core/errors.js";
import type { JsonObject, JsonValue } from "../core/json.js";
import { isSignatureKey } from "../core/keys.js";
import type { Limits } from "../core/limits.js";

/** Collects field violations of one request; `check()` throws them as one INVALID_ARGUMENT. */
export class Violations {
  readonly list: FieldViolation[] = [];

  constructor(private readonly limits: Limits) {}

  add(field: string, description: string) {
    this.list.push({ field, description });
  }

  key(field: string, key: string) {
    if (!key) this.add(field, "required");
    else if (!isSignatureKey(key)) this.add(field, "must look like TaskSignature:<uuid4>");
  }

  keys(field: string, keys: string[], max: number) {
    if (keys.length > max) this.add(field, `at most ${max} keys`);
    else keys.forEach((k, i) => this.key(`${field}[${i}]`, k));
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
    if (depth > this.limits.maxJsonDepth) this.add(field, `nested deeper than ${this.limits.maxJsonDepth} levels`);
    else if (Buffer.byteLength(JSON.stringify(value)) > this.limits.maxJsonBytes) {
      this.add(field, `larger than ${this.limits.maxJsonBytes} bytes as JSON`);
    }
  }

  metadata(field: string, m: Record<string, string>) {
    const entries = Object.entries(m);
    if (entries.length > this.limits.maxMetadataEntries) this.add(field, `at most ${this.limits.maxMetadataEntries} entries`);
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
    this.json(field, schema);
    try {
      compileSchema(schema);
    } catch (e) {
      this.add(field, `not a valid JSON Schema: ${(e as Error).message}`);
    }
  }

  check() {
    if (this.list.length > 0) throw invalidArgument(this.list);
  }
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

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

function compileSchema(schema: JsonObject): ValidateFunction {
  const id = JSON.stringify(schema);
  let fn = compiled.get(id);
  if (!fn) {
    fn = ajv.compile(schema);
    if (compiled.size > 1000) compiled.clear();
    compiled.set(id, fn);
  }
  return fn;
}

/** Violations of `input` against a signature's input schema, as BadRequest field violations. */
export function schemaViolations(schema: JsonObject, input: JsonObject, field = "input"): FieldViolation[] {
  const fn = compileSchema(schema);
  if (fn(input)) return [];
  return (fn.errors ?? []).map((e) => ({
    field: `${field}${e.instancePath.replace(/\//g, ".")}`,
    description: e.message ?? "invalid",
  }));
}
