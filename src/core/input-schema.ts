import v8 from "node:v8";
import { Ajv, type ValidateFunction } from "ajv";
import type { JsonObject, JsonValue } from "./json.js";
import type { FieldViolation } from "./service-error.js";

/** Why `schema` cannot be a signature's input schema (too costly to check, or not valid), or undefined. */
export function schemaProblem(schema: JsonObject): string | undefined {
  const costly = costlyKeyword(schema);
  if (costly) return costly;
  try {
    compileSchema(schema);
  } catch (e) {
    return `not a valid JSON Schema: ${(e as Error).message}`;
  }
  return undefined;
}

/** Checking `uniqueItems` compares every pair of items: it needs a `maxItems` that keeps that cheap. */
const MAX_UNIQUE_ITEMS = 1000;

function costlyKeyword(v: JsonValue, path = ""): string | undefined {
  if (typeof v !== "object" || v === null) return undefined;
  if (!Array.isArray(v) && v.uniqueItems === true && !(typeof v.maxItems === "number" && v.maxItems <= MAX_UNIQUE_ITEMS)) {
    return `uniqueItems${path ? ` at ${path}` : ""} needs maxItems of at most ${MAX_UNIQUE_ITEMS} (checking it compares every pair of items)`;
  }
  for (const [k, c] of Object.entries(v)) {
    const found = costlyKeyword(c, path ? `${path}.${k}` : k);
    if (found) return found;
  }
  return undefined;
}

// Schemas come from callers, and so do their regular expressions (`pattern`, `patternProperties`).
// A backtracking engine can take exponential time on them (`^(a+)+$`), stalling the whole server:
// they run on V8's linear-time engine (the `l` flag) instead, which refuses what it cannot run in
// linear time (backreferences, lookarounds). That engine has no unicode mode (`\p{…}`, `\u{…}`).
v8.setFlagsFromString("--enable-experimental-regexp-engine");
const LINEAR_REGEXP = (() => {
  try {
    return new RegExp("a", "l").test("a");
  } catch {
    return false;
  }
})();
const MAX_PATTERN = 1000;

function linearRegExp(pattern: string): RegExp {
  if (!LINEAR_REGEXP) throw new Error("regular expressions (pattern, patternProperties) are not supported on this runtime");
  if (pattern.length > MAX_PATTERN) throw new Error(`pattern longer than ${MAX_PATTERN} characters`);
  if (/\\[pPu]\{/.test(pattern)) throw new Error(`pattern ${JSON.stringify(pattern.slice(0, 100))}: \\p{…} and \\u{…} escapes are not supported`);
  try {
    return new RegExp(pattern, "l");
  } catch (e) {
    throw new Error(`pattern ${JSON.stringify(pattern.slice(0, 100))} is not allowed: ${(e as Error).message.replace(/^Invalid regular expression: /, "")} (backreferences and lookarounds cannot run in linear time)`);
  }
}
linearRegExp.code = "new RegExp";

/** Compiled schemas, by their JSON; a new Ajv instance (dropping its caches too) once there are many. */
const MAX_COMPILED = 200;
const newAjv = () => new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, addUsedSchema: false, code: { regExp: linearRegExp } });
let ajv = newAjv();
const compiled = new Map<string, ValidateFunction>();

function compileSchema(schema: JsonObject): ValidateFunction {
  const id = JSON.stringify(schema);
  let fn = compiled.get(id);
  if (!fn) {
    if (compiled.size >= MAX_COMPILED) {
      compiled.clear();
      ajv = newAjv();
    }
    fn = ajv.compile(schema);
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
