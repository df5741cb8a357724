export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = { [k: string]: JsonValue };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** MageFlow's input rule: nested objects merge, and on any other conflict `overlay` wins. */
export function deepMerge(base: JsonObject, overlay: JsonObject): JsonObject {
  const out: JsonObject = { ...base };
  for (const [k, v] of Object.entries(overlay)) {
    const b = out[k];
    out[k] = isJsonObject(b) && isJsonObject(v) ? deepMerge(b, v) : v;
  }
  return out;
}
