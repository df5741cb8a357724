// The TypeScript client in one file (docs/clients/typescript.md). Against `npm start` (or `mageflow serve`):
//   npm install @mageflow/signatures-client && npx tsx quickstart.ts
import { setTimeout as sleep } from "node:timers/promises";
import { createMageflowClient, EventType, eventTypeName, MageflowError, statusName } from "@mageflow/signatures-client";

// The address and token come from MAGEFLOW_SERVER and MAGEFLOW_TOKEN (default http://127.0.0.1:8080, no token).
const client = createMageflowClient();

// asign: a task with bound kwargs and callbacks for success and for error.
const notify = await client.asign("notify", { kwargs: { channel: "email" } });
const alert = await client.asign("alert");
const email = await client.asign("send-email", {
  kwargs: { to: "a@example.com" },
  successCallbacks: [notify],
  errorCallbacks: [alert],
});
console.log("created", email.key);

// Watch the three signatures from the revision after the creation; the iterator resumes by itself after a disconnect.
const watch = client.watch({ keys: [email.key, notify.key, alert.key], startRevision: email.revision + 1n });
const events = (async () => {
  for await (const event of watch) {
    console.log(`  #${event.revision} ${eventTypeName(event.type)} ${event.taskName} ${statusName(event.status)}`);
    if (event.key === notify.key && event.type === EventType.DISPATCHED) break;
  }
})();

// aio_run_no_wait: the input is the message deep-merged with the kwargs (kwargs win).
const run = await client.runNoWait(email.key, { subject: "hello" });
// The run id comes with the answer once the engine took the run; a run still QUEUED gets it a little later.
let runId = run.runId;
while (!runId) {
  await sleep(50);
  runId = (await client.loadSignature(email.key)).run?.runId ?? "";
}

// What a worker does: ask before running, then report the result.
const start = await client.startTask(email.key, runId);
if (start.run) {
  const done = await client.completeTask(email.key, runId, { sent: true });
  console.log("completed; callbacks dispatched:", done.dispatchedCallbacks);
}
await events; // DONE, then notify's RUN_QUEUED and DISPATCHED

// suspend / resume another signature.
const report = await client.sign("build-report");
console.log("suspended:", statusName((await client.suspend(report.key)).taskStatus?.status));
console.log("resumed:", statusName((await client.resume(report.key)).taskStatus?.status));

// A lease: others get ABORTED SIGNATURE_LOCKED until it is released (here at the end of the block).
{
  await using lease = await client.lock(report.key, { ttlMs: 30_000, owner: "quickstart" });
  try {
    await client.suspend(report.key);
  } catch (e) {
    if (!(e instanceof MageflowError)) throw e;
    console.log("lock conflict:", e.codeName, e.reason, "until", e.metadata.expire_time);
  }
  await client.update(report.key, { kwargs: { month: "2024-05" }, lockId: lease.lockId });
}

client.close();
