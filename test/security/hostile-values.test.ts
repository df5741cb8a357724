import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { redisSkipReason, startRedisServer, type RedisServer } from "../support/redis-server.js";
import { clientsFor, fixture, outcomeOf, startSecureServer, type SecureServer, type Wire } from "./harness.js";

/** The field violations of a refused call. */
async function violations(p: Promise<unknown>): Promise<{ field: string; description: string }[]> {
  try {
    await p;
  } catch (e) {
    const ce = ConnectError.from(e);
    assert.equal(ce.code, 3, `INVALID_ARGUMENT expected, got ${ce.code}: ${ce.rawMessage}`);
    return ce.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => ({ field: v.field, description: v.description })) ?? [];
  }
  assert.fail("the call succeeded");
}

for (const backend of ["memory", "redis"] as const) {
  describe(`hostile values (${backend} store)`, { skip: backend === "redis" ? redisSkipReason() : undefined }, () => {
    let redis: RedisServer | undefined;
    let s: SecureServer;
    before(async () => {
      if (backend === "redis") redis = await startRedisServer();
      s = await startSecureServer(redis ? { redisUrl: redis.url } : {});
    });
    after(async () => {
      await s.close();
      await redis?.stop();
    });
    const clients = (wire: Wire = "connect", role: "admin" | "client" | "worker" = "admin") => clientsFor(s.server, wire, `Bearer ${s.tokens.token("alpha", role)}`);

    it("a million statuses in a filter are refused by their count, with one violation", async () => {
      const statuses = new Array(1_000_000).fill(99);
      for (const wire of ["grpc-port", "connect"] as const) {
        const v = await violations(clients(wire).signatures.listSignatures({ statuses }));
        assert.deepEqual(v, [{ field: "statuses", description: "at most 64 items; got 1000000" }], wire);
        const ac = new AbortController();
        const w = clients(wire).signatures.watchSignatures({ filter: { statuses } }, { signal: ac.signal });
        const wv = await violations((async () => { for await (const _ of w) break; })());
        assert.deepEqual(wv.map((x) => x.field), ["filter.statuses"], wire);
      }
      const masks = await violations(clients().signatures.updateSignature({ key: (await fixture(await s.store("alpha"))).key, updateMask: { paths: new Array(100_000).fill("nope") } }));
      assert.deepEqual(masks.map((x) => x.field), ["update_mask.paths"]);
    });

    it("the latest creation time JSON can carry is stored so that it still encodes: listing keeps working", async () => {
      const c = clients("grpc-port");
      const { signature } = await c.signatures.createSignature({ taskName: "far-future", creationTime: { seconds: 253_402_300_799n, nanos: 999_999_999 } });
      assert.equal(signature!.creationTime!.seconds, 253_402_300_799n);
      // The JSON protocol encodes every listed signature: one that did not encode would fail every list.
      const json = clients("connect");
      const { signatures } = await json.signatures.listSignatures({});
      assert.ok(signatures.some((x) => x.key === signature!.key));
      assert.equal((await json.signatures.getSignature({ key: signature!.key })).signature!.creationTime!.seconds, 253_402_300_799n);
    });

    it("NaN and ±Infinity are refused naming the field, and nothing is written", async () => {
      const before = await s.snapshot();
      const c = clients("grpc-port");
      assert.deepEqual(
        (await violations(c.signatures.createSignature({ taskName: "t", kwargs: { a: { b: [1, Number.NaN] } } }))).map((v) => v.field),
        ["kwargs.a.b[1]"],
      );
      const { key, runId } = await fixture(await s.store("alpha"), "active");
      const mid = await s.snapshot();
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const v = await violations(clients("grpc-port", "worker").workers.completeTask({ key, runId, result: { kind: { case: "numberValue", value: bad } } }));
        assert.deepEqual(v.map((x) => x.field), ["result"]);
      }
      const { key: pending } = await fixture(await s.store("alpha"));
      const mid2 = await s.snapshot();
      assert.deepEqual((await violations(c.signatures.runSignature({ key: pending, message: { x: [Number.POSITIVE_INFINITY] } }))).map((v) => v.field), ["message.x[0]"]);
      assert.deepEqual((await violations(c.signatures.updateSignature({ key: pending, kwargs: { y: Number.NEGATIVE_INFINITY } }))).map((v) => v.field), ["kwargs.y"]);
      assert.equal(await s.snapshot(), mid2);
      assert.notEqual(before, mid);
      const record = await (await s.store("alpha")).get(key);
      assert.equal(record!.run!.result, undefined);
      assert.equal((await outcomeOf(c.signatures.getSignature({ key }))).code, "OK");
    });
  });
}
