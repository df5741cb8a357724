import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it } from "node:test";
import { parseTokenEntries, sha256Hex, TokensFileError } from "../../src/auth/tokens.js";
import { ConfigError, isLoopbackHost, loadConfig } from "../../src/config.js";
import { startServer } from "../../src/server/server.js";
import { clientsFor, outcomeOf } from "./harness.js";

const run = promisify(execFile);
const dir = () => mkdtempSync(join(tmpdir(), "mageflow-sec-config-"));
const entry = (o: Record<string, unknown> = {}) => ({ name: "app", sha256: sha256Hex("secret"), namespace: "billing", role: "client", ...o });

describe("authentication settings", () => {
  it("knows loopback hosts", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "::ffff:127.0.0.1"]) assert.ok(isLoopbackHost(h), h);
    for (const h of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.2", "example.com", "localhost.example.com", "::ffff:10.0.0.1"]) assert.ok(!isLoopbackHost(h), h);
  });

  it("without a tokens file: open mode on loopback, refuses any other host naming the settings", () => {
    assert.deepEqual(loadConfig({}, {}).auth, { mode: "none", explicit: false });
    for (const host of ["0.0.0.0", "10.1.2.3"]) {
      assert.throws(
        () => loadConfig({ host }, {}),
        (e: Error) => e instanceof ConfigError && /refusing to serve/.test(e.message) && /AUTH_TOKENS_FILE/.test(e.message) && /AUTH=none/.test(e.message),
      );
    }
    assert.deepEqual(loadConfig({ host: "0.0.0.0" }, { AUTH: "none" }).auth, { mode: "none", explicit: true });
    assert.deepEqual(loadConfig({ host: "0.0.0.0", auth: "none" }, {}).auth, { mode: "none", explicit: true });
  });

  it("AUTH and AUTH_TOKENS_FILE: conflicts and bad values stop the start", () => {
    const file = join(dir(), "tokens.json");
    writeFileSync(file, JSON.stringify([entry()]));
    assert.equal(loadConfig({ host: "0.0.0.0" }, { AUTH_TOKENS_FILE: file }).auth.mode, "tokens");
    assert.throws(() => loadConfig({ auth: "none", authTokensFile: file }, {}), /conflicting settings/);
    assert.throws(() => loadConfig({ auth: "tokens" }, {}), /AUTH=tokens needs AUTH_TOKENS_FILE/);
    assert.throws(() => loadConfig({ auth: "off" }, {}), /invalid setting --auth="off"/);
    assert.throws(() => loadConfig({ authTokensFile: join(dir(), "missing.json") }, {}), /AUTH_TOKENS_FILE: cannot read/);
    writeFileSync(file, "{not json");
    assert.throws(() => loadConfig({ authTokensFile: file }, {}), /is not JSON/);
  });

  it("tokens file entries are checked one by one", () => {
    const bad: [unknown, RegExp][] = [
      [{}, /expected a JSON array/],
      [[entry({ sha256: "abc" })], /\[0\]\.sha256: expected 64 lowercase hex/],
      [[entry({ sha256: sha256Hex("x").toUpperCase() })], /sha256/],
      [[entry({ namespace: "Billing" })], /\[0\]\.namespace/],
      [[entry({ namespace: "-x" })], /namespace/],
      [[entry({ namespace: "a".repeat(64) })], /namespace/],
      [[entry({ role: "root" })], /\[0\]\.role: expected one of admin, client, worker, reader/],
      [[entry({ token: "secret" })], /unknown field token/],
      [[entry(), entry({ sha256: sha256Hex("other") })], /\[1\]\.name: app appears twice/],
      [[entry(), entry({ name: "b" })], /\[1\]\.sha256: the same token appears twice/],
      [[entry({ name: "" })], /name/],
    ];
    for (const [data, re] of bad) assert.throws(() => parseTokenEntries(data), (e: Error) => e instanceof TokensFileError && re.test(e.message), JSON.stringify(data));
    assert.equal(parseTokenEntries([entry(), entry({ name: "w", sha256: sha256Hex("w"), role: "worker", namespace: "default" })]).length, 2);
  });

  it("open mode says so at start", async () => {
    const lines: string[] = [];
    const server = await startServer(loadConfig({ port: "0", httpPort: "0" }, {}), { log: (m) => lines.push(m), env: {} });
    await server.close(500);
    assert.ok(lines.some((l) => /WARNING: AUTHENTICATION IS OFF/.test(l)), lines.join("\n"));
  });

  it("`mageflow serve` on a non-loopback host without tokens exits 2 with the message", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "serve", "--host", "0.0.0.0", "--port", "0", "--http-port", "0"], {
      env: { ...process.env, AUTH: "", AUTH_TOKENS_FILE: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    assert.equal(code, 2, stderr);
    assert.match(stderr, /refusing to serve on 0\.0\.0\.0 without authentication: set AUTH_TOKENS_FILE/);
  });

  it("`mageflow token create` prints a token and the entry that admits it, and the server takes it", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "src/main.ts", "token", "create", "--name", "ci", "--namespace", "team-a", "--role", "reader", "--json"]);
    const { token, entry: e } = JSON.parse(stdout) as { token: string; entry: { sha256: string } };
    assert.match(token, /^mft_[A-Za-z0-9_-]{43}$/);
    assert.deepEqual(e, { name: "ci", sha256: sha256Hex(token), namespace: "team-a", role: "reader" });
    const human = await run(process.execPath, ["--import", "tsx", "src/main.ts", "token", "create", "--name", "ci", "--namespace", "team-a", "--role", "reader"]);
    assert.match(human.stdout, /shown only now/);
    await assert.rejects(run(process.execPath, ["--import", "tsx", "src/main.ts", "token", "create", "--name", "x", "--namespace", "Team", "--role", "reader"]), /namespace/);
    await assert.rejects(run(process.execPath, ["--import", "tsx", "src/main.ts", "token", "create", "--name", "x", "--namespace", "t", "--role", "root"]), /role/);

    const file = join(dir(), "tokens.json");
    writeFileSync(file, JSON.stringify([e]));
    const server = await startServer(loadConfig({ port: "0", httpPort: "0", authTokensFile: file }, {}), { log: () => {}, env: {} });
    try {
      const ok = await outcomeOf(clientsFor(server, "connect", `Bearer ${token}`).signatures.listSignatures({}));
      assert.equal(ok.code, "OK");
      assert.equal((await outcomeOf(clientsFor(server, "connect", `Bearer ${token}`).signatures.createSignature({ taskName: "x" }))).code, "PermissionDenied");
      assert.deepEqual(server.namespaces.names(), ["default", "team-a"]);
    } finally {
      await server.close(500);
    }
  });
});
