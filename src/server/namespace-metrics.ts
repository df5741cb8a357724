import { Counter, Gauge } from "prom-client";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { namespaceLabel, registry, signaturesByStatus, statusChanges } from "../observability/metrics.js";
import type { Store, StoredEvent } from "../store/store.js";
import type { WatchHub } from "../watch/hub.js";

/** What the metrics read of one namespace. */
interface Namespace {
  name: string;
  store: Store;
  hub: WatchHub;
}

/** The namespaces of every running server in this process, read when Prometheus scrapes. */
const open = new Set<Namespace>();

/**
 * Keeps a namespace's metrics from now until `forget`: status counts from its event stream (the watch
 * hub's reads; never a scan), and its revision, history, outbox and watchers read at each scrape.
 */
export function observeNamespace(ns: Namespace) {
  open.add(ns);
  const label = namespaceLabel(ns.name);
  ns.hub.onEvents((events) => countStatuses(label, events));
}

export function forgetNamespace(ns: Namespace) {
  open.delete(ns);
}

const statusName = (s: Status) => Status[s] ?? String(s);

function countStatuses(namespace: string, events: StoredEvent[]) {
  for (const e of events) {
    if (e.type === EventType.CREATED) {
      const status = statusName(e.record.status);
      statusChanges.inc({ namespace, status });
      signaturesByStatus.inc({ namespace, status });
    } else if (e.type === EventType.STATUS_CHANGED) {
      const status = statusName(e.record.status);
      statusChanges.inc({ namespace, status });
      signaturesByStatus.inc({ namespace, status });
      signaturesByStatus.dec({ namespace, status: statusName(e.record.lastStatus) });
    } else if (e.type === EventType.DELETED) {
      signaturesByStatus.dec({ namespace, status: statusName(e.record.status) });
    }
  }
}

/** Sums per label value (several namespaces share "other"; several servers may run in one process). */
function sum(into: Map<string, number>, label: string, v: number) {
  into.set(label, (into.get(label) ?? 0) + v);
}

interface Snapshot {
  revision: Map<string, number>;
  history: Map<string, number>;
  outboxEntries: Map<string, number>;
  outboxAge: Map<string, number>;
  watchers: Map<string, number>;
  lag: Map<string, number>;
  delivered: Map<string, number>;
  tooSlow: Map<string, number>;
  historyLost: Map<string, number>;
}

let pending: Promise<Snapshot> | undefined;

/** One read of every namespace per scrape, shared by all the collectors below. */
function snapshot(): Promise<Snapshot> {
  pending ??= read().finally(() => setImmediate(() => (pending = undefined)));
  return pending;
}

async function read(): Promise<Snapshot> {
  const s: Snapshot = {
    revision: new Map(),
    history: new Map(),
    outboxEntries: new Map(),
    outboxAge: new Map(),
    watchers: new Map(),
    lag: new Map(),
    delivered: new Map(),
    tooSlow: new Map(),
    historyLost: new Map(),
  };
  await Promise.all(
    [...open].map(async (ns) => {
      const label = namespaceLabel(ns.name);
      sum(s.watchers, label, ns.hub.subscriberCount);
      s.lag.set(label, Math.max(s.lag.get(label) ?? 0, ns.hub.maxLag()));
      sum(s.delivered, label, ns.hub.eventsDelivered);
      sum(s.tooSlow, label, ns.hub.cutOff.tooSlow);
      sum(s.historyLost, label, ns.hub.cutOff.historyLost);
      try {
        const [revision, oldest, outbox] = await Promise.all([ns.store.currentRevision(), ns.store.events.oldestRevision(), ns.store.outbox.stats()]);
        s.revision.set(label, Math.max(s.revision.get(label) ?? 0, revision));
        sum(s.history, label, Math.max(0, revision - oldest + 1));
        sum(s.outboxEntries, label, outbox.entries);
        s.outboxAge.set(label, Math.max(s.outboxAge.get(label) ?? 0, outbox.oldestAgeMs / 1000));
      } catch {
        // The store is out of reach: these series are absent from this scrape (mageflow_store_operation_errors_total says why).
      }
    }),
  );
  return s;
}

function gauge(name: string, help: string, pick: (s: Snapshot) => Map<string, number>) {
  new Gauge({
    name,
    help,
    labelNames: ["namespace"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [namespace, v] of pick(await snapshot())) this.set({ namespace }, v);
    },
  });
}

function counter(name: string, help: string, labelNames: string[], pick: (s: Snapshot) => [Record<string, string>, Map<string, number>][]) {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const [labels, values] of pick(await snapshot())) for (const [namespace, v] of values) this.inc({ ...labels, namespace }, v);
    },
  });
}

gauge("mageflow_store_revision", "The store's current revision (every change bumps it once)", (s) => s.revision);
gauge("mageflow_history_revisions", "Revisions the event history retains (HISTORY_MAX bounds it; a watch can resume from any of them)", (s) => s.history);
gauge("mageflow_outbox_entries", "Outbox entries not yet handled by a dispatcher (runs to trigger, runs to cancel)", (s) => s.outboxEntries);
gauge("mageflow_outbox_oldest_entry_age_seconds", "Age of the oldest outbox entry not yet handled (0 when empty)", (s) => s.outboxAge);
gauge("mageflow_watchers", "Open WatchSignatures streams attached to this process", (s) => s.watchers);
gauge("mageflow_watch_lag_revisions", "Revisions the furthest-behind watch stream has been handed and not yet sent", (s) => s.lag);
counter("mageflow_watch_events_delivered_total", "Events handed to watch streams (each stream counted; before its own filter)", ["namespace"], (s) => [[{}, s.delivered]]);
counter("mageflow_watchers_cut_off_total", "Watch streams ended by the service: too_slow (WATCH_TOO_SLOW, its buffer overflowed) or history_lost", ["namespace", "reason"], (s) => [
  [{ reason: "too_slow" }, s.tooSlow],
  [{ reason: "history_lost" }, s.historyLost],
]);
