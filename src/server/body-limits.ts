/**
 * How much of a request body over MAX_REQUEST_BYTES a port still reads (and drops) so that the
 * client, still sending, can read the RESOURCE_EXHAUSTED answer; beyond it the stream is reset.
 */
export const drainLimit = (maxRequestBytes: number) => Math.max(16 * 1024 * 1024, 2 * maxRequestBytes);
