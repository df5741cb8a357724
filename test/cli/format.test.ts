import assert from "node:assert/strict";
import { it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { exitCodeOf } from "../../src/cli/error-report.js";
import { EXIT } from "../../src/cli/exit-codes.js";
import { relTime, table } from "../../src/cli/format.js";
import { durationMs, jsonObject, keyValues } from "../../src/cli/parse.js";
import { statuses } from "../../src/cli/status-option.js";
import { MageflowError, parseStatus, Status } from "../../clients/typescript/src/index.js";

it("relTime reads like a person would say it", () => {
  const now = Date.parse("2026-01-01T12:00:00Z");
  const at = (ms: number) => timestampFromDate(new Date(now + ms));
  assert.equal(relTime(at(-400), now), "just now");
  assert.equal(relTime(at(-5_000), now), "5s ago");
  assert.equal(relTime(at(-3 * 60_000 - 10), now), "3m ago");
  assert.equal(relTime(at(24 * 3_600_000 - 1000), now), "in 23h");
  assert.equal(relTime(at(-2 * 86_400_000), now), "2d ago");
  assert.equal(relTime(undefined, now), "-");
});

it("table pads columns by their visible width", () => {
  assert.equal(table(["A", "BB"], [["\x1b[31mx\x1b[0m", "y"], ["long", "z"]], false), "A     BB\n\x1b[31mx\x1b[0m     y\nlong  z");
});

it("parses the command line's JSON, durations, pairs and statuses", () => {
  assert.deepEqual(jsonObject('{"a":1}', "--kwargs"), { a: 1 });
  assert.throws(() => jsonObject("[]", "--kwargs"), /must be a JSON object/);
  assert.equal(durationMs("30s", "--ttl"), 30_000);
  assert.equal(durationMs("2m", "--ttl"), 120_000);
  assert.equal(durationMs("250ms", "--ttl"), 250);
  assert.equal(durationMs("5", "--ttl"), 5_000);
  assert.throws(() => durationMs("soon", "--ttl"), /--ttl/);
  assert.deepEqual(keyValues(["a=1", "b=x=y"], "--metadata"), { a: "1", b: "x=y" });
  assert.throws(() => keyValues(["nope"], "--metadata"), /KEY=VALUE/);
  assert.deepEqual(statuses(["pending,DONE", "STATUS_FAILED"]), [Status.PENDING, Status.DONE, Status.FAILED]);
  assert.throws(() => statuses(["unspecified"]), /unknown status/);
  assert.equal(parseStatus("suspended"), Status.SUSPENDED);
});

it("MageflowError reads ErrorInfo and BadRequest, and exit codes follow the code", () => {
  const wire = new ConnectError("signature X is locked", Code.Aborted, undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: "SIGNATURE_LOCKED", domain: "mageflow.dev", metadata: { owner: "ops" } }) },
    { desc: BadRequestSchema, value: create(BadRequestSchema, { fieldViolations: [{ field: "key", description: "bad" }] }) },
  ]);
  const err = MageflowError.from(wire);
  assert.deepEqual([err.code, err.codeName, err.reason, err.domain, err.message], [Code.Aborted, "ABORTED", "SIGNATURE_LOCKED", "mageflow.dev", "signature X is locked"]);
  assert.deepEqual(err.metadata, { owner: "ops" });
  assert.deepEqual(err.fieldViolations, [{ field: "key", description: "bad" }]);
  assert.equal(err.retryable, true);
  const bare = MageflowError.from(new Error("boom"));
  assert.deepEqual([bare.codeName, bare.reason, bare.domain], ["UNKNOWN", "UNKNOWN", ""]);

  const codeFor = (code: Code) => exitCodeOf(new MageflowError("", code, ""));
  assert.equal(codeFor(Code.InvalidArgument), EXIT.invalidArgument);
  assert.equal(codeFor(Code.NotFound), 3);
  assert.equal(codeFor(Code.FailedPrecondition), 4);
  assert.equal(codeFor(Code.Aborted), 5);
  assert.equal(codeFor(Code.Unavailable), 6);
  assert.equal(codeFor(Code.Unauthenticated), 7);
  assert.equal(codeFor(Code.Internal), 1);
});
