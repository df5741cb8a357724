/**
 * `MAGEFLOW_UNINSTRUMENTED=1` serves without the metric, trace and log wrappers of calls, store
 * operations and engine calls: only for `npm run bench`, which measures what they cost.
 */
export const INSTRUMENTED = process.env.MAGEFLOW_UNINSTRUMENTED !== "1";
