import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, it } from "node:test";
import { REPO_ROOT, startLiveServer, type LiveServer } from "./live-server.js";

let server: LiveServer;
before(async () => {
  server = await startLiveServer();
});
after(async () => {
  await server?.stop();
});

it("examples/typescript/quickstart.ts runs against a live server", async () => {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ["--import", "tsx", "examples/typescript/quickstart.ts"], { cwd: REPO_ROOT, env: { ...process.env, MAGEFLOW_SERVER: server.baseUrl }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );
  assert.equal(code, 0, stderr);
  assert.match(stdout, /created TaskSignature:/);
  assert.match(stdout, /STATUS_CHANGED send-email DONE[\s\S]*RUN_QUEUED notify PENDING[\s\S]*DISPATCHED notify PENDING/);
  assert.match(stdout, /suspended: SUSPENDED\nresumed: PENDING/);
  assert.match(stdout, /lock conflict: ABORTED SIGNATURE_LOCKED until \d{4}-/);
});
