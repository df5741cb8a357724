import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { NAMESPACE_METADATA } from "../../src/server/namespaces.js";
import type { JsonObject } from "../../src/core/json.js";
import { clientsFor, fixture, outcomeOf, startSecureServer, WIRES, type SecureServer } from "./harness.js";
import { firstWatchMessage } from "./rpcs.js";

const missingKey = (i: number) => `TaskSignature:00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;

describe("limits", () => {
  let s: SecureServer;
  before(async () => {
    s = await startSecureServer({ watchMaxPerToken: "3", watchMaxPerConnection: "2", maxRequestBytes: "300000" });
  });
  after(() => s.close());
  const bearer = (ns: "alpha" | "beta", role: "admin" | "reader" | "client" = "admin") => `Bearer ${s.tokens.token(ns, role)}`;

  /** Opens a watch and waits for its first message; `close()` ends it. */
  async function openWatch(transport: ReturnType<typeof createGrpcTransport>) {
    const ac = new AbortController();
    const it = createClient(SignatureService, transport).watchSignatures({ sendInitial: true }, { signal: ac.signal })[Symbol.asyncIterator]();
    await it.next();
    return { close: () => ac.abort() };
  }
  const transport = (port: number, authorization: string) =>
    createGrpcTransport({
      baseUrl: `http://127.0.0.1:${port}`,
      interceptors: [
        (next) => (req) => {
          req.header.set("authorization", authorization);
          return next(req);
        },
      ],
    });

  for (const port of ["grpcPort", "httpPort"] as const) {
    it(`watch streams per connection (${port}): the third on one connection is TOO_MANY_WATCHES, another connection is fine`, async () => {
      const t = transport(s.server[port], bearer("alpha", "reader"));
      const open = [await openWatch(t), await openWatch(t)];
      const third = await outcomeOf(openWatch(t));
      assert.equal(third.code, "ResourceExhausted");
      assert.equal(third.reason, "TOO_MANY_WATCHES");
      assert.deepEqual(third.metadata, { scope: "connection", limit: "2" });
      const other = await openWatch(transport(s.server[port], bearer("beta", "reader")));
      other.close();
      open[0].close();
      await new Promise((r) => setTimeout(r, 100));
      (await openWatch(t)).close();
      open[1].close();
    });
  }

  it("watch streams per token: the fourth of one token is TOO_MANY_WATCHES on any connection; other tokens are not counted", async () => {
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await openWatch(transport(s.server.grpcPort, bearer("alpha"))));
    for (const port of [s.server.grpcPort, s.server.httpPort]) {
      const fourth = await outcomeOf(openWatch(transport(port, bearer("alpha"))));
      assert.equal(fourth.code, "ResourceExhausted");
      assert.deepEqual(fourth.metadata, { scope: "token", limit: "3" });
    }
    (await openWatch(transport(s.server.grpcPort, bearer("alpha", "reader")))).close();
    open.pop()!.close();
    await new Promise((r) => setTimeout(r, 100));
    open.push(await openWatch(transport(s.server.httpPort, bearer("alpha"))));
    open.forEach((w) => w.close());
  });

  it("requests over MAX_REQUEST_BYTES are RESOURCE_EXHAUSTED on every protocol (REQUEST_TOO_LARGE on the Connect port), and write nothing", async () => {
    for (const wire of WIRES) {
      const before = await s.snapshot();
      const c = clientsFor(s.server, wire, bearer("alpha"));
      const out = await outcomeOf(c.signatures.createSignature({ taskName: "big", metadata: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, "v".repeat(4000)])) }));
      assert.equal(out.code, "ResourceExhausted", `${wire}: ${JSON.stringify(out)}`);
      if (wire !== "grpc-port") assert.deepEqual([out.reason, out.metadata], ["REQUEST_TOO_LARGE", { limit: "300000" }]);
      assert.equal(await s.snapshot(), before);
    }
    // JSON as well: Connect unary and streaming.
    const json = JSON.stringify({ taskName: "big", kwargs: { x: "y".repeat(400_000) } });
    for (const [path, type, body] of [
      ["CreateSignature", "application/json", Buffer.from(json)],
      ["WatchSignatures", "application/connect+json", Buffer.concat([Buffer.from([0, 0, 6, 0x1a, 0x8f]), Buffer.from(json)])],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${s.server.httpPort}/mageflow.v1.SignatureService/${path}`, {
        method: "POST",
        headers: { "content-type": type, authorization: bearer("alpha"), "connect-protocol-version": "1" },
        body,
      });
      assert.match(await res.text(), /REQUEST_TOO_LARGE|resource_exhausted/, path);
    }
    // Without a token, too: the body is judged after the caller.
    const out = await outcomeOf(clientsFor(s.server, "grpc-web").signatures.getSignature({ key: "x".repeat(400_000) }));
    assert.equal(out.reason, "UNAUTHENTICATED");
  });

  it("errors that grow with the request are cut to fit HTTP/2 trailers (BatchGet of 1000 missing keys)", async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => missingKey(i));
    for (const wire of WIRES) {
      const c = clientsFor(s.server, wire, bearer("alpha"));
      const started = Date.now();
      const out = await outcomeOf(c.signatures.batchGetSignatures({ keys }, { timeoutMs: 5000 }));
      assert.equal(out.code, "NotFound", `${wire}: ${JSON.stringify(out).slice(0, 300)}`);
      assert.ok(Date.now() - started < 4000, wire);
      assert.ok(out.metadata!.missing.startsWith(`${keys[0]},${keys[1]},`));
      assert.ok(out.metadata!.missing.endsWith(",…") && out.metadata!.missing.length <= 520, out.metadata!.missing);
      const bad = await outcomeOf(c.signatures.listSignatures({ statuses: Array.from({ length: 2000 }, () => 99 as never) }, { timeoutMs: 5000 }));
      assert.equal(bad.code, "InvalidArgument", wire);
      assert.match(bad.message!, /at most 64 items; got 2000/);
    }
  });

  it("JSON Schema patterns run in linear time; backreferences and unbounded uniqueItems are refused", async () => {
    const c = clientsFor(s.server, "connect", bearer("alpha"));
    const { signature } = await c.signatures.createSignature({ taskName: "redos", inputSchema: { type: "object", properties: { a: { type: "string", pattern: "^(a+)+$" } } } });
    const started = Date.now();
    const out = await outcomeOf(c.signatures.runSignature({ key: signature!.key, message: { a: `${"a".repeat(40_000)}!` } }));
    assert.equal(out.code, "InvalidArgument");
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    const refused: JsonObject[] = [{ properties: { a: { pattern: "(a)\\1" } } }, { properties: { a: { pattern: "(?=a)b" } } }, { type: "array", uniqueItems: true }, { properties: { a: { pattern: "\\p{L}" } } }];
    for (const schema of refused) {
      const before = await s.snapshot();
      const bad = await outcomeOf(c.signatures.createSignature({ taskName: "redos", inputSchema: schema }));
      assert.equal(bad.code, "InvalidArgument", JSON.stringify(schema));
      assert.equal(await s.snapshot(), before);
    }
    const ok = await outcomeOf(c.signatures.createSignature({ taskName: "ok", inputSchema: { type: "array", uniqueItems: true, maxItems: 100, items: { type: "string", pattern: "^[a-z]{2,5}$" } } }));
    assert.equal(ok.code, "OK");
  });

  it("forged page tokens are INVALID_ARGUMENT, not INTERNAL", async () => {
    const c = clientsFor(s.server, "grpc-port", bearer("alpha"));
    const filter = { statuses: [], taskName: "", createdAfter: undefined, createdBefore: undefined };
    const f = createHash("sha256").update(JSON.stringify(filter)).digest("base64url").slice(0, 16);
    for (const cursor of ["not json", "{}", "null", "[1e400, {}]", '["x", 5]']) {
      const out = await outcomeOf(c.signatures.listSignatures({ pageToken: Buffer.from(JSON.stringify({ c: cursor, f })).toString("base64url") }));
      assert.equal(out.code, "InvalidArgument", cursor);
    }
  });

  it("out-of-range timestamps and durations are INVALID_ARGUMENT (they could not be read back as JSON)", async () => {
    const c = clientsFor(s.server, "grpc-port", bearer("alpha"));
    const before = await s.snapshot();
    const out = await outcomeOf(c.signatures.createSignature({ taskName: "t", creationTime: { seconds: 9_000_000_000_000n } }));
    assert.equal(out.code, "InvalidArgument");
    assert.equal(await s.snapshot(), before);
    const { key } = await fixture(await s.store("alpha"));
    assert.equal((await outcomeOf(c.signatures.lockSignature({ key, ttl: { seconds: 1n, nanos: -5 } }))).code, "InvalidArgument");
    assert.equal((await outcomeOf(c.signatures.listSignatures({ createTimeBefore: { seconds: -(2n ** 62n) } }))).code, "InvalidArgument");
  });

  it("runs of a namespace carry it to the engine as metadata mageflow_namespace, which callers may not set", async () => {
    const c = clientsFor(s.server, "connect", bearer("beta"));
    const { signature } = await c.signatures.createSignature({ taskName: "ns-meta" });
    await c.signatures.runSignature({ key: signature!.key });
    const trigger = s.dispatcher.triggered.find((t) => t.key === signature!.key)!;
    assert.equal(trigger.metadata[NAMESPACE_METADATA], "beta");
    const bad = await outcomeOf(c.signatures.createSignature({ taskName: "x", metadata: { [NAMESPACE_METADATA]: "alpha" } }));
    assert.equal(bad.code, "InvalidArgument");
  });

  it("a watch of another namespace's key shows nothing of it, even when it changes", async () => {
    const alpha = clientsFor(s.server, "connect", bearer("alpha"));
    const { signature } = await alpha.signatures.createSignature({ taskName: "secret" });
    const ac = new AbortController();
    const seen: string[] = [];
    const beta = clientsFor(s.server, "grpc-port", bearer("beta", "reader"));
    const watching = (async () => {
      try {
        for await (const m of beta.signatures.watchSignatures({ filter: { keys: [signature!.key] }, progressInterval: { nanos: 200_000_000 } }, { signal: ac.signal })) {
          for (const e of m.events) seen.push(e.key);
        }
      } catch {
        // aborted
      }
    })();
    await alpha.signatures.updateSignature({ key: signature!.key, kwargs: { changed: true } });
    await alpha.signatures.cancelSignature({ key: signature!.key });
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await watching;
    assert.deepEqual(seen, []);
    const first = (await firstWatchMessage(beta, { sendInitial: true })) as { events: { key: string }[] };
    assert.ok(!first.events.some((e) => e.key === signature!.key), "another namespace's signature in a snapshot");
  });
});
