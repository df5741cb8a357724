/**
 * CPU profile of the service under load: `npx tsx bench/profile.ts [--store redis|memory]
 * [--scenario unary|get|update|create|run|watch|paced-update] [--rate 500] [--seconds 3] [--concurrency 64]` (concurrency: get only).
 *
 * Starts the server with `node --cpu-prof`, drives one scenario at c=64 from separate
 * processes (as `npm run bench` does), stops the server (the profile is written at exit)
 * and prints where the server's CPU went: by function (self), by package/file (self) and,
 * for the service's own code, inclusive time. The .cpuprofile stays in bench/results/profiles/
 * (open it in Chrome DevTools or speedscope).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { body, decode, PATH, steps } from "./lib/bodies.js";
import { h2load, loadgen } from "./lib/drivers.js";
import { ROOT, sleep, startRedis, startService } from "./lib/proc.js";
import { watchersUnderWrites } from "./lib/watchers.js";

const argv = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : def;
};
const store = opt("store", "redis");
const scenario = opt("scenario", "unary");
const seconds = Number(opt("seconds", "3"));
const top = Number(opt("top", "25"));
const conc = Number(opt("concurrency", "64"));

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Generated (line, column) → original line, from a source map's VLQ mappings. */
function decodeMappings(mappings: string): Map<number, [col: number, origLine: number][]> {
  const out = new Map<number, [number, number][]>();
  let origLine = 0;
  let src = 0;
  let origCol = 0;
  mappings.split(";").forEach((line, genLine) => {
    let genCol = 0;
    const segs: [number, number][] = [];
    for (const seg of line.split(",")) {
      if (!seg) continue;
      const vals: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(value & 1 ? -(value >> 1) : value >> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += vals[0];
      if (vals.length >= 4) {
        src += vals[1];
        origLine += vals[2];
        origCol += vals[3];
        segs.push([genCol, origLine]);
      }
    }
    if (segs.length) out.set(genLine, segs);
  });
  return out;
}

/**
 * tsx runs the sources through esbuild with minifyWhitespace (one line per file), so the
 * profile's positions are in the transformed code. Its cache (<tmp>/tsx-<uid>/) keeps each
 * transform with its source map; of a file's entries (one per version of the file) the one
 * whose code has the profiled functions at the profiled columns maps positions back to lines.
 */
function tsxLineMapper(frames: Node["callFrame"][]): (path: string, line: number, col: number) => number | undefined {
  const dir = `${tmpdir()}/tsx-${userInfo().uid}`;
  const maps = new Map<string, Map<number, [number, number][]> | null>();
  let entries: string[] | undefined;
  const load = (path: string) => {
    entries ??= (() => {
      try {
        return readdirSync(dir)
          .map((f) => `${dir}/${f}`)
          .filter((f) => statSync(f).isFile());
      } catch {
        return [];
      }
    })();
    const needle = `"sources":[${JSON.stringify(path)}]`;
    const named = frames.filter((f) => f.url === `file://${path}` && /^[\w$]+$/.test(f.functionName));
    let best: { score: number; map: Map<number, [number, number][]> } | undefined;
    for (const file of entries) {
      const text = readFileSync(file, "utf8");
      if (!text.includes(needle)) continue;
      try {
        const { code, map } = JSON.parse(text) as { code: string; map?: { mappings: string; sources: string[] } };
        if (!map || map.sources[0] !== path) continue;
        const lines = code.split("\n");
        const score = named.filter((f) => (lines[f.lineNumber] ?? "").slice(Math.max(0, f.columnNumber - 60), f.columnNumber + 20).includes(f.functionName)).length;
        if (!best || score > best.score) best = { score, map: decodeMappings(map.mappings) };
      } catch {
        /* not an entry */
      }
    }
    return best?.map ?? null;
  };
  return (path, line, col) => {
    if (!maps.has(path)) maps.set(path, load(path));
    const segs = maps.get(path)?.get(line);
    if (!segs) return undefined;
    let orig: number | undefined;
    for (const [c, l] of segs) {
      if (c > col) break;
      orig = l;
    }
    return orig === undefined ? undefined : orig + 1;
  };
}

/** `skipS`: leave out the first seconds of the profile (server start-up and setup). */
export function analyze(p: Profile, topN = 25, skipS = 0): string {
  const lineOf = tsxLineMapper(p.nodes.map((n) => n.callFrame));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const short = (url: string) =>
    url
      .replace(/^file:\/\//, "")
      .replace(ROOT, "")
      .replace(/^.*node_modules\//, "node_modules/");
  const own = (url: string) => /^(src|bench)\//.test(short(url));
  const fnKey = (n: Node) => {
    const f = n.callFrame;
    if (!f.url) return f.functionName || "(anonymous)";
    const path = f.url.replace(/^file:\/\//, "");
    const line = own(f.url) ? (lineOf(path, f.lineNumber, f.columnNumber) ?? f.lineNumber + 1) : f.lineNumber + 1;
    return `${f.functionName || "(anonymous)"} ${short(f.url)}:${line}`;
  };
  const pkgKey = (n: Node) => {
    const u = short(n.callFrame.url);
    if (!u) return n.callFrame.functionName.startsWith("(") ? n.callFrame.functionName : "(native/builtin)";
    if (u.startsWith("node:")) return u;
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
    if (m) return m[1];
    return u;
  };
  const self = new Map<string, number>();
  const pkg = new Map<string, number>();
  const incl = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let clock = 0;
  const counted = new Set<number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    clock += dt;
    if (clock < skipS * 1e6) continue;
    counted.add(i);
    const n = byId.get(p.samples[i])!;
    if (n.callFrame.functionName === "(idle)") {
      idle += dt;
      continue;
    }
    total += dt;
    self.set(fnKey(n), (self.get(fnKey(n)) ?? 0) + dt);
    pkg.set(pkgKey(n), (pkg.get(pkgKey(n)) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const a = byId.get(id)!;
      if (!own(a.callFrame.url)) continue;
      const k = fnKey(a);
      if (seen.has(k)) continue;
      seen.add(k);
      incl.set(k, (incl.get(k) ?? 0) + dt);
    }
  }
  // For the heaviest self-time functions outside src/: which src/ function (nearest on the stack) they run for.
  const via = new Map<string, Map<string, number>>();
  for (let i = 0; i < p.samples.length; i++) {
    if (!counted.has(i)) continue;
    const n = byId.get(p.samples[i])!;
    if (n.callFrame.functionName === "(idle)") continue;
    let owner = "(no src/ frame)";
    for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
      const a = byId.get(id)!;
      if (own(a.callFrame.url)) {
        owner = fnKey(a);
        break;
      }
    }
    const k = fnKey(n);
    const m = via.get(k) ?? new Map<string, number>();
    m.set(owner, (m.get(owner) ?? 0) + (p.timeDeltas[i] ?? 0));
    via.set(k, m);
  }
  const pct = (x: number) => `${((100 * x) / total).toFixed(1).padStart(5)}%`;
  const callers = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)
    .map(([k, v]) => {
      const owners = [...(via.get(k) ?? new Map()).entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([o, t]) => `${o} ${pct(t).trim()}`)
        .join("; ");
      return `  ${pct(v)}  ${k}\n           ← ${owners}`;
    })
    .join("\n");
  const list = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `  ${pct(v)}  ${k}`)
      .join("\n");
  const wall = (p.endTime - p.startTime) / 1e6;
  return [
    `profile: ${wall.toFixed(1)} s wall${skipS ? ` (first ${skipS.toFixed(1)} s left out)` : ""}, ${(total / 1e6).toFixed(2)} s on CPU (${((100 * total) / (total + idle)).toFixed(0)}% busy); shares below are of the CPU time`,
    `\nself time by package / file:\n${list(pkg, 15)}`,
    `\nself time by function:\n${list(self, topN)}`,
    `\ninclusive time of the service's own functions (src/):\n${list(incl, topN)}`,
    `\nheaviest self-time functions, by the nearest src/ function on their stack:\n${callers}`,
  ].join("\n");
}

async function main() {
  const dir = `${ROOT}bench/results/profiles/${new Date().toISOString().replace(/[:.]/g, "-")}-${store}-${scenario}`;
  mkdirSync(dir, { recursive: true });
  const redis = store === "redis" ? await startRedis() : undefined;
  const launched = Date.now();
  const srv = await startService({ redisUrl: redis?.url, cpuProfDir: dir });
  let loadFrom = 0;
  try {
    const addr = `127.0.0.1:${srv.grpcPort}`;
    const grpcBase = `http://${addr}`;
    const created = await loadgen({ addr, concurrency: 32, sequences: Array.from({ length: 1000 }, () => steps.create()), mode: "once", timing: { warmupS: 0, durationS: 60 }, capture: true });
    const base = created.captured.map((r) => decode.createdKey(r[0]));
    const T = { warmupS: 0.3, durationS: seconds };
    const run = async (what: string) => {
      if (what !== "run") loadFrom ||= (Date.now() - launched) / 1000;
      if (what === "get") return h2load({ base: grpcBase, paths: [PATH.get], protocol: "grpc", bodies: [body.get(base[0])] }, conc, T);
      if (what === "update") return h2load({ base: grpcBase, paths: [PATH.update], protocol: "grpc", bodies: base.slice(0, 64).map((k) => body.update(k)) }, 64, T);
      if (what === "suspend+resume")
        return h2load({ base: grpcBase, paths: [PATH.suspend, PATH.resume], protocol: "grpc", bodies: base.slice(64, 128).map(body.suspendOrResume) }, 64, T);
      if (what === "create") return (await loadgen({ addr, concurrency: 64, sequences: [steps.create()], mode: "cycle", timing: T })).cell;
      if (what === "run") {
        const keys = (await loadgen({ addr, concurrency: 64, sequences: Array.from({ length: 6000 }, () => steps.create()), mode: "once", timing: { warmupS: 0, durationS: 60 }, capture: true })).captured.map((r) => decode.createdKey(r[0]));
        loadFrom ||= (Date.now() - launched) / 1000;
        return (await loadgen({ addr, concurrency: 64, sequences: keys.map(steps.run), mode: "once", timing: T })).cell;
      }
      throw new Error(`unknown scenario ${what}`);
    };
    if (scenario === "paced-update") {
      loadFrom = (Date.now() - launched) / 1000;
      const rate = Number(opt("rate", "500"));
      const w = await loadgen({ addr, concurrency: 64, sequences: base.slice(0, 100).map((k, i) => [{ path: PATH.update, body: body.update(k, i) }]), mode: "cycle", rate, timing: T });
      console.error(`writer at ${rate}/s: ${JSON.stringify(w.cell)}`);
    } else if (scenario === "watch") {
      loadFrom = (Date.now() - launched) / 1000;
      const { report, writer } = await watchersUnderWrites({ addr, watchers: Number(opt("watchers", "1000")), keys: base.slice(0, 100), rate: 500, timing: { warmupS: 0.5, durationS: seconds } });
      console.error(`watchers: ${JSON.stringify(report)}`);
      console.error(`writer: ${JSON.stringify(writer)}`);
    } else {
      for (const what of scenario === "unary" ? ["get", "update", "suspend+resume", "create", "run"] : [scenario]) {
        console.error(`${what}: ${JSON.stringify(await run(what))}`);
      }
    }
  } finally {
    await srv.stop(15_000);
    await redis?.stop();
  }
  await sleep(200);
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written in ${dir}`);
  console.log(`${dir}/${file}\n`);
  console.log(analyze(JSON.parse(readFileSync(`${dir}/${file}`, "utf8")) as Profile, top, Math.max(0, loadFrom - 0.3)));
}

if (argv[0] === "--analyze") console.log(analyze(JSON.parse(readFileSync(argv[1], "utf8")) as Profile, top, Number(opt("skip", "0"))));
else if (import.meta.url === `file://${process.argv[1]}`) await main();
