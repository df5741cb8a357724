import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";

const sh = promisify(execFile);

/** The README's tour, command by command as written, against a server on free ports. */
describe("the README tour works as written", () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close(1000));

  const tour = readFileSync("README.md", "utf8").split("## A five-minute tour")[1].split("```sh")[1].split("```")[0];
  const commands = tour
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));

  it("runs every command and gets a signature back each time", async () => {
    assert.ok(commands.length >= 4);
    let key = "";
    for (const cmd of commands) {
      const local = cmd
        .replaceAll("localhost:8080", `127.0.0.1:${server.httpPort}`)
        .replaceAll("127.0.0.1:50051", `127.0.0.1:${server.grpcPort}`)
        .replaceAll("TaskSignature:...", key);
      const { stdout } = await sh("bash", ["-c", local], { timeout: 60_000 });
      const out = JSON.parse(stdout);
      const sig = out.signature ?? out.signatures?.[0];
      assert.ok(sig?.key, `${cmd} answered ${stdout}`);
      key ||= sig.key;
    }
  });
});

describe("the README command-line tour works as written", () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close(1000));

  const block = readFileSync("README.md", "utf8").split("The same with the `mageflow` command line")[1].split("```sh")[1].split("```")[0];
  const commands = block.split("\n").map((l) => l.trim()).filter((l) => l.startsWith("npx mageflow"));

  for (const round of [1, 2]) it(`runs every command against the server and sees the signature change (round ${round}: the tour can be repeated)`, async () => {
    assert.ok(commands.length >= 5);
    const env = { ...process.env, MAGEFLOW_SERVER: `http://127.0.0.1:${server.httpPort}` };
    let key = "";
    let output = "";
    for (const cmd of commands) {
      const local = cmd.replaceAll("<key>", key);
      const isWatch = cmd.includes(" watch");
      const { stdout } = await sh("bash", ["-c", isWatch ? `timeout 5 ${local} || true` : local], { env, timeout: 60_000 });
      key ||= /TaskSignature:[0-9a-f-]{36}/.exec(stdout)?.[0] ?? "";
      assert.ok(key, `${cmd} printed a key`);
      output += stdout;
    }
    const watched = output.split("\n").filter((l) => l.includes(key));
    assert.ok(watched.some((l) => l.includes("CREATED")), output);
    assert.ok(watched.some((l) => l.includes("SUSPENDED")), output);
  });
});
