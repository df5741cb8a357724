import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SignatureService, WatchSignaturesRequestSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { spawnServer, type ServerProcess } from "../support/spawn-server.js";
import { makeTokens, outcomeOf } from "./harness.js";
import { envelope } from "./wire.js";

/**
 * One `client` token, within its quotas, cannot kill a server with a 384 MB heap: updates of
 * 200 KiB kwargs while a watcher that never reads holds its stream open, until the quota answers.
 */
describe("a heavy client against a 384 MB heap", { timeout: 600_000 }, () => {
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.stop();
  });

  it("the bytes quota answers QUOTA_EXCEEDED before the heap runs out; the process stays up and serving", async () => {
    const tokens = makeTokens();
    server = await spawnServer(["--auth-tokens-file", tokens.file], { NODE_OPTIONS: "--max-old-space-size=384" });
    const authorization = `Bearer ${tokens.token("alpha", "client")}`;
    // A watcher that never reads: its stream stays open, the server's writes to it block.
    const h2 = http2.connect(`http://127.0.0.1:${server.grpcPort}`);
    h2.on("error", () => {});
    const stuck = h2.request({ ":method": "POST", ":path": "/mageflow.v1.SignatureService/WatchSignatures", "content-type": "application/grpc", te: "trailers", authorization });
    stuck.on("error", () => {});
    stuck.end(envelope(toBinary(WatchSignaturesRequestSchema, create(WatchSignaturesRequestSchema, {}))));
    stuck.pause();

    const c = createClient(
      SignatureService,
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}`, interceptors: [(next) => (req) => (req.header.set("authorization", authorization), next(req))] }),
    );
    const kwargs = (i: number) => ({ blob: `${i}`.padEnd(200 * 1024, "x") });
    let answer = { code: "OK" } as Awaited<ReturnType<typeof outcomeOf>>;
    let calls = 0;
    for (let i = 0; i < 5000 && answer.code === "OK"; i++) {
      let key = "";
      answer = await outcomeOf(c.createSignature({ taskName: "heavy", kwargs: kwargs(i) }).then((r) => (key = r.signature!.key)));
      calls++;
      if (answer.code === "OK") {
        answer = await outcomeOf(c.updateSignature({ key, kwargs: kwargs(i + 1), updateMask: { paths: ["kwargs"] } }));
        calls++;
      }
    }
    assert.equal(answer.code, "ResourceExhausted", `after ${calls} calls: ${JSON.stringify(answer)}`);
    assert.equal(answer.reason, "QUOTA_EXCEEDED");
    assert.equal(server.proc.exitCode, null, "the server is alive");
    assert.equal((await outcomeOf(c.listSignatures({ pageSize: 1 }))).code, "OK", "and serving");
    stuck.close();
    h2.close();
  });
});
