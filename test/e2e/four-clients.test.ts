import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { ServiceError as GrpcError } from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { SignatureService, type GetSignatureResponse } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { RunningServer } from "../../src/server/server.js";
import { grpcJsClient } from "../support/grpc-client.js";
import { startTestServer } from "../support/server.js";

const run = promisify(execFile);

/** The same scenario through every way in: create, get, list, then bad input and an unknown key. */
describe("one scenario through four clients", () => {
  let server: RunningServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close(1000));

  const connectScenario = (name: string, transport: () => Transport) =>
    it(`${name} creates, gets, lists and gets errors with ErrorInfo`, async () => {
      const client = createClient(SignatureService, transport());
      const taskName = `task-${name}`;
      const { signature } = await client.createSignature({ taskName, kwargs: { n: 1, nested: { ok: true } } });
      assert.match(signature!.key, /^TaskSignature:/);
      const got = await client.getSignature({ key: signature!.key });
      assert.deepEqual(got.signature!.kwargs, { n: 1, nested: { ok: true } });
      assert.equal(got.signature!.taskStatus!.status, Status.PENDING);
      const listed = await client.listSignatures({ taskName });
      assert.deepEqual(listed.signatures.map((s) => s.key), [signature!.key]);

      const bad = await client.createSignature({ taskName: "" }).catch((e) => e as ConnectError);
      assert.ok(bad instanceof ConnectError);
      assert.equal(bad.code, Code.InvalidArgument);
      assert.equal(bad.findDetails(ErrorInfoSchema)[0].reason, "INVALID_ARGUMENT");
      assert.equal(bad.findDetails(BadRequestSchema)[0].fieldViolations[0].field, "task_name");

      const missing = await client.getSignature({ key: "TaskSignature:00000000-0000-4000-8000-000000000000" }).catch((e) => e as ConnectError);
      assert.equal((missing as ConnectError).code, Code.NotFound);
      const info = (missing as ConnectError).findDetails(ErrorInfoSchema)[0];
      assert.equal(info.reason, "SIGNATURE_NOT_FOUND");
      assert.equal(info.domain, "mageflow.dev");
    });

  connectScenario("Connect (HTTP/1.1)", () => createConnectTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` }));
  connectScenario("gRPC-Web (HTTP/1.1)", () => createGrpcWebTransport({ httpVersion: "1.1", baseUrl: `http://127.0.0.1:${server.httpPort}` }));
  connectScenario("gRPC over h2c on the HTTP port", () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}` }));
  connectScenario("gRPC protocol on the native gRPC port", () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpcPort}` }));

  it("@grpc/grpc-js on PORT: same answers, errors with grpc-status-details-bin", async () => {
    const c = grpcJsClient(SignatureService, `127.0.0.1:${server.grpcPort}`);
    try {
      const created = (await c.unary("CreateSignature", { taskName: "grpc-js", kwargs: { a: "b" } })) as unknown as { signature: { key: string } };
      const got = (await c.unary("GetSignature", { key: created.signature.key })) as GetSignatureResponse;
      assert.deepEqual(got.signature!.kwargs, { a: "b" });
      const err = (await c.unary("GetSignature", { key: "nope" }).catch((e) => e)) as GrpcError;
      assert.equal(err.code, Code.InvalidArgument);
      const status = fromBinary(StatusSchema, err.metadata.get("grpc-status-details-bin")[0] as Buffer);
      assert.ok(status.details.some((d) => d.typeUrl.endsWith("google.rpc.BadRequest")));
    } finally {
      c.close();
    }
  });

  it("curl with JSON on HTTP_PORT: create, get, list; unknown fields rejected", async () => {
    const url = (m: string) => `http://127.0.0.1:${server.httpPort}/mageflow.v1.SignatureService/${m}`;
    const post = async (m: string, body: object) => {
      const { stdout } = await run("curl", ["-s", "-X", "POST", url(m), "-H", "content-type: application/json", "-d", JSON.stringify(body)]);
      return JSON.parse(stdout);
    };
    const created = await post("CreateSignature", { taskName: "curl-task", kwargs: { from: "curl" } });
    assert.equal(created.signature.taskStatus.status, "STATUS_PENDING");
    const got = await post("GetSignature", { key: created.signature.key });
    assert.deepEqual(got.signature.kwargs, { from: "curl" });
    const listed = await post("ListSignatures", { taskName: "curl-task" });
    assert.equal(listed.signatures.length, 1);
    const unknown = await post("CreateSignature", { taskName: "x", bogus: 1 });
    assert.equal(unknown.code, "invalid_argument");
    const before = await post("ListSignatures", { taskName: "x" });
    assert.equal(before.signatures?.length ?? 0, 0, "a rejected request writes nothing");
  });
});
