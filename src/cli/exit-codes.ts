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

/** A mistake on the command line (bad JSON, bad duration); exits 2 like a usage error. */
export class UsageError extends Error {}
