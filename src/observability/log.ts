import { trace } from "@opentelemetry/api";
import pino, { type Logger } from "pino";
import pretty from "pino-pretty";

export type LogFormat = "json" | "pretty" | "auto";
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The service's structured logs: one JSON object per line on stderr (`pretty`: human-readable,
 * the default when stderr is a terminal). Fields are named in docs/operations.md. Request bodies
 * are never logged, so neither kwargs nor results nor tokens can be.
 */
export let log: Logger = makeLogger("info", "auto");

export function configureLogging(level: LogLevel, format: LogFormat) {
  log = makeLogger(level, format);
}

/** A logger that writes into `write` (tests). */
export function logInto(write: (line: string) => void, level: LogLevel = "debug") {
  log = pino({ ...options(level) }, { write });
}

function options(level: LogLevel): pino.LoggerOptions {
  return {
    level,
    base: { service: "mageflow-signature-service" },
    messageKey: "msg",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    // The trace of whatever is being done, when tracing is on.
    mixin() {
      const sc = trace.getActiveSpan()?.spanContext();
      return sc ? { trace_id: sc.traceId, span_id: sc.spanId } : {};
    },
  };
}

function makeLogger(level: LogLevel, format: LogFormat): Logger {
  const usePretty = format === "pretty" || (format === "auto" && process.stderr.isTTY === true);
  if (usePretty) {
    return pino(options(level), pretty({ destination: 2, sync: true, colorize: process.stderr.isTTY === true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname,service" }));
  }
  return pino(options(level), pino.destination({ dest: 2, sync: true }));
}
