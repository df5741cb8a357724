import { deepMerge, type JsonObject } from "./json.js";

/**
 * A run's input: the signature's kwargs merged over the RunSignature message (or over a callback's base).
 * The Redis scripts do the same on JSON text (`compose_run_input`, commands/includes/json.lua).
 */
export const composeRunInput = (given: JsonObject, kwargs: JsonObject): JsonObject => deepMerge(given, kwargs);
