import { ServiceError } from "../core/service-error.js";

/** Error sizes that fit in HTTP/2 trailers (grpc-message, grpc-status-details-bin) with room to spare. */
const MAX_MESSAGE = 512;
const MAX_METADATA_VALUE = 512;
const MAX_VIOLATIONS = 10;

/** Lone UTF-16 surrogates (from hostile input echoed in an error) cannot be percent-encoded into grpc-message. */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");

/** Cuts `s` to about `max` characters; a comma-separated list keeps whole items and ends with `,…`. */
function cut(s: string, max: number): string {
  if (s.length <= max) return wellFormed(s);
  const comma = s.lastIndexOf(",", max);
  // (Cutting may split a surrogate pair: the half left over is replaced.)
  return wellFormed(comma > 0 && !/\s/.test(s.slice(0, comma)) ? `${s.slice(0, comma)},…` : `${s.slice(0, max)}… (${s.length - max} more characters)`);
}

/**
 * Errors carry request text (a bad key, an unknown field mask path) and can grow with the
 * request (one violation per bad list item, a `missing` list of a thousand keys). A gRPC status
 * travels in HTTP/2 trailers: tens of kilobytes there make clients hang or reset the stream,
 * and text that is not well-formed UTF-16 cannot be encoded at all. Errors leave cut down
 * and well-formed.
 */
export function wireSafe(e: ServiceError): ServiceError {
  const more = e.fieldViolations.length - MAX_VIOLATIONS;
  return new ServiceError(
    e.code,
    e.reason,
    cut(e.message, MAX_MESSAGE) + (more > 0 && e.message.length <= MAX_MESSAGE ? ` (and ${more} more violations)` : ""),
    Object.fromEntries(Object.entries(e.metadata).map(([k, v]) => [cut(k, 100), cut(v, MAX_METADATA_VALUE)])),
    e.fieldViolations.slice(0, MAX_VIOLATIONS).map((v) => ({ field: cut(v.field, 100), description: cut(v.description, 200) })),
    e.retryDelayMs,
  );
}
