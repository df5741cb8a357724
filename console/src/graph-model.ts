import { Graph, layout } from "@dagrejs/dagre";
import type { Signature } from "../../gen/ts/mageflow/v1/signature_pb";

export type EdgeKind = "success" | "error" | "child";

export interface GraphNode {
  key: string;
  sig: Signature | undefined;
  root: boolean;
  x: number;
  y: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** A child's place among its container's children, from 1 (creation order). */
  n?: number;
}

export const NODE_W = 220;
export const NODE_H = 64;
/** Callback levels followed from the signature, and most nodes drawn. */
const MAX_DEPTH = 4;
const MAX_NODES = 80;

/**
 * The signature, its success and error callbacks (and theirs, a few levels down), its
 * container with the container's children, and its own children if it is a container.
 * Laid out left to right by dagre.
 */
export function buildGraph(rootKey: string, byKey: Map<string, Signature>): { nodes: GraphNode[]; edges: GraphEdge[]; truncated: boolean } {
  const keys: string[] = [];
  const seen = new Set<string>();
  const edges: GraphEdge[] = [];
  let truncated = false;
  const add = (k: string) => {
    if (seen.has(k)) return true;
    if (keys.length >= MAX_NODES) {
      truncated = true;
      return false;
    }
    seen.add(k);
    keys.push(k);
    return true;
  };
  const members = (container: string) => {
    const out: string[] = [];
    const found: Signature[] = [];
    for (const s of byKey.values()) if (s.containerKey === container) found.push(s);
    // Creation order (a chain's children are created in its order), then key.
    const ms = (s: Signature) => (s.creationTime ? Number(s.creationTime.seconds) * 1e3 + s.creationTime.nanos / 1e6 : 0);
    found.sort((a, b) => ms(a) - ms(b) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    for (const s of found) out.push(s.key);
    return out;
  };

  const visit = (k: string, depth: number) => {
    const s = byKey.get(k);
    if (!s || depth >= MAX_DEPTH) return;
    for (const [list, kind] of [
      [s.successCallbacks, "success"],
      [s.errorCallbacks, "error"],
    ] as const) {
      for (const cb of list) {
        const fresh = !seen.has(cb);
        if (!add(cb)) continue;
        edges.push({ from: k, to: cb, kind });
        if (fresh) visit(cb, depth + 1);
      }
    }
  };

  add(rootKey);
  const root = byKey.get(rootKey);
  if (root?.containerKey) {
    add(root.containerKey);
    members(root.containerKey).forEach((m, i) => add(m) && edges.push({ from: root.containerKey, to: m, kind: "child", n: i + 1 }));
  }
  members(rootKey).forEach((m, i) => add(m) && edges.push({ from: rootKey, to: m, kind: "child", n: i + 1 }));
  visit(rootKey, 0);

  const g = new Graph({ multigraph: true });
  g.setGraph({ rankdir: "LR", nodesep: 24, ranksep: 70 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const k of keys) g.setNode(k, { width: NODE_W, height: NODE_H });
  edges.forEach((e, i) => g.setEdge(e.from, e.to, {}, String(i)));
  layout(g);
  const nodes = keys.map((k) => {
    const n = g.node(k);
    return { key: k, sig: byKey.get(k), root: k === rootKey, x: n.x - NODE_W / 2, y: n.y - NODE_H / 2 };
  });
  return { nodes, edges, truncated };
}
