import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";

export { Status };

export const TERMINAL: readonly Status[] = [Status.DONE, Status.FAILED, Status.CANCELED];
export const NON_TERMINAL: readonly Status[] = [Status.PENDING, Status.ACTIVE, Status.SUSPENDED, Status.INTERRUPTED];
export const ALL_STATUSES: readonly Status[] = [...NON_TERMINAL, ...TERMINAL];

export const isTerminal = (s: Status) => TERMINAL.includes(s);

export const statusName = (s: Status) => Status[s] ?? String(s);

export type TransitionName = "suspend" | "resume" | "interrupt" | "cancel";

/**
 * One row of the transition table (docs/semantics.md) for a lifecycle operation. Both stores execute rules given as
 * data: the Redis scripts receive these sets as arguments, nothing is restated in Lua.
 */
export interface TransitionRule {
  name: TransitionName;
  to: Status;
  /** Statuses the operation moves from. */
  from: readonly Status[];
  /** Statuses where the operation is an idempotent success that changes nothing. */
  noop: readonly Status[];
  /** Specific error reasons for some refused statuses; the rest get INVALID_TRANSITION. */
  reasons: Partial<Record<Status, string>>;
  /** Cancel the in-flight run at the engine. */
  cancelRun: boolean;
  /** Re-dispatch the stored last_input as a new run, if the signature was dispatched. */
  redispatch: boolean;
  /** Retire both callback trees (as RemoveSignature does). */
  retireCallbacks: boolean;
}

export const TRANSITIONS: Record<TransitionName, TransitionRule> = {
  suspend: {
    name: "suspend",
    to: Status.SUSPENDED,
    from: [Status.PENDING],
    noop: [Status.SUSPENDED],
    reasons: { [Status.ACTIVE]: "TASK_ALREADY_RUNNING" },
    cancelRun: false,
    redispatch: false,
    retireCallbacks: false,
  },
  interrupt: {
    name: "interrupt",
    to: Status.INTERRUPTED,
    from: [Status.PENDING, Status.ACTIVE, Status.SUSPENDED],
    noop: [Status.INTERRUPTED],
    reasons: {},
    cancelRun: true,
    redispatch: false,
    retireCallbacks: false,
  },
  resume: {
    name: "resume",
    to: Status.PENDING,
    from: [Status.SUSPENDED, Status.INTERRUPTED],
    noop: [Status.PENDING],
    reasons: {},
    cancelRun: false,
    redispatch: true,
    retireCallbacks: false,
  },
  cancel: {
    name: "cancel",
    to: Status.CANCELED,
    from: NON_TERMINAL,
    noop: [],
    reasons: {},
    cancelRun: true,
    redispatch: false,
    retireCallbacks: true,
  },
};

/** The reason a rule refuses a status with. */
export const refusalReason = (rule: TransitionRule, s: Status) => rule.reasons[s] ?? "INVALID_TRANSITION";

/** Where a status may go through the lifecycle operations and the worker reports. */
export const LEGAL_STATUS_CHANGES: ReadonlyArray<readonly [Status, Status]> = [
  ...Object.values(TRANSITIONS).flatMap((r) => r.from.map((f) => [f, r.to] as const)),
  [Status.PENDING, Status.ACTIVE],
  [Status.ACTIVE, Status.DONE],
  [Status.ACTIVE, Status.FAILED],
  [Status.PENDING, Status.FAILED],
];
