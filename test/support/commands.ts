import assert from "node:assert/strict";
import { ServiceError } from "../../src/core/service-error.js";
import { newSignatureKey } from "../../src/core/keys.js";
import { Status } from "../../src/core/status.js";
import type { CreateCommand } from "../../src/store/store.js";

/** A valid store create command; override what the test cares about. */
export const createCmd = (o: Partial<CreateCommand> = {}): CreateCommand => ({
  key: newSignatureKey(),
  taskName: "process-order",
  kwargs: {},
  creationTime: Date.now(),
  successCallbacks: [],
  errorCallbacks: [],
  status: Status.PENDING,
  returnFieldName: "mageflow_results",
  metadata: {},
  requestId: "",
  ...o,
});


/** The ServiceError a store call was refused with (fails the test if it was accepted). */
export async function refusal(p: Promise<unknown>): Promise<ServiceError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ServiceError) return e;
    throw e;
  }
  assert.fail("expected a refusal");
}
