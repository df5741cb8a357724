import { EventType } from "../../../gen/ts/mageflow/v1/event_pb.js";
import { DispatchState, Status } from "../../../gen/ts/mageflow/v1/signature_pb.js";

/** A status as the enum value, or its name in any case, with or without the `STATUS_` prefix. */
export type StatusLike = Status | keyof typeof Status | Lowercase<keyof typeof Status> | `STATUS_${keyof typeof Status}`;

export function parseStatus(s: StatusLike | string): Status {
  if (typeof s === "number") return s;
  const name = s.trim().toUpperCase().replace(/^STATUS_/, "");
  const value = (Status as unknown as Record<string, number>)[name];
  if (value === undefined || value === Status.UNSPECIFIED) {
    throw new TypeError(`unknown status ${JSON.stringify(s)}: one of ${statusNames().join(", ").toLowerCase()}`);
  }
  return value as Status;
}

export function statusNames(): string[] {
  return Object.keys(Status).filter((k) => isNaN(Number(k)) && k !== "UNSPECIFIED");
}

/** `PENDING` for Status.PENDING; empty for UNSPECIFIED. */
export const statusName = (s: Status | undefined): string => (s ? (Status[s] ?? String(s)) : "");

/** `RUN_QUEUED` for EventType.RUN_QUEUED. */
export const eventTypeName = (t: EventType): string => EventType[t] ?? String(t);

/** `QUEUED` for DispatchState.QUEUED; empty for UNSPECIFIED. */
export const dispatchStateName = (d: DispatchState | undefined): string => (d ? (DispatchState[d] ?? String(d)) : "");
