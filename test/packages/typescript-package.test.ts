// The npm package as users get it: built by scripts/release.sh, installed from its tarball into a
// temporary folder outside the checkout, used from plain node (ESM and CommonJS) and from a TypeScript
// file compiled with the strictest options, against a live server. Also runs every code example of
// docs/clients/typescript.md there, twice in a row.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { REPO_ROOT, startLiveServer, type LiveServer } from "../client/live-server.js";

const TYPESCRIPT = "typescript@5.9.3";
const NODE_TYPES = "@types/node@20.19.43";

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 300_000) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(cmd, args, { cwd, env: { ...cleanEnv(), ...env }, timeout, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) || 1 : 0, stdout, stderr }),
    ),
  );
}

/** The environment without anything pointing back at the checkout (NODE_PATH, NODE_OPTIONS with tsx). */
function cleanEnv(): NodeJS.ProcessEnv {
  const { NODE_PATH: _p, NODE_OPTIONS: _o, MAGEFLOW_SERVER: _s, MAGEFLOW_TOKEN: _t, ...rest } = process.env;
  return rest;
}

async function ok(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const r = await run(cmd, args, cwd, env);
  assert.equal(r.code, 0, `${cmd} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The scenario every client runs, as plain JavaScript over `lib` (the imported package). */
const SCENARIO = `
const { Code, createMageflowClient, EventType, MageflowError, Status } = lib;
setTimeout(() => { console.error("scenario timed out"); process.exit(3); }, 30_000).unref();
const check = (cond, what) => { if (!cond) throw new Error("failed: " + what); };
const client = createMageflowClient();
const onSuccess = await client.asign("on-success");
const onError = await client.asign("on-error");
const task = await client.asign("package-task", { kwargs: { n: 1 }, successCallbacks: [onSuccess], errorCallbacks: [onError] });
const seen = [];
const watch = client.watch({ keys: [task.key, onSuccess.key], startRevision: task.revision + 1n });
const watched = (async () => {
  for await (const e of watch) {
    seen.push((e.key === task.key ? "task:" : "callback:") + EventType[e.type]);
    if (e.key === onSuccess.key && e.type === EventType.DISPATCHED) break;
  }
})();
const run = await client.runNoWait(task.key, { m: 2 });
let runId = run.runId;
while (!runId) {
  await new Promise((r) => setTimeout(r, 50));
  runId = (await client.loadSignature(task.key)).run?.runId ?? "";
}
const start = await client.startTask(task.key, runId);
check(start.run, "StartTask says RUN");
const completed = await client.completeTask(task.key, runId, { ok: true });
check(completed.signature.taskStatus?.status === Status.DONE, "DONE after CompleteTask");
check(completed.dispatchedCallbacks.includes(onSuccess.key), "success callback dispatched");
await watched;
check(seen.includes("task:RUN_QUEUED") && seen.includes("callback:DISPATCHED"), "watch saw the run and the callback: " + seen);
const other = await client.asign("package-other");
check((await client.suspend(other.key)).taskStatus?.status === Status.SUSPENDED, "suspended");
check((await client.resume(other.key)).taskStatus?.status === Status.PENDING, "resumed");
const lease = await client.lock(other.key, { ttlMs: 30_000, owner: "package-test" });
let conflict;
try { await client.suspend(other.key); } catch (e) { conflict = e; }
check(conflict instanceof MageflowError && conflict.code === Code.Aborted && conflict.reason === "SIGNATURE_LOCKED", "lock conflict as a typed error: " + conflict);
await lease.release();
client.close();
console.log("scenario ok:", seen.join(" "));
`;

const USER_TS = `
import { Code, createMageflowClient, MageflowError, statusName, type MageflowClientOptions, type Signature } from "@mageflow/signatures-client";

const options: MageflowClientOptions = { baseUrl: process.env.MAGEFLOW_SERVER, token: process.env.MAGEFLOW_TOKEN, retry: { maxAttempts: 3 } };
const client = createMageflowClient(options);
const created: Signature = await client.asign("typed-user", { kwargs: { n: 1 }, metadata: { team: "a" } });
const page = await client.list({ taskName: "typed-user", pageSize: 10 });
const first = page.signatures[0];
console.log("typed ok", statusName(first?.taskStatus?.status), created.key.startsWith("TaskSignature:"));
try {
  await client.loadSignature("TaskSignature:00000000-0000-4000-8000-000000000000");
} catch (e) {
  if (!(e instanceof MageflowError) || e.code !== Code.NotFound) throw e;
}
client.close();
`;

const USER_CTS = `
import { createMageflowClient, type MageflowError } from "@mageflow/signatures-client";
const client = createMageflowClient();
client.list({ pageSize: 1 }).then((page) => { console.log("cts ok", page.signatures.length <= 1); client.close(); }, (e: MageflowError) => { console.error(e.reason); process.exit(1); });
`;

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    types: ["node"],
    outDir: "out",
  },
  include: ["*.mts", "*.cts", "docs/*.mts"],
};

/** The ```ts and ```js blocks of a Markdown file, in order. */
function codeBlocks(file: string): { lang: string; code: string }[] {
  const text = readFileSync(path.join(REPO_ROOT, file), "utf8");
  return [...text.matchAll(/^```(ts|js)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

describe("the npm package, installed from its tarball outside the checkout", () => {
  let dir = "";
  let app = "";
  let server: LiveServer;
  let installed: string[] = [];
  let installedBytes = 0;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "mageflow-ts-package-"));
    app = path.join(dir, "app");
    mkdirSync(path.join(app, "docs"), { recursive: true });
    const serverStarting = startLiveServer();
    await ok("bash", ["scripts/release.sh", path.join(dir, "release"), "typescript"], REPO_ROOT);
    const version = JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).version as string;
    const tarball = path.join(dir, "release", `mageflow-signatures-client-${version}.tgz`);
    writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "user-app", private: true, version: "1.0.0" }));
    await ok("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball], app);
    installed = packagesIn(path.join(app, "node_modules"));
    installedBytes = Number((await ok("du", ["-sb", "node_modules"], app)).stdout.split("\t")[0]);
    await ok("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--save-dev", TYPESCRIPT, NODE_TYPES], app);
    server = await serverStarting;
  });
  after(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("brings only its three runtime dependencies", (t) => {
    assert.deepEqual(installed.sort(), ["@bufbuild/protobuf", "@connectrpc/connect", "@connectrpc/connect-node", "@mageflow/signatures-client"]);
    t.diagnostic(`${installed.length} packages, ${(installedBytes / 1e6).toFixed(1)} MB installed`);
  });

  it("plain node, ESM: the scenario", async () => {
    writeFileSync(path.join(app, "scenario.mjs"), `import * as lib from "@mageflow/signatures-client";\n${SCENARIO}`);
    const r = await ok(process.execPath, ["scenario.mjs"], app, { MAGEFLOW_SERVER: server.baseUrl });
    assert.match(r.stdout, /^scenario ok:/m);
  });

  it("plain node, CommonJS: the scenario", async () => {
    writeFileSync(path.join(app, "scenario.cjs"), `const lib = require("@mageflow/signatures-client");\n(async () => {\n${SCENARIO}\n})().catch((e) => { console.error(e); process.exit(1); });\n`);
    const r = await ok(process.execPath, ["scenario.cjs"], app, { MAGEFLOW_SERVER: server.baseUrl });
    assert.match(r.stdout, /^scenario ok:/m);
  });

  it("a user's TypeScript (and every doc example) compiles with strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, no skipLibCheck", async () => {
    writeFileSync(path.join(app, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    writeFileSync(path.join(app, "user.mts"), USER_TS);
    writeFileSync(path.join(app, "user.cts"), USER_CTS);
    codeBlocks("docs/clients/typescript.md").forEach((b, i) => {
      const cjs = b.lang === "js" && /\brequire\(/.test(b.code);
      writeFileSync(path.join(app, "docs", `example-${i}.${b.lang === "ts" ? "mts" : cjs ? "cjs" : "mjs"}`), b.code);
    });
    await ok(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "."], app);
    const env = { MAGEFLOW_SERVER: server.baseUrl };
    assert.match((await ok(process.execPath, ["out/user.mjs"], app, env)).stdout, /typed ok PENDING true/);
    assert.match((await ok(process.execPath, ["out/user.cjs"], app, env)).stdout, /cts ok true/);
  });

  it("every example of docs/clients/typescript.md runs verbatim, twice in a row", async () => {
    const blocks = codeBlocks("docs/clients/typescript.md");
    assert.ok(blocks.length >= 4, "the guide has its examples");
    const quickstart = readFileSync(path.join(REPO_ROOT, "examples/typescript/quickstart.ts"), "utf8");
    assert.ok(blocks.some((b) => b.code === quickstart), "the guide shows examples/typescript/quickstart.ts as it is");
    const env = { MAGEFLOW_SERVER: server.baseUrl };
    for (const [i, b] of blocks.entries()) {
      const cjs = b.lang === "js" && /\brequire\(/.test(b.code);
      const file = b.lang === "ts" ? `out/docs/example-${i}.mjs` : `docs/example-${i}.${cjs ? "cjs" : "mjs"}`;
      for (const round of [1, 2]) {
        const r = await run(process.execPath, [file], app, env, 60_000);
        assert.equal(r.code, 0, `example ${i} (round ${round}):\n${b.code}\n${r.stdout}\n${r.stderr}`);
        if (b.code === quickstart) {
          assert.match(r.stdout, /STATUS_CHANGED send-email DONE[\s\S]*RUN_QUEUED notify PENDING[\s\S]*DISPATCHED notify PENDING/);
          assert.match(r.stdout, /suspended: SUSPENDED\nresumed: PENDING/);
          assert.match(r.stdout, /lock conflict: ABORTED SIGNATURE_LOCKED until \d{4}-/);
        }
      }
    }
  });
});

/** Names of the packages in a node_modules folder (scoped ones as @scope/name). */
function packagesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith("."))
    .flatMap((d) => (d.name.startsWith("@") ? readdirSync(path.join(dir, d.name)).map((n) => `${d.name}/${n}`) : [d.name]));
}
