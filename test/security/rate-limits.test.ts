import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ConnectError } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { loadConfig } from "../../src/config.js";
import { clientsFor, outcomeOf, startSecureServer, WIRES, type SecureServer } from "./harness.js";

describe("rate limits per token", () => {
  let s: SecureServer;
  before(async () => {
    s = await startSecureServer({ rateLimitClient: "1/s:3", rateLimitReader: "off" });
  });
  after(() => s.close());
  const bearer = (ns: "alpha" | "beta", role: "client" | "reader") => `Bearer ${s.tokens.token(ns, role)}`;

  it("a token over its role's burst is RESOURCE_EXHAUSTED RATE_LIMITED with RetryInfo, on both ports; other tokens are not slowed", async () => {
    for (const wire of WIRES) {
      // The bucket is the token's, whatever the port: wait until it is full again.
      await new Promise((r) => setTimeout(r, 3100));
      const c = clientsFor(s.server, wire, bearer("alpha", "client"));
      for (let i = 0; i < 3; i++) assert.equal((await outcomeOf(c.signatures.listSignatures({}))).code, "OK", `${wire} call ${i}`);
      let error: ConnectError | undefined;
      try {
        await c.signatures.listSignatures({});
      } catch (e) {
        error = ConnectError.from(e);
      }
      assert.ok(error, `${wire}: the fourth call in a burst of 3 was answered`);
      assert.equal(error.code, 8, wire); // RESOURCE_EXHAUSTED
      const info = error.findDetails(ErrorInfoSchema)[0];
      assert.equal(info?.reason, "RATE_LIMITED", wire);
      assert.equal(info?.metadata.setting, "RATE_LIMIT_CLIENT");
      const retry = error.findDetails(RetryInfoSchema)[0];
      assert.ok(retry?.retryDelay, `${wire}: RetryInfo`);
      const delay = durationMs(retry.retryDelay);
      assert.ok(delay > 0 && delay <= 1000, `${wire}: retry in ${delay} ms`);
      // Another token of the same role, and a role without a limit, are not affected.
      assert.equal((await outcomeOf(clientsFor(s.server, wire, bearer("beta", "client")).signatures.listSignatures({}))).code, "OK");
      for (let i = 0; i < 20; i++) assert.equal((await outcomeOf(clientsFor(s.server, wire, bearer("alpha", "reader")).signatures.listSignatures({}))).code, "OK");
      await new Promise((r) => setTimeout(r, delay + 20));
      assert.equal((await outcomeOf(c.signatures.listSignatures({}))).code, "OK", `${wire}: after the retry delay`);
    }
  });

  it("the rate settings: <calls>/s or /m with an optional burst, or off; anything else refuses to start", () => {
    const rates = (v: string) => loadConfig({ rateLimitWorker: v }, {}).rateLimits.worker;
    assert.deepEqual(rates("10/s"), { perSecond: 10, burst: 10 });
    assert.deepEqual(rates("120/m:5"), { perSecond: 2, burst: 5 });
    assert.equal(rates("off"), undefined);
    for (const bad of ["10", "0/s", "-1/s", "10/h", "10/s:0", "x"]) assert.throws(() => rates(bad), /RATE_LIMIT_WORKER|--rate-limit-worker/, bad);
  });
});
