import { setTimeout as sleep } from "node:timers/promises";
import { Status, TRANSITIONS } from "../core/status.js";
import type { SignatureRecord } from "../store/record.js";
import type { Store, TaskErrorInput } from "../store/store.js";
import { recordReconciliation } from "../observability/metrics.js";
import type { EngineRunState, RunStatusSource } from "./run-status.js";

export interface ReconcileOptions {
  source: RunStatusSource;
  /** A run is first looked at this long after its dispatch, then at doubling intervals. */
  intervalMs: number;
  /** The longest wait between two looks at one run. */
  maxIntervalMs: number;
  /** A run the engine still does not know this long after it was triggered never will: TASK_NOT_REGISTERED. */
  notFoundAfterMs: number;
  /** How often the store is scanned for in-flight runs this process did not dispatch (peers', earlier processes'). */
  scanIntervalMs: number;
}

/** Runs followed at once by one process (about 200 bytes each); more wait for a later scan. */
const MAX_TRACKED = 50_000;
/** Engine calls per wake-up, and how many run at once. */
const MAX_CHECKS_PER_TICK = 64;
const CONCURRENCY = 8;
const SCAN_PAGE = 500;

interface Tracked {
  key: string;
  runId: string;
  /**
   * When this process began to follow the run: just after its trigger was answered, or (adopted by a scan)
   * later. Not the run's dispatch_time, which is when it was queued, maybe long before the engine took it.
   */
  since: number;
  checks: number;
  dueAt: number;
}

const IN_FLIGHT = [Status.PENDING, Status.ACTIVE];

/**
 * Learns from the engine how every run the service triggered ended, so a run no worker reports on still
 * ends: a trigger the engine dropped (or of a task no worker registered) ends FAILED TASK_NOT_REGISTERED, an
 * engine-side failure or timeout FAILED with the engine's error, an engine-side cancel CANCELED; a run that
 * completed without a report is completed with the engine's output. Each outcome goes through the store step
 * a worker report uses (fenced by run id and status), so a worker report that came first wins and nothing
 * fires twice. Cost: one engine call per in-flight run per look, looks backing off to `maxIntervalMs`.
 */
export class Reconciler {
  private readonly runs = new Map<string, Tracked>();
  private running = false;
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  private nextScan = 0;

  constructor(
    private readonly store: Store,
    private readonly opts: ReconcileOptions,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  start() {
    this.running = true;
    this.loop = this.run();
  }

  async stop() {
    this.running = false;
    this.stopping.abort();
    await this.loop;
  }

  /** Runs followed now. */
  get tracked(): number {
    return this.runs.size;
  }

  /** Follows the run the signature has now (called after its dispatch was recorded). */
  track(r: SignatureRecord) {
    const run = r.run;
    if (!run?.runId || !IN_FLIGHT.includes(r.status) || r.removed) return;
    const t = this.runs.get(r.key);
    if (t?.runId === run.runId) return;
    if (!t && this.runs.size >= MAX_TRACKED) return;
    const now = Date.now();
    this.runs.set(r.key, { key: r.key, runId: run.runId, since: now, checks: 0, dueAt: now + this.opts.intervalMs });
  }

  private async run() {
    const wake = Math.min(this.opts.intervalMs, 1000);
    while (this.running) {
      try {
        if (Date.now() >= this.nextScan) {
          this.nextScan = Date.now() + this.opts.scanIntervalMs;
          await this.scan();
        }
        await this.tick();
      } catch (err) {
        this.log(`reconcile failed (will retry): ${(err as Error).message}`);
      }
      await sleep(wake, undefined, { signal: this.stopping.signal }).catch(() => {});
    }
  }

  /** Adopts in-flight runs from the store: those of other servers, and those dispatched before this one started. */
  private async scan() {
    let cursor: string | undefined;
    do {
      const page = await this.store.list({ statuses: IN_FLIGHT, taskName: "", pageSize: SCAN_PAGE, cursor });
      for (const r of page.records) this.track(r);
      cursor = page.cursor;
    } while (cursor && this.running && this.runs.size < MAX_TRACKED);
  }

  private async tick() {
    const now = Date.now();
    const due = [...this.runs.values()].filter((t) => t.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt).slice(0, MAX_CHECKS_PER_TICK);
    for (let i = 0; i < due.length && this.running; i += CONCURRENCY) {
      await Promise.all(due.slice(i, i + CONCURRENCY).map((t) => this.check(t)));
    }
  }

  private async check(t: Tracked) {
    let settled = false;
    try {
      const r = await this.store.get(t.key);
      if (!r || r.removed || r.run?.runId !== t.runId || !IN_FLIGHT.includes(r.status)) {
        settled = true; // a worker report, a lifecycle call or a new run moved on
        recordReconciliation("reported");
        return;
      }
      const state = await this.opts.source.runStatus(t.runId);
      settled = await this.settle(r, state, t);
      recordReconciliation(settled ? state.kind : "in_progress");
    } catch (err) {
      recordReconciliation("error");
      this.log(`reconcile of ${t.key} (run ${t.runId}) failed (will retry): ${(err as Error).message}`);
    } finally {
      if (settled) {
        if (this.runs.get(t.key) === t) this.runs.delete(t.key);
      } else {
        t.checks++;
        t.dueAt = Date.now() + Math.min(this.opts.maxIntervalMs, this.opts.intervalMs * 2 ** t.checks);
      }
    }
  }

  /** Applies the engine's answer; returns whether the run needs no further look. */
  private async settle(r: SignatureRecord, state: EngineRunState, t: Tracked): Promise<boolean> {
    const run = r.run!;
    switch (state.kind) {
      case "in_progress":
        return false;
      case "unknown": {
        if (Date.now() - t.since < this.opts.notFoundAfterMs) return false;
        const message =
          r.status === Status.PENDING
            ? `the engine has no run ${run.runId} ${this.opts.notFoundAfterMs} ms after it was triggered: no worker registered task "${r.taskName}"`
            : `the engine no longer knows run ${run.runId}`;
        await this.fail(r, { message, type: r.status === Status.PENDING ? "TASK_NOT_REGISTERED" : "ENGINE_RUN_LOST", attempt: 0 });
        return true;
      }
      case "failed":
        await this.fail(r, { message: state.message, type: state.type, attempt: state.attempt });
        return true;
      case "cancelled":
        // Pinned to the revision read: a lifecycle call or report since then is answered on the next look.
        await this.store.transition(r.key, TRANSITIONS.cancel, { expectedRevision: r.revision });
        this.log(`run ${run.runId} of ${r.key} was cancelled at the engine: signature CANCELED`);
        return true;
      case "completed":
        if (r.status === Status.PENDING) {
          const start = await this.store.startTask(r.key, run.runId, 1, {});
          if (!start.run) return true;
        }
        await this.store.completeTask(r.key, run.runId, state.output, {});
        return true;
    }
  }

  private async fail(r: SignatureRecord, error: TaskErrorInput) {
    if (r.status === Status.PENDING) await this.store.failDispatch(r.key, r.run!.attempt, error);
    else await this.store.failTask(r.key, r.run!.runId, error, true, {});
    this.log(`run ${r.run!.runId} of ${r.key} ended at the engine without a worker report: FAILED ${error.type}: ${error.message}`);
  }
}
