import { Code, MageflowError } from "../../clients/typescript/src/index.js";

/** The CLI's exit codes; docs/cli.md lists them. */
export const EXIT = {
  ok: 0,
  error: 1,
  invalidArgument: 2,
  notFound: 3,
  failedPrecondition: 4,
  aborted: 5,
  unavailable: 6,
  unauthenticated: 7,
  skip: 10,
} as const;

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

/** A mistake on the command line (bad JSON, bad duration); exits 2 like a usage error. */
export class UsageError extends Error {}
