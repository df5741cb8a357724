import { randomUUID } from "node:crypto";
import { DispatchError, type Dispatcher, type TriggerRequest } from "./dispatcher.js";

export interface RecordedTrigger extends TriggerRequest {
  readonly runId: string;
}

export type RecordingCall = { op: "trigger"; req: TriggerRequest } | { op: "cancel"; runId: string };

/**
 * Runs before every call; throw (e.g. a `DispatchError`) to make the call fail, or await to make it slow.
 * A failed call is not recorded.
 */
export type RecordingFault = (call: RecordingCall) => void | Promise<void>;

/** The engine used when none is configured: accepts every trigger with a synthetic run id, runs nothing. */
export class RecordingDispatcher implements Dispatcher {
  readonly name = "recording";
  failWith: RecordingFault | undefined;
  readonly #triggers: RecordedTrigger[] = [];
  readonly #cancels: string[] = [];
  #closed = false;

  constructor(opts: { failWith?: RecordingFault } = {}) {
    this.failWith = opts.failWith;
  }

  get triggers(): readonly RecordedTrigger[] {
    return this.#triggers;
  }

  get cancels(): readonly string[] {
    return this.#cancels;
  }

  async trigger(req: TriggerRequest): Promise<{ runId: string }> {
    await this.#enter({ op: "trigger", req });
    const runId = `rec-${randomUUID()}`;
    this.#triggers.push(Object.freeze({ ...structuredClone(req), runId }));
    return { runId };
  }

  async cancel(runId: string): Promise<void> {
    await this.#enter({ op: "cancel", runId });
    this.#cancels.push(runId);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  async #enter(call: RecordingCall): Promise<void> {
    if (this.#closed) throw new DispatchError("recording dispatcher is closed", false);
    await this.failWith?.(call);
  }
}
