import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import type { SignatureRecord } from "../store/record.js";
import type { Store, StoredEvent } from "../store/store.js";
import { Subscriber, type QueueAccount } from "./subscriber.js";
import { batchBytes, WatchBudget } from "./watch-budget.js";

const MAX_REST_MS = 20;
/**
 * A big fan-out rests at least this long: a watcher that keeps up then gets some 60 messages a
 * second, however cheap one fan-out is, and each costs the process and the client per message.
 */
const MIN_REST_MS = 12;
/** A generous cost of one watcher's write: the rest never exceeds what the watchers could have cost. */
const REST_PER_SUBSCRIBER_MS = 0.02;

export interface DispatchExpectation {
  /** The signature once the run has a run id; undefined if it ended otherwise or `ms` passed first. */
  wait(ms: number): Promise<SignatureRecord | undefined>;
  cancel(): void;
}

/**
 * The one reader of the store's event log in this process. It hands every batch of
 * whole revisions to all subscribers without waiting for any of them, so writers
 * and other watchers are never slowed by a slow one (it overflows and is ended).
 */
export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();
  private readonly waiters = new Set<(e: StoredEvent) => void>();
  private readonly observers = new Set<(events: StoredEvent[]) => void>();
  private revision = 0;
  private running = false;
  /** Events handed to watch streams (each stream counted, before its own filter). */
  eventsDelivered = 0;
  /** Watch streams ended because they fell too far behind, or because the history was trimmed past the hub. */
  readonly cutOff = { tooSlow: 0, historyLost: 0 };

  /** How many queues hold each batch; the budget counts a batch's bytes while any does. */
  private readonly held = new Map<StoredEvent[], number>();
  private readonly account: QueueAccount = {
    hold: (batch) => {
      const n = this.held.get(batch) ?? 0;
      if (n === 0) this.budget.used += batchBytes(batch);
      this.held.set(batch, n + 1);
    },
    release: (batch) => {
      const n = (this.held.get(batch) ?? 1) - 1;
      if (n > 0) return void this.held.set(batch, n);
      this.held.delete(batch);
      this.budget.used -= batchBytes(batch);
    },
  };

  constructor(
    private readonly store: Store,
    private readonly bufferLimit: number,
    private readonly budget: WatchBudget = new WatchBudget(Infinity),
    private readonly pollBlockMs = 1000,
  ) {}

  async start() {
    this.revision = await this.store.currentRevision();
    this.running = true;
    void this.run();
  }

  /** The newest revision this process has delivered. */
  get lastRevision() {
    return this.revision;
  }

  /** How many watch streams are attached (for tests and metrics). */
  get subscriberCount() {
    return this.subscribers.size;
  }

  /** How many revisions the furthest-behind watch stream has yet to take. */
  maxLag(): number {
    let lag = 0;
    for (const s of this.subscribers) lag = Math.max(lag, s.lagBehind(this.revision));
    return lag;
  }

  /** Calls `fn` with every batch of events the hub reads, in order (metrics kept from the event stream). */
  onEvents(fn: (events: StoredEvent[]) => void) {
    this.observers.add(fn);
  }

  subscribe(): Subscriber {
    const s = new Subscriber(this.revision, this.bufferLimit, this.account, () => this.subscribers.delete(s));
    if (this.running) this.subscribers.add(s);
    else s.end();
    return s;
  }

  /**
   * Watches, from now on, for the run of `attempt` to get a run id. Start it before committing the run:
   * the dispatcher may record the dispatch before the committing call returns.
   */
  expectDispatch(key: string, attempt: number): DispatchExpectation {
    let settle!: (r: SignatureRecord | undefined) => void;
    const outcome = new Promise<SignatureRecord | undefined>((resolve) => (settle = resolve));
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    const done = (r: SignatureRecord | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.waiters.delete(onEvent);
      settle(r);
    };
    const onEvent = (e: StoredEvent) => {
      if (e.key !== key || e.record.run?.attempt !== attempt) return;
      if (e.type === EventType.DISPATCHED || e.record.run.runId) done(e.record);
      else if (e.type === EventType.DELETED || e.type === EventType.STATUS_CHANGED) done(undefined);
    };
    this.waiters.add(onEvent);
    return {
      wait: (ms) => {
        if (!settled) timer = setTimeout(() => done(undefined), ms);
        return outcome;
      },
      cancel: () => done(undefined),
    };
  }

  /** Over the process's budget: the watchers furthest behind stop holding queues until it is kept. */
  private keepWithinBudget() {
    while (this.budget.over) {
      let furthest: Subscriber | undefined;
      for (const s of this.subscribers) if (!s.behind && s.oldestQueued < (furthest?.oldestQueued ?? Infinity)) furthest = s;
      if (!furthest) return;
      furthest.fallBehind();
      this.cutOff.tooSlow++;
    }
  }

  async close() {
    this.running = false;
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
    // The reader may sit in a blocking read for up to pollBlockMs: it finds `running` false
    // when that returns (or fails as the store closes) and delivers nothing more.
  }

  /**
   * Watchers waiting on the gRPC port write a batch during `push`; the others in the turns after
   * it. This waits for them and then rests as long again, at least MIN_REST_MS and at most
   * MAX_REST_MS, but never longer than that many watchers could have taken, before reading on.
   * So fan-out takes at most about half of the process: a few watchers get
   * each change at once, a thousand get fewer, bigger messages instead of starving the writers
   * whose changes they wait for.
   */
  private async pace(started: number) {
    if (this.subscribers.size === 0) return;
    await new Promise((r) => setImmediate(r));
    const rest = Math.min(MAX_REST_MS, this.subscribers.size * REST_PER_SUBSCRIBER_MS, Math.max(MIN_REST_MS, performance.now() - started));
    if (rest >= 1 && this.running) await new Promise((r) => setTimeout(r, rest));
  }

  private async run() {
    let failures = 0;
    while (this.running) {
      try {
        const events = await this.store.events.tail(this.revision, this.pollBlockMs);
        failures = 0;
        if (events.length === 0 || !this.running) continue;
        // Every revision has events, so a jump means the history was trimmed past this
        // reader before it got there (a burst, or the store was out of reach): the
        // subscribers cannot be kept gap-free and are ended with their resume revision.
        const lost = events[0].revision > this.revision + 1 && (await this.store.events.oldestRevision()) > this.revision + 1;
        this.revision = events[events.length - 1].revision;
        const started = performance.now();
        const wasBehind = new Set([...this.subscribers].filter((s) => s.behind));
        for (const s of this.subscribers) {
          if (lost) {
            if (!s.behind) this.cutOff.historyLost++;
            s.fallBehind();
          } else if (s.push(events)) this.eventsDelivered += events.length;
          else if (s.behind && !wasBehind.has(s)) this.cutOff.tooSlow++;
        }
        this.keepWithinBudget();
        for (const e of events) for (const w of this.waiters) w(e);
        for (const o of this.observers) o(events);
        await this.pace(started);
      } catch {
        if (!this.running) break;
        await new Promise((r) => setTimeout(r, Math.min(2000, 100 * 2 ** failures++)));
      }
    }
  }
}
