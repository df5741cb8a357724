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

