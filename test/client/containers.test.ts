import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ContainerKind, createMageflowClient, MageflowError, Status, type MageflowClient } from "../../clients/typescript/src/index.js";
import { startLiveServer, type LiveServer } from "./live-server.js";

let server: LiveServer;
before(async () => {
  server = await startLiveServer();
});
after(async () => {
  await server?.stop();
});

for (const transport of ["connect", "grpc"] as const) {
  describe(`chain and swarm with the TypeScript client over ${transport}`, () => {
    let client: MageflowClient;
    before(() => {
      client = transport === "grpc" ? createMageflowClient({ grpcAddress: server.grpcAddress, transport: "grpc" }) : createMageflowClient({ baseUrl: server.baseUrl });
    });
    after(() => client.close());

    it("chain runs its first step with the message; swarm takes tasks until closed; loadContainer counts children", async () => {
      const a = await client.asign("a");
      const b = await client.asign("b");
      const chain = await client.chain([a, b.key], { name: "pipeline", kwargs: { tenant: "t" } });
      assert.equal(chain.kind, ContainerKind.CHAIN);
      assert.equal(chain.signature?.taskName, "chain-task:pipeline");
      await client.runNoWait(chain.signature!.key, { id: 1 });
      const first = await client.loadSignature(a.key);
      assert.equal(first.run?.attempt, 1);
      assert.equal((await client.loadSignature(b.key)).run, undefined);

      const swarm = await client.swarm([await client.asign("s1")], { maxConcurrency: 2 });
      const more = await client.addTasks(swarm.signature!, [await client.asign("s2")]);
      assert.equal(more.childCount, 2);
      await client.closeSwarm(swarm.signature!);
      await assert.rejects(client.addTasks(swarm.signature!.key, [await client.asign("s3")]), (e: MageflowError) => e.reason === "SWARM_CLOSED");
      const loaded = await client.loadContainer(swarm.signature!.key);
      assert.equal(loaded.closed, true);
      assert.equal(loaded.summary?.pending, 2);
      const page = await client.listChildren(swarm.signature!.key, { pageSize: 1 });
      assert.equal(page.children.length, 1);
      assert.ok(page.nextPageToken);
      assert.equal(page.children[0].taskStatus?.status, Status.PENDING);
    });

    it("inline tasks: a chain, a swarm and addTasks create their children in the same step, mixed with existing ones", async () => {
      const existing = await client.asign("existing", { kwargs: { own: 1 } });
      const chain = await client.chain([existing, { taskName: "inline-step", kwargs: { step: 2 }, returnFieldName: "prev" }], { kwargs: { tenant: "t" } });
      assert.equal(chain.childCount, 2);
      const [first, second] = await client.loadSignatures(chain.childKeys);
      assert.equal(first!.key, existing.key);
      assert.equal(second!.taskName, "inline-step");
      assert.equal(second!.returnFieldName, "prev");
      assert.equal(second!.containerKey, chain.signature!.key);
      assert.deepEqual(second!.kwargs, { step: 2, tenant: "t" });

      const swarm = await client.swarm([{ taskName: "inline-child", kwargs: { i: 0 } }], { maxConcurrency: 2 });
      const more = await client.addTasks(swarm.signature!, [{ taskName: "inline-child", kwargs: { i: 1 } }, await client.asign("existing-child")], { close: true });
      assert.equal(more.childCount, 3);
      assert.equal(more.closed, true);
      const children = await client.loadSignatures(more.childKeys);
      assert.deepEqual(children.map((c) => c.taskName), ["inline-child", "inline-child", "existing-child"]);
      assert.ok(children.every((c) => c.containerKey === swarm.signature!.key));

      await assert.rejects(client.chain([{ taskName: "only-one" }]), (e: MageflowError) => e.code === Code.InvalidArgument);
    });
  });
}
