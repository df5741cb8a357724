import type { JsonObject } from "../core/json.js";

/** One request to start a run of a signature at the task engine. */
export interface TriggerRequest {
  /** The signature key; sent to the engine as metadata `task_id`. */
  key: string;
  taskName: string;
  /** The composed run input (a JSON object). */
  input: JsonObject;
  /** Engine metadata, `task_id` included. */
  metadata: Record<string, string>;
  attempt: number;
}

/** Thrown by a dispatcher. `permanent` failures (unknown task, rejected input) are not retried. */
export class DispatchError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly type = "DispatchError",
  ) {
    super(message);
    this.name = "DispatchError";
  }
}

/** The task engine as the service sees it. */
export interface Dispatcher {
  readonly name: string;
  /** Starts a run; resolves with the engine's run id once the engine accepted it. */
  trigger(req: TriggerRequest): Promise<{ runId: string }>;
  /** Cancels a run at the engine; resolves when the engine accepted the cancel. */
  cancel(runId: string): Promise<void>;
  close(): Promise<void>;
}
