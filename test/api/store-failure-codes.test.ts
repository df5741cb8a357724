/**
 * A store call that fails because Redis went away (a failover, a restart, a dropped connection) is
 * UNAVAILABLE with reason STORE_UNAVAILABLE, so clients retry it (with the same request id); only a bug is
 * INTERNAL. The messages are the ones ioredis raises, as seen during a Sentinel failover.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { toConnectError } from "../../src/api/to-connect-error.js";

function abortError(message: string): Error {
  const e = new Error(message);
  e.name = "AbortError";
  return e;
}

const storeFailures: [string, Error][] = [
  ["an in-flight command when the connection closes", abortError("Command aborted due to connection close")],
  ["a closed connection", new Error("Connection is closed.")],
  ["an offline client without a queue", new Error("Stream isn't writeable and enableOfflineQueue options is false")],
  ["a demoted primary", new Error("READONLY You can't write against a read only replica.")],
  ["a primary without its replicas", new Error("NOREPLICAS Not enough good replicas to write.")],
  ["a loading replica", new Error("LOADING Redis is loading the dataset in memory")],
  ["a cluster without a slot owner", new Error("CLUSTERDOWN The cluster is down")],
];

for (const [what, err] of storeFailures) {
  test(`${what} is UNAVAILABLE / STORE_UNAVAILABLE`, () => {
    const ce = toConnectError(err);
    assert.equal(ce.code, Code.Unavailable);
    assert.equal(ce.findDetails(ErrorInfoSchema)[0]?.reason, "STORE_UNAVAILABLE");
  });
}

test("anything else is INTERNAL and says nothing of its cause", () => {
  const ce = toConnectError(new TypeError("Cannot read properties of undefined (reading 'key')"));
  assert.equal(ce.code, Code.Internal);
  assert.equal(ce.rawMessage, "internal error");
});
