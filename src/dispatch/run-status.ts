import type { JsonValue } from "../core/json.js";

/** What the engine says about one run it was asked to start. */
export type EngineRunState =
  /** The engine has no such run (yet: a run is written just after its trigger is answered). */
  | { kind: "unknown" }
  /** Queued, running, or between retries. */
  | { kind: "in_progress" }
  | { kind: "completed"; output: JsonValue }
  /** Failed for good (retries spent, timed out, or lost). `attempt`: the engine's attempt, 0 when it did not say. */
  | { kind: "failed"; message: string; type: string; attempt: number }
  | { kind: "cancelled" };

/** An engine that can be asked how a run it started ended (the reconciler's source). */
export interface RunStatusSource {
  runStatus(runId: string): Promise<EngineRunState>;
}

export function hasRunStatus(x: unknown): x is RunStatusSource {
  return typeof (x as Partial<RunStatusSource> | null)?.runStatus === "function";
}
