/**
 * A worker process the real-engine tests can kill with SIGKILL, its tasks wrapped with `withSignature`, reporting
 * to the service at MAGEFLOW_WORKER_SERVICE_URL. Prints `READY` once the worker listens.
 * - `real-doomed` (retries: 1): the first attempt fails; a later one prints `RUNNING <retryCount> <runId>` and never ends.
 * - `real-lost` (retries: 0): the first attempt prints `LOST-RUNNING <runId>` and never ends; an attempt the engine
 *   re-assigns after losing the worker prints `LOST-RERUN <retryCount>` and returns `{ retryCount }`.
 * Settings: the HATCHET_CLIENT_* variables, DOOMED_EXECUTION_TIMEOUT (default 4s).
 */
import { HatchetClient } from "@hatchet-dev/typescript-sdk";
import { connectWorkerReporter, withSignature } from "../../src/worker/hatchet-worker.js";

const silent = { debug() {}, info() {}, green() {}, warn() {}, error() {} };
const hatchet = HatchetClient.init({
  token: process.env.HATCHET_CLIENT_TOKEN!,
  host_port: process.env.HATCHET_CLIENT_HOST_PORT,
  api_url: process.env.HATCHET_CLIENT_API_URL,
  tls_config: { tls_strategy: "none" },
  namespace: "",
  logger: () => silent,
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
