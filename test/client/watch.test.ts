import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { Code, createMageflowClient, EventType, MageflowError, type SignatureEvent } from "../../clients/typescript/src/index.js";
import { readUntil } from "./events.js";
import { startLiveServer, type LiveServer } from "./live-server.js";

const servers: LiveServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.stop("SIGKILL")));
});

async function serve(ports?: { port?: number; httpPort?: number }, args: string[] = []) {
  const s = await startLiveServer(ports, args);
  servers.push(s);
  return s;
}

describe("watch", () => {
  it("replays from a revision, sends the initial state, and ends on close()", async () => {
    const server = await serve();
    const client = createMageflowClient({ baseUrl: server.baseUrl });
    const a = await client.asign("replayed");
    await client.suspend(a.key);

    const replay = client.watch({ startRevision: a.revision });
    const seen = await readUntil(replay[Symbol.asyncIterator](), [], (s) => s.length >= 2);
    assert.deepEqual(seen.map((e) => e.type), [EventType.CREATED, EventType.STATUS_CHANGED]);
    replay.close();
    assert.deepEqual(await replay[Symbol.asyncIterator]().next(), { done: true, value: undefined });

    const initial = client.watch({ sendInitial: true, taskNames: ["replayed"] });
    const it2 = initial[Symbol.asyncIterator]();
    const first = await readUntil(it2, [], (s) => s.length >= 1);
    assert.equal(first[0].type, EventType.INITIAL);
    assert.equal(first[0].key, a.key);
    await client.resume(a.key);
    const next = await readUntil(it2, [], (s) => s.length >= 1);
    assert.equal(next[0].type, EventType.STATUS_CHANGED);
    assert.equal(initial.revision, next[0].revision);
    await initial[Symbol.asyncDispose]();

    const open = client.watch();
    const pending = open[Symbol.asyncIterator]().next();
    client.close();
    assert.deepEqual(await pending, { done: true, value: undefined }, "closing the client ends its watches");
  });

  it("throws REVISION_COMPACTED when the start revision left the history", async () => {
    const server = await serve({}, ["--history-max", "3"]);
    const client = createMageflowClient({ baseUrl: server.baseUrl });
    for (let i = 0; i < 8; i++) await client.asign("filler");
    const watch = client.watch({ startRevision: 1 });
    await assert.rejects(watch[Symbol.asyncIterator]().next(), (e: unknown) => {
      assert.ok(e instanceof MageflowError);
      assert.equal(e.code, Code.FailedPrecondition);
      assert.equal(e.reason, "REVISION_COMPACTED");
      assert.match(e.metadata.oldest_revision, /^\d+$/);
      return true;
    });
    client.close();
  });

  for (const transport of ["connect", "grpc"] as const) {
    it(`resumes after the server restarts (${transport})`, async () => {
      let server = await serve();
      const ports = { port: server.grpcPort, httpPort: server.httpPort };
      const client =
        transport === "grpc" ? createMageflowClient({ grpcAddress: server.grpcAddress, transport: "grpc" }) : createMageflowClient({ baseUrl: server.baseUrl });
      const reconnects: bigint[] = [];
      const watch = client.watch({ startRevision: 1, reconnectDelayMs: 50, maxReconnectDelayMs: 300, onReconnect: (i) => reconnects.push(i.revision) });
      const it = watch[Symbol.asyncIterator]();
      const seen: SignatureEvent[] = [];
      const pending = readUntil(it, seen, (s) => s.some((e) => e.taskName === "before"), 20_000);
      await client.asign("before");
      await pending;
      const cursor = watch.revision;
      assert.ok(cursor > 0n);

      await server.stop("SIGKILL");
      server = await serve(ports);
      // The memory store starts empty: keep creating until the resumed stream shows one made after the restart.
      const reading = readUntil(it, seen, (s) => s.some((e) => e.taskName.startsWith("after-")), 20_000);
      let done = false;
      void reading.finally(() => (done = true));
      for (let i = 0; !done && i < 60; i++) {
        await client.asign(`after-${i}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      await reading;
      assert.ok(reconnects.length > 0 && reconnects[0] === cursor, "reconnected from the last revision seen");
      assert.ok(watch.reconnects > 0);
      await watch[Symbol.asyncDispose]();
      client.close();
    });
  }
});
