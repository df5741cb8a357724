import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { ContainerKind, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { RecordingDispatcher } from "../../src/dispatch/recording.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";

// ContainerService through a running server (Connect), with the dispatch loop and the worker's reports.
describe("chains and swarms through the API", () => {
  let server: RunningServer;
  const engine = new RecordingDispatcher();
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  let workers: ReturnType<typeof createClient<typeof WorkerService>>;
  let containers: ReturnType<typeof createClient<typeof ContainerService>>;
  const until = async <T>(fn: () => T | undefined, ms = 5000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = fn();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const triggered = (key: string) => engine.triggers.find((t) => t.key === key);
  const finish = async (key: string, value: number) => {
    const t = await until(() => triggered(key));
    await workers.startTask({ key, runId: t.runId, attempt: 1 });
    await workers.completeTask({ key, runId: t.runId, result: { kind: { case: "numberValue", value } } });
    return t;
  };

  before(async () => {
    server = await startTestServer({}, engine);
    const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` });
    sigs = createClient(SignatureService, transport);
    workers = createClient(WorkerService, transport);
    containers = createClient(ContainerService, transport);
  });
  after(() => server.close(1000));

  it("a chain of an existing and an inline step runs them in turn and ends DONE with the last result", async () => {
    const first = (await sigs.createSignature({ taskName: "fetch" })).signature!.key;
    const { chain } = await containers.createChain({
      tasks: [{ source: { case: "key", value: first } }, { source: { case: "signature", value: { taskName: "store", returnFieldName: "data" } } }],
      kwargs: { tenant: "t1" },
    });
    assert.equal(chain!.kind, ContainerKind.CHAIN);
    assert.equal(chain!.signature!.containerKind, ContainerKind.CHAIN);
    assert.equal(chain!.signature!.taskName, "chain-task:fetch");
    const [, second] = chain!.childKeys;
    await sigs.runSignature({ key: chain!.signature!.key, message: { id: 1 } });
    const t1 = await finish(first, 5);
    assert.deepEqual(t1.input, { id: 1, tenant: "t1" });
    const t2 = await finish(second, 6);
    assert.deepEqual(t2.input, { data: 5, tenant: "t1" });
    const got = await containers.getContainer({ key: chain!.signature!.key });
    assert.equal(got.container!.signature!.taskStatus!.status, Status.DONE);
    assert.equal(got.container!.summary!.done, 2);
    assert.equal(got.container!.summary!.total, 2);
  });

  it("a swarm never has more than max_concurrency children at the engine; pages of children; closed swarms refuse tasks", async () => {
    const { swarm } = await containers.createSwarm({
      tasks: Array.from({ length: 5 }, (_, i) => ({ source: { case: "signature" as const, value: { taskName: `job-${i}` } } })),
      config: { maxConcurrency: 2 },
    });
    const key = swarm!.signature!.key;
    await sigs.runSignature({ key, message: {} });
    const kids = swarm!.childKeys;
    await until(() => (triggered(kids[1]) ? true : undefined));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(kids.filter((k) => triggered(k)).length, 2);
    const page1 = await containers.listContainerChildren({ key, pageSize: 3 });
    assert.deepEqual(page1.children.map((c) => c.key), kids.slice(0, 3));
    const page2 = await containers.listContainerChildren({ key, pageSize: 3, pageToken: page1.nextPageToken });
    assert.deepEqual(page2.children.map((c) => c.key), kids.slice(3));
    assert.equal(page2.nextPageToken, "");
    for (const [i, k] of kids.entries()) await finish(k, i);
    await containers.closeSwarm({ key });
    const got = await containers.getContainer({ key });
    assert.equal(got.container!.signature!.taskStatus!.status, Status.DONE);
    assert.equal(got.container!.inFlight, 0);
    await assert.rejects(containers.addSwarmTasks({ key, tasks: [{ source: { case: "signature", value: { taskName: "late" } } }] }), (e: ConnectError) => {
      assert.match(e.message, /SWARM_CLOSED/);
      return true;
    });
  });

  it("children's events carry their container's key; a watch filtered by container sees only its children", async () => {
    const outsider = (await sigs.createSignature({ taskName: "outside" })).signature!.key;
    const { chain } = await containers.createChain({
      tasks: [{ source: { case: "signature", value: { taskName: "w1" } } }, { source: { case: "signature", value: { taskName: "w2" } } }],
    });
    const key = chain!.signature!.key;
    await sigs.runSignature({ key, message: {} });
    await sigs.cancelSignature({ key: outsider });
    const ac = new AbortController();
    const seen: { key: string; containerKey: string }[] = [];
    for await (const m of sigs.watchSignatures({ filter: { containerKeys: [key] }, startRevision: 1n }, { signal: ac.signal })) {
      seen.push(...m.events.map((e) => ({ key: e.key, containerKey: e.signature?.containerKey ?? "" })));
      if (seen.some((e) => e.key === chain!.childKeys[0]) && m.bookmark === false) break;
    }
    ac.abort();
    assert.ok(seen.length > 0);
    assert.ok(seen.every((e) => e.containerKey === key && chain!.childKeys.includes(e.key)), JSON.stringify(seen));
  });

  it("bad input is INVALID_ARGUMENT with field violations, and nothing is written", async () => {
    const one = (await sigs.createSignature({ taskName: "x" })).signature!.key;
    await assert.rejects(containers.createChain({ tasks: [{ source: { case: "key", value: one } }] }), /at least 2 steps/);
    await assert.rejects(containers.createChain({ tasks: [{ source: { case: "key", value: one } }, { source: { case: "key", value: one } }] }), /listed twice/);
    await assert.rejects(containers.createSwarm({ tasks: [] }), /config/);
    await assert.rejects(containers.createSwarm({ config: { maxConcurrency: 0 } }), /max_concurrency/);
    assert.equal((await sigs.getSignature({ key: one })).signature!.containerKey, "");
    await assert.rejects(containers.getContainer({ key: one }), /NOT_A_CONTAINER|not a chain or a swarm/);
  });
});
