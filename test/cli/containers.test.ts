import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startLiveServer, type LiveServer } from "../client/live-server.js";
import { mageflow, type CliResult } from "./run-cli.js";

let server: LiveServer;
const cli = (...args: string[]) => mageflow(server.baseUrl, args);
const ok = (r: CliResult) => {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  return r.stdout;
};
const create = async (task: string) => ok(await cli("create", task, "-q")).trim();

before(async () => {
  server = await startLiveServer();
});
after(async () => {
  await server?.stop();
});

describe("mageflow chain, swarm, swarm-add, swarm-close, container", () => {
  it("each --help shows an example", async () => {
    for (const c of ["chain", "swarm", "swarm-add", "swarm-close", "container"]) assert.match(ok(await cli(c, "--help")), /Examples?:\n  .*mageflow /, c);
  });

  it("a chain is created, run and shown; a swarm takes tasks until closed", async () => {
    const [a, b] = [await create("fetch"), await create("store")];
    const chain = ok(await cli("chain", a, b, "--name", "pipeline", "-q")).trim();
    assert.match(chain, /^ChainSignature:[0-9a-f-]{36}$/);
    ok(await cli("run", chain, "--message", '{"id": 1}'));
    const shown = JSON.parse(ok(await cli("container", chain, "--json")));
    assert.equal(shown.kind, "chain");
    assert.equal(shown.status, "ACTIVE");
    assert.deepEqual(shown.childKeys, [a, b]);
    assert.equal(shown.summary.pending, 2);

    const swarm = ok(await cli("swarm", await create("s1"), "--max-concurrency", "2", "-q")).trim();
    assert.match(ok(await cli("swarm-add", swarm, await create("s2"))), /added to SwarmSignature:\S+  swarm  PENDING  2 children  0 in flight  open/);
    assert.match(ok(await cli("swarm-close", swarm)), /closed$/m);
    const refused = await cli("swarm-add", swarm, await create("s3"));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /SWARM_CLOSED/);
    assert.match(ok(await cli("container", swarm)), /pending 2/);
    const bad = await cli("swarm", "--max-concurrency", "0");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--max-concurrency/);
  });
});
