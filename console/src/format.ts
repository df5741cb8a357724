import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb";
import { ContainerKind, DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb";

export const STATUSES: Status[] = [Status.PENDING, Status.ACTIVE, Status.DONE, Status.FAILED, Status.SUSPENDED, Status.INTERRUPTED, Status.CANCELED];

export const statusName = (s: Status | undefined) => (s ? Status[s].toLowerCase() : "unknown");
export const eventName = (t: EventType) => (EventType[t] ?? String(t)).toLowerCase().replace(/_/g, " ");
export const dispatchName = (d: DispatchState | undefined) => (d ? DispatchState[d].toLowerCase() : "—");

/** Badge colors: text on them passes WCAG AA (filled Mantine shades 7-9 with white text, yellow with dark text). */
export const STATUS_COLORS: Record<string, { bg: string; fg: string }> = {
  pending: { bg: "#1864ab", fg: "#ffffff" },
  active: { bg: "#5f3dc4", fg: "#ffffff" },
  done: { bg: "#237032", fg: "#ffffff" },
  failed: { bg: "#c92a2a", fg: "#ffffff" },
  suspended: { bg: "#ffd43b", fg: "#212529" },
  interrupted: { bg: "#e8590c", fg: "#ffffff" },
  canceled: { bg: "#495057", fg: "#ffffff" },
  unknown: { bg: "#dee2e6", fg: "#212529" },
};

export function time(ts: Timestamp | undefined): string {
  if (!ts) return "—";
  return timestampDate(ts).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

export const shortKey = (key: string) => key.replace(/^(\w+):(\w{8}).*$/, "$1:$2…");

export const pretty = (v: unknown) => JSON.stringify(v, null, 2);

/** `chain`, `swarm`, or `task` for a plain signature. */
export const kindName = (k: ContainerKind | undefined) => (k ? ContainerKind[k].toLowerCase() : "task");
