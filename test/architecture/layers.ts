// The import-direction check of docs/architecture.md: which layer of src/ may import which, and no
// import cycles. Layers are the first folder under src/ (src/config.ts and src/main.ts are their own);
// gen/ (generated code) and packages may be imported by every layer.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

/** Each layer and the layers it may import (besides itself, gen/ and packages). */
export const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  observability: [],
  store: ["core"],
  watch: ["store", "core"],
  dispatch: ["store", "core", "observability"],
  auth: ["core"],
  api: ["watch", "store", "core"],
  config: ["auth", "core"],
  mcp: ["client", "auth", "core"],
  web: ["mcp", "auth", "config", "core"],
  server: ["web", "api", "auth", "watch", "dispatch", "store", "core", "config", "observability"],
  client: [],
  worker: [],
  cli: ["client", "mcp", "server", "config", "auth", "observability"],
  main: ["cli"],
};

const CLIENT_PACKAGE = "../clients/typescript/src/";

/** Folders inside one layer that must not import each other: the two stores share only src/store/*.ts. */
const SIBLINGS_APART: readonly (readonly [string, string])[] = [
  ["store/memory", "store/redis"],
  ["store/redis", "store/memory"],
];

export interface Edge {
  from: string;
  to: string;
}

/** Every relative import between .ts files under `srcDir` (paths relative to it; imports leaving it are relative to it too). */
export function importGraph(srcDir: string): Edge[] {
  const edges: Edge[] = [];
  for (const file of tsFiles(srcDir)) {
    const text = readFileSync(path.join(srcDir, file), "utf8");
    for (const { fileName } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const target = path.normalize(path.join(path.dirname(file), fileName)).replace(/\.js$/, ".ts");
      edges.push({ from: file, to: target.split(path.sep).join("/") });
    }
  }
  return edges;
}

function tsFiles(dir: string, sub = ""): string[] {
  return readdirSync(path.join(dir, sub), { withFileTypes: true }).flatMap((d) => {
    const rel = sub ? `${sub}/${d.name}` : d.name;
    if (d.isDirectory()) return tsFiles(dir, rel);
    return d.name.endsWith(".ts") ? [rel] : [];
  });
}

function layerOf(file: string): string {
  const [first] = file.split("/");
  return first.endsWith(".ts") ? first.slice(0, -3) : first;
}

/** Imports that point the wrong way, and import cycles, as readable lines (empty when the layers are straight). */
export function layerViolations(srcDir: string): string[] {
  const edges = importGraph(srcDir);
  const out: string[] = [];
  for (const { from, to: imported } of edges) {
    // The client layer is the npm package's source, clients/typescript/src/.
    const to = imported.startsWith(CLIENT_PACKAGE) ? `client/${imported.slice(CLIENT_PACKAGE.length)}` : imported;
    if (to.startsWith("../")) {
      if (!to.startsWith("../gen/")) out.push(`${from} imports ${to}, outside src/ and gen/`);
      continue;
    }
    const [a, b] = [layerOf(from), layerOf(to)];
    if (!(a in ALLOWED)) out.push(`${from} is in no layer (add ${a} to ALLOWED in test/architecture/layers.ts and docs/architecture.md)`);
    else if (a !== b && !ALLOWED[a].includes(b)) out.push(`${from} imports ${to}: layer ${a} may not import ${b} (allowed: ${ALLOWED[a].join(", ") || "none"})`);
    for (const [x, y] of SIBLINGS_APART) if (from.startsWith(`${x}/`) && to.startsWith(`${y}/`)) out.push(`${from} imports ${to}: ${x} may not import ${y}`);
  }
  for (const cycle of cycles(edges)) out.push(`import cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  return out;
}

/** The strongly connected components with more than one file (Tarjan). */
function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.reverse());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}
