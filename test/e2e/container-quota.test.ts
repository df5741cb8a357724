import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { RunningServer } from "../../src/server/server.js";
import { startTestServer } from "../support/server.js";

// QUOTA_SIGNATURES through ContainerService: a chain or swarm that would go over is RESOURCE_EXHAUSTED QUOTA_EXCEEDED.
describe("container creation over the namespace quota through the API", () => {
  let server: RunningServer;
  let sigs: ReturnType<typeof createClient<typeof SignatureService>>;
  let containers: ReturnType<typeof createClient<typeof ContainerService>>;
  const inline = (taskName: string) => ({ source: { case: "signature" as const, value: { taskName } } });
  const quotaExceeded = (e: unknown) => {
    const err = e as ConnectError;
    const info = err.findDetails(ErrorInfoSchema)[0];
    return err.code === Code.ResourceExhausted && info?.reason === "QUOTA_EXCEEDED" && info.metadata.quota === "signatures" && info.metadata.limit === "4";
  };

  before(async () => {
    server = await startTestServer({ quotaSignatures: "4" });
    const transport = createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` });
    sigs = createClient(SignatureService, transport);
    containers = createClient(ContainerService, transport);
  });
  after(() => server?.close(1000));

  it("CreateChain, CreateSwarm and AddSwarmTasks count the container and its inline children; a refused call stores nothing", async () => {
    await assert.rejects(containers.createChain({ tasks: ["a", "b", "c", "d"].map(inline) }), quotaExceeded, "chain + 4 steps = 5");
    const { swarm } = await containers.createSwarm({ tasks: [inline("s1")], config: { maxConcurrency: 1 } });
    await assert.rejects(containers.addSwarmTasks({ key: swarm!.signature!.key, tasks: [inline("s2"), inline("s3"), inline("s4")] }), quotaExceeded, "2 stored + 3 = 5");
    const listed = await sigs.listSignatures({ pageSize: 100 });
    assert.equal(listed.signatures.length, 2, "only the swarm and its first child are stored");
    const more = await containers.addSwarmTasks({ key: swarm!.signature!.key, tasks: [inline("s2"), inline("s3")] });
    assert.equal(more.addedKeys.length, 2, "exactly at the quota");
  });
});
