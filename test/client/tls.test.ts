import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { createMageflowClient } from "../../clients/typescript/src/index.js";
import { mageflow } from "../cli/run-cli.js";
import { startLiveServer, type LiveServer } from "./live-server.js";

const dir = mkdtempSync(join(tmpdir(), "mageflow-tls-"));
const cert = join(dir, "cert.pem");
const key = join(dir, "key.pem");
let server: LiveServer | undefined;
let skip: string | false = false;

before(async () => {
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], { stdio: "ignore" });
  } catch {
    skip = "openssl is not available";
    return;
  }
  server = await startLiveServer({}, ["--tls-cert", cert, "--tls-key", key]);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("connects with TLS over Connect (HTTP/1.1 and HTTP/2) and gRPC, and through the CLI with --ca", async (t) => {
  if (skip || !server) return t.skip(skip || "no server");
  const ca = readFileSync(cert);
  const clients = [
    createMageflowClient({ baseUrl: `https://127.0.0.1:${server.httpPort}`, tls: { ca } }),
    createMageflowClient({ baseUrl: `127.0.0.1:${server.httpPort}`, httpVersion: "2", tls: { ca } }),
    createMageflowClient({ grpcAddress: `127.0.0.1:${server.grpcPort}`, tls: { ca } }),
  ];
  for (const client of clients) {
    const sig = await client.asign("over-tls");
    assert.equal((await client.loadSignature(sig.key)).taskName, "over-tls");
    client.close();
  }
  await assert.rejects(createMageflowClient({ baseUrl: `https://127.0.0.1:${server.httpPort}` }).asign("untrusted"), /certificate/);

  const viaCli = await mageflow(`https://127.0.0.1:${server.httpPort}`, ["create", "cli-tls", "--ca", cert, "--json"]);
  assert.equal(viaCli.code, 0, viaCli.stderr);
  assert.equal(JSON.parse(viaCli.stdout).taskName, "cli-tls");
});
