/**
 * A worker process the real-engine tests can kill with SIGKILL, its tasks wrapped with `withSignature`, reporting
 * to the service at MAGEFLOW_WORKER_SERVICE_URL. Prints `READY` once the worker listens.
 * - `real-doomed` (retries: 1): the first attempt fails; a later one prints `RUNNING <retryCount> <runId>` and never ends.
 * - `real-lost` (retries: 0): the first attempt prints `LOST-RUNNING <runId>` and never ends; an attempt the engine
 *   re-assigns after losing the worker prints `LOST-RERUN <retryCount>` and returns `{ retryCount }`.
 * Settings: the HATCHET_CLIENT_* variables, DOOMED_EXECUTION_TIMEOUT (default 4s).
 */
import { connectWorkerReporter, withSignature } from "../../src/worker/hatchet-worker.js";
import { testSdk } from "../support/hatchet-sdk.js";

const hatchet = testSdk({
  token: process.env.HATCHET_CLIENT_TOKEN!,
  hostPort: process.env.HATCHET_CLIENT_HOST_PORT!,
  apiUrl: process.env.HATCHET_CLIENT_API_URL!,
});
const reporter = connectWorkerReporter(process.env.MAGEFLOW_WORKER_SERVICE_URL ?? "http://127.0.0.1:1");
const opts = { name: "real-doomed", retries: 1 };
const doomed = hatchet.task({
  ...opts,
  executionTimeout: (process.env.DOOMED_EXECUTION_TIMEOUT ?? "4s") as `${number}s`,
  fn: withSignature(
    reporter,
    async (_input: Record<string, unknown>, ctx) => {
      if (ctx.retryCount() === 0) throw new Error("first attempt fails");
      process.stdout.write(`RUNNING ${ctx.retryCount()} ${ctx.workflowRunId()}\n`);
      return new Promise<never>(() => {});
    },
    opts,
  ),
});
const lostOpts = { name: "real-lost", retries: 0 };
const lost = hatchet.task({
  ...lostOpts,
  executionTimeout: "120s",
  fn: withSignature(
    reporter,
    async (_input: Record<string, unknown>, ctx) => {
      if (ctx.retryCount() === 0) {
        process.stdout.write(`LOST-RUNNING ${ctx.workflowRunId()}\n`);
        return new Promise<never>(() => {});
      }
      process.stdout.write(`LOST-RERUN ${ctx.retryCount()}\n`);
      return { retryCount: ctx.retryCount() };
    },
    lostOpts,
  ),
});
const worker = await hatchet.worker("doomed-worker", { workflows: [doomed, lost] });
void worker.start();
await worker.waitUntilReady(20_000);
process.stdout.write("READY\n");
