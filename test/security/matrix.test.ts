import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { allowed } from "../../src/auth/roles.js";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { clientsFor, outcomeOf, ROLES, startSecureServer, WIRES, type Outcome, type SecureServer } from "./harness.js";
import { RPCS, type RpcCase } from "./rpcs.js";

/**
 * docs/security.md, "What a caller gets": every RPC of both services, through every protocol,
 * with no token, a wrong token, a malformed header, an admin token of another namespace and
 * each role. Every refused call leaves every namespace's store (and the engine) untouched.
 */
describe("authentication and authorization matrix", () => {
  let s: SecureServer;
  before(async () => {
    s = await startSecureServer();
  });
  after(() => s.close());

  const SERVICES = { SignatureService, WorkerService, ContainerService };
  const methodOf = (rpc: RpcCase) => SERVICES[rpc.service].methods.find((m) => m.name === rpc.method)!;

  it("covers every RPC of the three services", () => {
    const all = [...SignatureService.methods, ...WorkerService.methods, ...ContainerService.methods].map((m) => m.name).sort();
    assert.deepEqual(RPCS.map((r) => r.method).sort(), all);
  });

  /** Calls and checks that a refused call wrote nothing anywhere. */
  const refused = async (rpc: RpcCase, call: () => Promise<unknown>): Promise<Outcome> => {
    const before = await s.snapshot();
    const out = await outcomeOf(call());
    if (out.code !== "OK") assert.equal(await s.snapshot(), before, `${rpc.method} answered ${out.code} ${out.reason} but something was written`);
    return out;
  };

  for (const wire of WIRES) {
    describe(wire, () => {
      for (const rpc of RPCS) {
        it(`${rpc.method}: no token, wrong token, malformed header → UNAUTHENTICATED`, async () => {
          const alpha = await s.store("alpha");
          for (const authorization of [undefined, "Bearer mft_this-token-is-not-in-the-file", `Basic ${Buffer.from("a:b").toString("base64")}`, "Bearer", `Bearer ${s.tokens.token("alpha", "admin")}x`]) {
            const { req } = await rpc.prepare(alpha);
            const out = await refused(rpc, () => rpc.call(clientsFor(s.server, wire, authorization), req));
            assert.equal(out.code, "Unauthenticated", `${rpc.method} with ${authorization}: ${JSON.stringify(out)}`);
            assert.equal(out.reason, "UNAUTHENTICATED");
          }
        });

        for (const role of ROLES) {
          const ok = allowed(role, methodOf(rpc));
          it(`${rpc.method} as ${role} of the signature's namespace → ${ok ? "OK" : "PERMISSION_DENIED"}`, async () => {
            const { req } = await rpc.prepare(await s.store("alpha"));
            const c = clientsFor(s.server, wire, `Bearer ${s.tokens.token("alpha", role)}`);
            const out = await refused(rpc, () => rpc.call(c, req));
            if (ok) {
              assert.equal(out.code, "OK", `${rpc.method} as ${role}: ${JSON.stringify(out)}`);
            } else {
              assert.equal(out.code, "PermissionDenied", `${rpc.method} as ${role}: ${JSON.stringify(out)}`);
              assert.deepEqual(out.metadata, { role, method: `mageflow.v1.${rpc.service}/${rpc.method}` });
            }
          });
        }

        it(`${rpc.method} as admin of another namespace → the signature does not exist there`, async () => {
          const { req, key } = await rpc.prepare(await s.store("alpha"));
          const c = clientsFor(s.server, wire, `Bearer ${s.tokens.token("beta", "admin")}`);
          switch (rpc.method) {
            case "CreateSignature": {
              // Callbacks are looked up in the caller's namespace only.
              const { key: alphaKey } = await RPCS[1].prepare(await s.store("alpha"));
              const out = await refused(rpc, () => rpc.call(c, { taskName: "steal", successCallbacks: [alphaKey] }));
              assert.equal(out.code, "FailedPrecondition");
              assert.equal(out.reason, "CALLBACKS_NOT_FOUND");
              assert.equal(out.metadata?.missing, alphaKey);
              break;
            }
            case "CreateChain": {
              // Children are looked up in the caller's namespace only.
              const out = await refused(rpc, () => rpc.call(c, req));
              assert.equal(out.code, "FailedPrecondition");
              assert.equal(out.reason, "CHILD_NOT_FOUND");
              break;
            }
            case "CreateSwarm": {
              const out = await outcomeOf(rpc.call(c, req));
              assert.equal(out.code, "OK", "a swarm of inline children needs nothing of another namespace");
              break;
            }
            case "ListSignatures": {
              const before = await s.snapshot();
              const res = (await rpc.call(c, req)) as { signatures: { key: string }[] };
              assert.deepEqual(res.signatures, [], "another namespace's signatures are listed");
              assert.equal(await s.snapshot(), before);
              break;
            }
            case "WatchSignatures": {
              const before = await s.snapshot();
              const first = (await rpc.call(c, req)) as { events: unknown[]; bookmark: boolean };
              assert.deepEqual(first.events, [], "another namespace's signature is shown by watch");
              assert.equal(first.bookmark, true);
              assert.equal(await s.snapshot(), before);
              break;
            }
            default: {
              const out = await refused(rpc, () => rpc.call(c, req));
              assert.equal(out.code, "NotFound", `${rpc.method}: ${JSON.stringify(out)}`);
              assert.equal(out.reason, "SIGNATURE_NOT_FOUND");
              assert.ok(key);
            }
          }
        });
      }
    });
  }

  it("health and reflection answer without a token", async () => {
    const { createClient } = await import("@connectrpc/connect");
    const { Health, HealthCheckResponse_ServingStatus } = await import("../../gen/ts/health/v1/health_pb.js");
    for (const wire of WIRES) {
      const { transportFor } = await import("./harness.js");
      const res = await createClient(Health, transportFor(s.server, wire)).check({ service: "mageflow.v1.SignatureService" });
      assert.equal(res.status, HealthCheckResponse_ServingStatus.SERVING, wire);
    }
    const grpc = await import("@grpc/grpc-js");
    const client = new grpc.Client(`127.0.0.1:${s.server.grpcPort}`, grpc.credentials.createInsecure());
    try {
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const call = client.makeBidiStreamRequest(
          "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
          (b: Buffer) => b,
          (b: Buffer) => b,
        );
        call.on("data", (b: Buffer) => {
          resolve(b);
          call.end();
        });
        call.on("error", reject);
        call.write(Buffer.from([0x3a, 0x00])); // list_services: ""
      });
      assert.ok(reply.includes(Buffer.from("mageflow.v1.SignatureService")));
    } finally {
      client.close();
    }
  });
});
