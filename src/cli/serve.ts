import type { Command } from "commander";
import { ConfigError, flagName, loadConfig, SETTINGS, type Config, type SettingName } from "../config.js";
import { configureLogging, log, type LogLevel } from "../observability/log.js";
import { StoreSettingError } from "../server/namespace-opener.js";
import { startServer } from "../server/server.js";
import { runWorkersPrimary, workerPorts, type WorkerListening } from "./serve-workers.js";
import cluster from "node:cluster";

/** `mageflow serve`: every setting as a flag, with its environment variable and default in the help. */
export function addServeCommand(program: Command) {
  const cmd = program.command("serve").description("run the signature service (embedded store unless REDIS_URL is set)");
  for (const [name, [env, , def]] of Object.entries(SETTINGS)) {
    cmd.option(`${flagName(name)} <value>`, `env ${env}${def === undefined ? "" : `, default ${def}`}`);
  }
  cmd.addHelpText("after", "\nExample:\n  mageflow serve --port 50051 --http-port 8080 --redis-url redis://127.0.0.1:6379\n");
  cmd.action(async (flags: Partial<Record<SettingName, string>>) => {
    let config;
    try {
      config = loadConfig(flags, process.env);
    } catch (e) {
      if (e instanceof ConfigError) {
        console.error(`mageflow: ${e.message}`);
        process.exit(2);
      }
      throw e;
    }
    configureLogging(config.log.level as LogLevel, config.log.format);
    if (config.workers > 1 && cluster.isPrimary) return runWorkersPrimary(config, config.workers);
    const ports = workerPorts();
    if (ports) config = { ...config, ...ports };
    let server;
    try {
      server = await startServer(config);
    } catch (e) {
      const bad = badSetting(e, config);
      if (!bad) throw e;
      console.error(`mageflow: ${bad}`);
      process.exit(2);
    }
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "shutting down");
      server.close().then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    // The one line on stdout: scripts wait for it (the logs go to stderr). A worker tells its primary instead.
    const line = `mageflow listening grpc=${config.host}:${server.grpcPort} http=${config.host}:${server.httpPort} store=${server.storeKind} dispatcher=${server.dispatcher.name}`;
    if (cluster.isWorker) process.send!({ kind: "mageflow-listening", grpcPort: server.grpcPort, httpPort: server.httpPort, line } satisfies WorkerListening);
    else console.log(line);
  });
}

/** A start failure caused by a setting (a port in use, an address not here, a TLS file missing), or undefined. */
function badSetting(e: unknown, config: Config): string | undefined {
  if (e instanceof StoreSettingError) return e.message;
  const err = e as NodeJS.ErrnoException & { port?: number; path?: string };
  if (err.syscall === "listen" || err.syscall === "bind") {
    const which = err.port === config.httpPort ? "HTTP_PORT" : err.port === config.port ? "PORT" : "PORT/HTTP_PORT";
    return `cannot listen on ${config.host}:${err.port ?? "?"} (${err.code}): check HOST and ${which}`;
  }
  if (err.syscall === "open" && err.path) return `cannot read ${err.path} (${err.code}): check TLS_CERT, TLS_KEY and TLS_CA`;
  return undefined;
}
