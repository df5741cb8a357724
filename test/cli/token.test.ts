import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { Code, createMageflowClient } from "../../clients/typescript/src/index.js";
import { startLiveServer, type LiveServer } from "../client/live-server.js";
import { mageflow } from "./run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "mageflow-token-"));
let server: LiveServer;
let token: string;

before(async () => {
  const created = await mageflow("http://127.0.0.1:1", ["token", "create", "--name", "cli-test", "--namespace", "default", "--role", "admin", "--json"]);
  assert.equal(created.code, 0, created.stderr);
  const { token: secret, entry } = JSON.parse(created.stdout);
  token = secret;
  const file = join(dir, "tokens.json");
  writeFileSync(file, JSON.stringify([entry]));
  server = await startLiveServer({}, ["--auth-tokens-file", file]);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("the client and the CLI send the token; without it the CLI exits 7", async () => {
  const client = createMageflowClient({ baseUrl: server.baseUrl, token });
  assert.equal((await client.asign("authorized")).taskName, "authorized");
  client.close();
  const anonymous = createMageflowClient({ grpcAddress: server.grpcAddress });
  await assert.rejects(anonymous.asign("anonymous"), { code: Code.Unauthenticated, reason: "UNAUTHENTICATED" });
  anonymous.close();

  const denied = await mageflow(server.baseUrl, ["list"]);
  assert.equal(denied.code, 7, denied.stderr);
  assert.match(denied.stderr, /UNAUTHENTICATED/);
  const viaFlag = await mageflow(server.baseUrl, ["list", "--json", "--token", token]);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.equal(JSON.parse(viaFlag.stdout).signatures[0].taskName, "authorized");
  const viaEnv = await mageflow(server.grpcAddress, ["create", "from-env", "-q", "--transport", "grpc"], { MAGEFLOW_TOKEN: token });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
});
