import { execFile, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * A real Hatchet engine (hatchet-lite + PostgreSQL) for a test file, started by scripts/hatchet-engine.sh.
 * `env` holds the client settings (HATCHET_CLIENT_TOKEN, HATCHET_CLIENT_HOST_PORT, HATCHET_CLIENT_API_URL,
 * HATCHET_CLIENT_TLS_STRATEGY) for the service and for workers.
 */
export interface HatchetEngine {
  env: Record<string, string>;
  token: string;
  hostPort: string;
  apiUrl: string;
  /** The engine's state dir (logs: hatchet-lite.log, postgres.log); undefined for a reused engine. */
  dir?: string;
  /** Stops the engine this helper started (a reused one is left running). */
  stop(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SCRIPT = join(ROOT, "scripts/hatchet-engine.sh");
/** A running engine's env file (as `hatchet-engine.sh start` writes it): tests use it instead of starting one. */
const REUSE_VAR = "MAGEFLOW_TEST_HATCHET_ENV";

/** Where scripts/hatchet-build.sh puts the engine binaries. */
export function hatchetBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const cache = env.MAGEFLOW_CACHE || join(homedir(), ".cache/mageflow-signatures");
  return join(cache, "hatchet", env.HATCHET_VERSION || "v0.105.0", "bin");
}

/**
 * Why real-engine tests should be skipped, or undefined when they should run. In CI (`CI=true`) they always
 * run (and fail loudly when the engine cannot start); locally they need the built engine and PostgreSQL
 * (`npm test -- deps` or scripts/hatchet-build.sh builds it) or an engine named by MAGEFLOW_TEST_HATCHET_ENV.
 */
export function hatchetEngineSkipReason(): string | undefined {
  if (process.env[REUSE_VAR] || process.env.CI === "true") return undefined;
  if (!existsSync(join(hatchetBinDir(), "hatchet-lite"))) return `the Hatchet engine is not built (bash scripts/hatchet-build.sh); skipped locally, required in CI`;
  if (!existsSync("/usr/lib/postgresql")) return "PostgreSQL is not installed (apt-get install -y postgresql); skipped locally, required in CI";
  return undefined;
}

/** Engines this process started; stopped when it exits, however it exits. */
const started = new Set<string>();
process.once("exit", () => {
  for (const dir of started) {
    spawnSync("bash", [SCRIPT, "stop", dir], { stdio: "ignore" });
    rmSync(dirname(dir), { recursive: true, force: true });
  }
});

export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^(?:export )?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

function engineFrom(env: Record<string, string>, dir: string | undefined, stop: () => Promise<void>): HatchetEngine {
  for (const name of ["HATCHET_CLIENT_TOKEN", "HATCHET_CLIENT_HOST_PORT", "HATCHET_CLIENT_API_URL"]) {
    if (!env[name]) throw new Error(`hatchet engine env lacks ${name}`);
  }
  return { env, token: env.HATCHET_CLIENT_TOKEN!, hostPort: env.HATCHET_CLIENT_HOST_PORT!, apiUrl: env.HATCHET_CLIENT_API_URL!, dir, stop };
}

export interface EngineOptions {
  /**
   * The strict trigger settings (default true; docs/hatchet.md). `false` starts the engine with its defaults, under
   * which a trigger of a name no worker registered gets a run id that never exists; never a reused engine.
   */
  strict?: boolean;
}

/** Starts a private engine (about 6 s once built), or reuses the one MAGEFLOW_TEST_HATCHET_ENV names. */
export async function startHatchetEngine(o: EngineOptions = {}): Promise<HatchetEngine> {
  const strict = o.strict ?? true;
  const reuse = strict ? process.env[REUSE_VAR] : undefined;
  if (reuse) return engineFrom(parseEnvFile(readFileSync(reuse, "utf8")), undefined, async () => {});
  const parent = mkdtempSync(join(tmpdir(), "mageflow-hatchet-"));
  chmodSync(parent, 0o755); // PostgreSQL runs as user postgres when the tests run as root
  const dir = join(parent, "engine");
  started.add(dir);
  try {
    await promisify(execFile)("bash", [SCRIPT, "start", dir], { maxBuffer: 1 << 20, env: { ...process.env, HATCHET_ENGINE_STRICT: String(strict) } });
  } catch (e) {
    started.delete(dir);
    rmSync(parent, { recursive: true, force: true });
    throw new Error(`scripts/hatchet-engine.sh start failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  }
  const env = parseEnvFile(readFileSync(join(dir, "env"), "utf8"));
  return engineFrom(env, dir, async () => {
    if (!started.delete(dir)) return;
    await promisify(execFile)("bash", [SCRIPT, "stop", dir]);
    rmSync(parent, { recursive: true, force: true });
  });
}

/** What `runs.getDetails` answers, as far as the tests read it. */
export interface EngineRunDetails {
  status: string;
  done: boolean;
  taskRuns: Record<string, { status: string; output: unknown; error?: string }>;
}

/**
 * Polls the engine's run details (gRPC GetRunDetails) until `until` holds. NOT_FOUND is polled through: with
 * the strict trigger settings a run is written just after its trigger is answered.
 */
export async function waitForEngineRun(
  getDetails: (runId: string) => Promise<EngineRunDetails>,
  runId: string,
  until: (d: EngineRunDetails) => boolean = (d) => d.done,
  timeoutMs = 60_000,
): Promise<EngineRunDetails> {
  const deadline = Date.now() + timeoutMs;
  let last: EngineRunDetails | string = "never answered";
  while (Date.now() < deadline) {
    try {
      const d = await getDetails(runId);
      if (until(d)) return d;
      last = d;
    } catch (e) {
      if (!/NOT_FOUND/.test((e as Error).message)) throw e;
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`engine run ${runId} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
