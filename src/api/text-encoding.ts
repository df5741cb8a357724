import { configureTextEncoding, getTextEncoding } from "@bufbuild/protobuf/wire";

/**
 * protobuf-es encodes every string field with TextEncoder, which allocates a fresh buffer per
 * string (about 0.8 µs for a short one on Node 20); Buffer.from takes a slice of Node's pool
 * (about 0.08 µs). A signature has a dozen strings, more with kwargs, so this is measurable on
 * every response and every watch event. Decoding keeps protobuf-es's own functions.
 */
export function useNodeTextEncoding() {
  const base = getTextEncoding();
  configureTextEncoding({
    encodeUtf8: (text) => Buffer.from(text, "utf8"),
    decodeUtf8: base.decodeUtf8,
    checkUtf8: base.checkUtf8,
  });
}
