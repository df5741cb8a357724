import { Code, MageflowError } from "../../clients/typescript/src/index.js";
import { EXIT, UsageError } from "./exit-codes.js";
import { paint } from "./format.js";

/** Prints a failed command's error (a line, or JSON with --json) and returns its exit code. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof UsageError || e instanceof TypeError || e instanceof SyntaxError) {
    writeError(json, { code: "INVALID_ARGUMENT", reason: "USAGE", message: e.message });
    return EXIT.invalidArgument;
  }
  const err = MageflowError.from(e);
  writeError(json, { code: err.codeName, reason: err.reason, message: err.message, metadata: err.metadata, fieldViolations: err.fieldViolations });
  return exitCodeOf(err);
}

interface ErrorReport {
  code: string;
  reason: string;
  message: string;
  metadata?: Record<string, string>;
  fieldViolations?: { field: string; description: string }[];
}

function writeError(json: boolean, r: ErrorReport) {
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: r })}\n`);
    return;
  }
  const color = process.stderr.isTTY === true;
  const head = r.reason === r.code || r.reason === "USAGE" ? r.code : `${r.code} ${r.reason}`;
  const lines = [`mageflow: ${paint(color, "red", head)}: ${r.message}`];
  for (const [k, v] of Object.entries(r.metadata ?? {})) lines.push(`  ${k}: ${v}`);
  for (const v of r.fieldViolations ?? []) lines.push(`  ${v.field}: ${v.description}`);
  process.stderr.write(`${lines.join("\n")}\n`);
}

export function exitCodeOf(err: MageflowError): number {
  switch (err.code) {
    case Code.InvalidArgument:
    case Code.OutOfRange:
      return EXIT.invalidArgument;
    case Code.NotFound:
      return EXIT.notFound;
    case Code.FailedPrecondition:
    case Code.AlreadyExists:
      return EXIT.failedPrecondition;
    case Code.Aborted:
      return EXIT.aborted;
    case Code.Unavailable:
    case Code.DeadlineExceeded:
    case Code.ResourceExhausted:
      return EXIT.unavailable;
    case Code.Unauthenticated:
    case Code.PermissionDenied:
      return EXIT.unauthenticated;
    default:
      return EXIT.error;
  }
}
