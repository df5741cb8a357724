import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";

export { Status };

// Every status set and rule of the state machine (docs/semantics.md). The memory store calls these; the Redis
// scripts get them as generated Lua tables (store/redis/lua-source.ts) and name no status themselves.

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

export type RunStepName = "start" | "complete" | "fail";

/** The worker's reports that change a status: the status the run must be in, and the one it leads to. */
export const RUN_STEPS: Record<RunStepName, { readonly from: Status; readonly to: Status }> = {
  /** StartTask answered RUN. */
  start: { from: Status.PENDING, to: Status.ACTIVE },
  /** CompleteTask. */
  complete: { from: Status.ACTIVE, to: Status.DONE },
  /** A final FailTask; also where a run the engine refused for good before it started ends (failDispatch). */
  fail: { from: Status.ACTIVE, to: Status.FAILED },
};

/** The statuses CreateSignature accepts. */
export const INITIAL_STATUSES: readonly Status[] = [Status.PENDING, Status.SUSPENDED];

/** Statuses a signature's first run (RunSignature, or a callback's dispatch) may start from. */
export const RUNNABLE: readonly Status[] = [Status.PENDING, Status.SUSPENDED];

/** Statuses in which a run is parked instead of sent: Resume sends it. */
export const PARKING: readonly Status[] = [Status.SUSPENDED];

/** The dispatch state a new run starts in, by the signature's status. */
export const newRunState = (s: Status) => (PARKING.includes(s) ? DispatchState.PARKED : DispatchState.QUEUED);

/** Statuses whose queued run may still be sent to the engine; any other status withdraws it. */
export const DISPATCHABLE: readonly Status[] = [Status.PENDING];

/** Whether a queued run of a signature may (still) be sent to the engine. */
export const isDispatchable = (s: Status, removed: boolean) => !removed && DISPATCHABLE.includes(s);

/** Statuses whose engine run is in flight: an operation with `cancelRun` leaving them cancels it at the engine. */
export const IN_FLIGHT: readonly Status[] = [Status.PENDING, Status.ACTIVE, Status.SUSPENDED];

/** Statuses whose engine run is cancelled as soon as the dispatcher records it (as is a removed signature's). */
export const CANCEL_ON_DISPATCH: readonly Status[] = [Status.INTERRUPTED, Status.CANCELED];

/** Where a status may go through the lifecycle operations, the worker's reports and a refused dispatch. */
export const LEGAL_STATUS_CHANGES: ReadonlyArray<readonly [Status, Status]> = [
  ...Object.values(TRANSITIONS).flatMap((r) => r.from.map((f) => [f, r.to] as const)),
  ...Object.values(RUN_STEPS).map((s) => [s.from, s.to] as const),
  ...DISPATCHABLE.map((s) => [s, RUN_STEPS.fail.to] as const),
];

/** StartTask's SKIP reason for a run reported in these statuses. */
export const START_SKIP_REASONS: Partial<Record<Status, string>> = {
  [Status.SUSPENDED]: "SIGNATURE_SUSPENDED",
  [Status.INTERRUPTED]: "SIGNATURE_INTERRUPTED",
  [Status.CANCELED]: "SIGNATURE_CANCELED",
  [Status.DONE]: "RUN_FINISHED",
  [Status.FAILED]: "RUN_FINISHED",
};

/**
 * A lifecycle rule as it applies to a container (docs/containers.md): a running container may be suspended (its
 * children start no more); resume returns a container that ran to RUN_STEPS.start.to instead of re-dispatching.
 */
export const containerRule = (rule: TransitionRule): TransitionRule =>
  rule.name === "suspend" ? { ...rule, from: [...rule.from, RUN_STEPS.start.to], reasons: {} } : rule;
