import type { ServiceImpl } from "@connectrpc/connect";
import { StartDecision, WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import type { ApiDeps } from "./context.js";
import { toSignature, valueToJson } from "./convert.js";
import { Violations } from "./validate.js";

export function workerService(deps: ApiDeps): ServiceImpl<typeof WorkerService> {
  const { store, limits } = deps;

  const check = (req: { key: string; runId: string }, more?: (v: Violations) => void) => {
    const v = new Violations(limits);
    v.key("key", req.key);
    if (!req.runId) v.add("run_id", "required");
    else if (req.runId.length > 256) v.add("run_id", "at most 256 characters");
    more?.(v);
    v.check();
  };

  return {
    async startTask(req) {
      check(req, (v) => v.nonNegative("attempt", req.attempt));
      const d = await store.startTask(req.key, req.runId, req.attempt, { lockId: req.lockId });
      return {
        decision: d.run ? StartDecision.RUN : StartDecision.SKIP,
        skipReason: d.run ? "" : d.reason,
        signature: toSignature(d.record),
      };
    },

    async completeTask(req) {
      const result = valueToJson(req.result);
      check(req, (v) => v.json("result", result));
      const res = await store.completeTask(req.key, req.runId, result, { lockId: req.lockId });
      return { signature: toSignature(res.record), dispatchedCallbacks: res.dispatched };
    },

    async failTask(req) {
      check(req, (v) => {
        if ((req.error?.message.length ?? 0) > 64 * 1024) v.add("error.message", "at most 65536 characters");
        v.name("error.type", req.error?.type ?? "", false);
      });
      const error = { message: req.error?.message ?? "", type: req.error?.type ?? "", attempt: req.error?.attempt ?? 0 };
      const res = await store.failTask(req.key, req.runId, error, req.final, { lockId: req.lockId });
      return { signature: toSignature(res.record), dispatchedCallbacks: res.dispatched };
    },
  };
}
