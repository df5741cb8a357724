import { parseStatus, statusNames, type StatusLike } from "../../clients/typescript/src/index.js";
import { UsageError } from "./exit-codes.js";

/** `--status pending,done --status failed` into statuses. */
export function statuses(names: string[] = []): StatusLike[] {
  return names.flatMap((n) => n.split(",")).map((n) => {
    try {
      return parseStatus(n);
    } catch {
      throw new UsageError(`--status: unknown status ${JSON.stringify(n)}; one of ${statusNames().join(", ").toLowerCase()}`);
    }
  });
}
