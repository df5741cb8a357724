import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { SignatureSchema, Status, type Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { ensureConsoleBuilt } from "./browser.js";

// The console's graph model, from console/src (its dagre comes from console/node_modules, which the
// console build installs). Imported by path so the server's typecheck does not need the console's packages.
interface GraphModel {
  buildGraph(root: string, byKey: Map<string, Signature>): {
    nodes: { key: string; sig?: Signature; root: boolean; x: number; y: number }[];
    edges: { from: string; to: string; kind: "success" | "error" | "child" }[];
    truncated: boolean;
  };
}
const modelPath = new URL("../../console/src/graph-model.ts", import.meta.url).href;

function sig(key: string, o: Partial<{ success: string[]; error: string[]; container: string; status: Status }> = {}): Signature {
  return create(SignatureSchema, {
    key,
    taskName: key.split(":")[1],
    successCallbacks: o.success ?? [],
    errorCallbacks: o.error ?? [],
    containerKey: o.container ?? "",
    taskStatus: { status: o.status ?? Status.PENDING },
  });
}

test("the graph holds the callbacks, the container and its children, laid out left to right", async () => {
  ensureConsoleBuilt();
  const { buildGraph } = (await import(modelPath)) as GraphModel;
  const all = [
    sig("T:step2", { container: "C:chain", success: ["T:notify"], error: ["T:alert"] }),
    sig("T:step1", { container: "C:chain", status: Status.DONE }),
    sig("T:step3", { container: "C:chain" }),
    sig("T:notify", { success: ["T:archive"] }),
    sig("T:archive"),
    sig("T:alert", { success: ["T:step2"] }), // a cycle back to the root is drawn once
    sig("C:chain", { status: Status.ACTIVE }),
    sig("T:unrelated"),
  ];
  const byKey = new Map(all.map((s) => [s.key, s]));
  const g = buildGraph("T:step2", byKey);

  assert.deepEqual(g.nodes.map((n) => n.key).sort(), ["C:chain", "T:alert", "T:archive", "T:notify", "T:step1", "T:step2", "T:step3"]);
  const edges = g.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort();
  assert.deepEqual(edges, [
    "C:chain -child-> T:step1",
    "C:chain -child-> T:step2",
    "C:chain -child-> T:step3",
    "T:alert -success-> T:step2",
    "T:notify -success-> T:archive",
    "T:step2 -error-> T:alert",
    "T:step2 -success-> T:notify",
  ]);
  assert.equal(g.nodes.find((n) => n.root)!.key, "T:step2");
  assert.equal(g.nodes.find((n) => n.key === "T:step1")!.sig!.taskStatus!.status, Status.DONE);
  const x = (k: string) => g.nodes.find((n) => n.key === k)!.x;
  assert.ok(x("C:chain") < x("T:step2") && x("T:step2") < x("T:notify") && x("T:notify") < x("T:archive"), "left to right");
  assert.equal(g.truncated, false);

  // A container's own graph shows its children; a callback not loaded is still a node (status unknown).
  const c = buildGraph("C:chain", byKey);
  assert.deepEqual(c.edges.filter((e) => e.kind === "child").map((e) => e.to), ["T:step1", "T:step2", "T:step3"]);
  const missing = buildGraph("T:x", new Map([["T:x", sig("T:x", { success: ["T:gone"] })]]));
  assert.equal(missing.nodes.find((n) => n.key === "T:gone")!.sig, undefined);
});

test("a large fan-out is cut at a bound and says so", async () => {
  const { buildGraph } = (await import(modelPath)) as GraphModel;
  const children = Array.from({ length: 200 }, (_, i) => sig(`T:c${i}`, { container: "C:swarm" }));
  const byKey = new Map([...children, sig("C:swarm")].map((s) => [s.key, s]));
  const g = buildGraph("C:swarm", byKey);
  assert.equal(g.truncated, true);
  assert.ok(g.nodes.length <= 80);
});
