import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { startLiveServer, type LiveServer } from "../client/live-server.js";
import { mageflow, spawnMageflow, type LiveCli } from "./run-cli.js";

const servers: LiveServer[] = [];
const watchers: LiveCli[] = [];
after(async () => {
  await Promise.all(watchers.map((w) => w.stop()));
  await Promise.all(servers.map((s) => s.stop("SIGKILL")));
});

async function serve(ports?: { port?: number; httpPort?: number }) {
  const s = await startLiveServer(ports);
  servers.push(s);
  return s;
}

function watch(server: string, ...args: string[]) {
  const w = spawnMageflow(server, ["watch", ...args]);
  watchers.push(w);
  return w;
}

const EVENT_LINE = /^\d\d:\d\d:\d\d\.\d{3}  #\d+\s+(\w+)\s+(TaskSignature:[0-9a-f-]{36})  (\S+)  (\w+)/;

describe("mageflow watch", () => {
  it("prints readable lines for changes, filters by task and status, stops on Ctrl-C", async () => {
    const server = await serve();
    // --from 1 on a fresh server: nothing is missed however long the stream takes to open.
    const all = watch(server.baseUrl, "--task", "watched", "--from", "1");
    const done = watch(server.baseUrl, "--task", "watched", "--status", "suspended", "--from", "1");
    await all.waitFor((w) => w.stderr.includes("watching"), 20_000, "the watch to start");

    const key = (await mageflow(server.baseUrl, ["create", "watched", "-q"])).stdout.trim();
    await mageflow(server.baseUrl, ["create", "ignored"]);
    await mageflow(server.baseUrl, ["suspend", key]);
    await all.waitFor((w) => w.stdout.includes("STATUS_CHANGED"), 20_000, "the status change");
    await done.waitFor((w) => w.stdout.includes("SUSPENDED"), 20_000, "the suspended event");

    const lines = all.stdout.trim().split("\n").map((l) => EVENT_LINE.exec(l));
    assert.deepEqual(lines.map((m) => m && [m[1], m[2], m[3], m[4]]), [
      ["CREATED", key, "watched", "PENDING"],
      ["STATUS_CHANGED", key, "watched", "SUSPENDED"],
    ]);
    assert.match(all.stdout, /SUSPENDED \(was PENDING\)/);
    assert.doesNotMatch(all.stdout, /\x1b\[/, "no colour when stdout is not a terminal");
    assert.equal(done.stdout.trim().split("\n").length, 1, "the status filter keeps only the suspension");
    assert.equal(await all.stop(), 0, "Ctrl-C ends the watch with exit 0");
    assert.equal(await done.stop(), 0);
  });

  it("--from replays history and --json prints one event per line", async () => {
    const server = await serve();
    const key = (await mageflow(server.baseUrl, ["create", "replayed", "-q"])).stdout.trim();
    await mageflow(server.baseUrl, ["cancel", key]);
    const w = watch(server.baseUrl, "--from", "1", "--json");
    await w.waitFor((x) => x.stdout.trim().split("\n").length >= 2, 20_000, "two replayed events");
    const events = w.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => [e.revision, e.type, e.key, e.status]), [
      ["1", "EVENT_TYPE_CREATED", key, "STATUS_PENDING"],
      ["2", "EVENT_TYPE_STATUS_CHANGED", key, "STATUS_CANCELED"],
    ]);
    assert.equal(events[1].signature.taskStatus.lastStatus, "STATUS_PENDING");
    assert.equal(await w.stop(), 0);

    const bad = await mageflow(server.baseUrl, ["watch", "--from", "yesterday"]);
    assert.equal(bad.code, 2);
  });

  it("reconnects by itself when the server restarts on the same port and shows events made after", async () => {
    let server = await serve();
    const ports = { port: server.grpcPort, httpPort: server.httpPort };
    const w = watch(server.baseUrl, "--from", "1");
    await w.waitFor((x) => x.stderr.includes("watching"), 20_000, "the watch to start");
    const before = (await mageflow(server.baseUrl, ["create", "before-restart", "-q"])).stdout.trim();
    await w.waitFor((x) => x.stdout.includes(before), 20_000, "the event before the restart");

    await server.stop("SIGTERM");
    await w.waitFor((x) => x.stderr.includes("connection lost"), 20_000, "the disconnect notice");
    server = await serve(ports);
    assert.equal(server.httpPort, ports.httpPort);

    // The memory store starts empty after a restart: create until the resumed watch shows one.
    let shown: string | undefined;
    for (let i = 0; i < 60 && !shown; i++) {
      const key = (await mageflow(server.baseUrl, ["create", `after-restart-${i}`, "-q"])).stdout.trim();
      await new Promise((r) => setTimeout(r, 300));
      if (w.stdout.includes(key)) shown = key;
    }
    assert.ok(shown, `a signature created after the restart shows up\nstdout:\n${w.stdout}\nstderr:\n${w.stderr}`);
    assert.match(w.stderr, /connection lost .*; resuming from revision 2/);
    assert.match(w.stderr, /reconnected/);
    assert.equal(w.child.exitCode, null, "the watch kept running");
    assert.equal(await w.stop(), 0);
  });
});
