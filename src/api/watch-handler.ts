import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import type { WatchSignaturesRequest, WatchSignaturesResponseSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { failedPrecondition } from "../core/service-error.js";
import { ALL_STATUSES } from "../core/status.js";
import type { SignatureRecord } from "../store/record.js";
import type { StoredEvent } from "../store/store.js";
import type { ApiDeps } from "./context.js";
import { batchResponse, eventMessage } from "./event-cache.js";
import { Violations } from "./validate.js";
import { MAX_STATUSES } from "../core/limits.js";
import { eventFilter, type Filter } from "./watch-filter.js";
import { batchBytes, eventBytes } from "../watch/watch-budget.js";
import { sharedRange } from "../watch/shared-history.js";
import type { StreamSink } from "./stream-sink.js";

type Response = MessageInitShape<typeof WatchSignaturesResponseSchema>;

const DEFAULT_PROGRESS_MS = 10_000;
/** Events read from the history at a time, by one stream catching up or replaying. */
const REPLAY_CHUNK = 100;
/** Signatures of a `send_initial` snapshot read at a time. */
const SNAPSHOT_PAGE = 100;
/** A watch message carries whole revisions of about this many bytes at most (a single event may be more). */
const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Each task name of a `send_initial` watch costs one List pass. */
const MAX_TASK_NAMES = 100;

/**
 * WatchSignatures: replay from `start_revision` (or a snapshot), then live events, in
 * revision order, whole revisions per message, bookmarks while idle (etcd's watch).
 */
export async function* watchSignatures(deps: ApiDeps, req: WatchSignaturesRequest, signal: AbortSignal, sink?: StreamSink): AsyncGenerator<Response> {
  const filter = validate(deps, req);
  const matches = eventFilter(filter);
  const unfiltered = filter.keys.length + filter.taskNames.length + filter.statuses.length + filter.containerKeys.length === 0;
  const progressMs = req.progressInterval ? durationMs(req.progressInterval) : DEFAULT_PROGRESS_MS;
  let sub = deps.hub.subscribe();
  try {
    const shown = new Map<string, number>();
    // An event is new to the watcher unless the snapshot already showed its signature at that revision or later.
    const wanted = (e: StoredEvent) => !((shown.get(e.key) ?? 0) >= e.revision) && (unfiltered || matches(e));
    if (req.startRevision > 0n) {
      yield* replay(deps, Number(req.startRevision), sub.since, matches, unfiltered);
    } else if (req.sendInitial) {
      for await (const page of snapshot(deps, filter)) {
        for (const r of page) shown.set(r.key, r.revision);
        for (const part of bySize(page.map((r) => ({ revision: r.revision, type: EventType.INITIAL, key: r.key, time: r.updateTime, record: r })))) {
          yield { events: part.map(eventMessage), revision: 0n };
        }
      }
      yield { bookmark: true, revision: BigInt(sub.since) };
    }
    // Everything up to `last` has been delivered (or filtered out). A start revision beyond
    // the current one waits for it: nothing older than the start is ever sent.
    let last = Math.max(sub.since, Number(req.startRevision) - 1);
    let quietSince = Date.now();
    /** The messages a batch of live events makes for this watcher, and where it then stands. */
    const reply = (events: StoredEvent[]): { messages: Response[]; upto: number } => {
      const caughtUp = events[0].revision > last && shown.size === 0;
      const fresh = caughtUp ? events : events.filter((e) => e.revision > last && !((shown.get(e.key) ?? 0) >= e.revision));
      const upto = Math.max(last, events[events.length - 1].revision);
      const selected = unfiltered ? fresh : fresh.filter(matches);
      // The usual case, a watcher that keeps up with no filter, shares one reply per batch with all such watchers.
      return { messages: messagesOf(selected, upto, selected === events), upto };
    };
    const advance = (r: { messages: Response[]; upto: number }) => {
      last = r.upto;
      if (r.messages.length > 0) quietSince = Date.now();
    };
    // While this stream waits, the hub's batches are written as they come (no wake-up, no turn
    // through the stream's layers), unless they make more than one message or its writes are full.
    const direct = sink
      ? (events: StoredEvent[]) => {
          const r = reply(events);
          if (r.messages.length > 1 || (r.messages.length === 1 && !sink.tryWrite(r.messages[0]))) return false;
          advance(r);
          return true;
        }
      : undefined;
    while (!signal.aborted) {
      const wait = Math.max(1, progressMs - (Date.now() - quietSince));
      const events = await sub.take(wait, signal, direct);
      if (sub.behind) {
        // It could not keep up: no queue is held for it; it reads the history from where it is
        // (REVISION_COMPACTED if that is gone), then takes live events again.
        sub.close();
        sub = deps.hub.subscribe();
        yield* replay(deps, last + 1, sub.since, wanted, unfiltered && shown.size === 0);
        last = Math.max(last, sub.since);
        quietSince = Date.now();
        continue;
      }
      if (events.length === 0 && sub.ended) return;
      const r = events.length > 0 ? reply(events) : { messages: [], upto: last };
      advance(r);
      for (const m of r.messages) yield m;
      if (r.messages.length === 0 && Date.now() - quietSince >= progressMs) {
        quietSince = Date.now();
        // Only `last`: the hub may already have queued newer events for this subscriber
        // that it has not delivered yet, and a bookmark must never run ahead of them.
        yield { bookmark: true, revision: BigInt(last) };
      }
    }
  } finally {
    sub.close();
  }
}

/**
 * Events from `start` to `until` read from the store's history a few at a time (reads shared
 * between streams at the same revision, at most 8 at once), sent in messages of about MAX_MESSAGE_BYTES at most.
 * When every event is wanted (`all`), streams reading the same range share its reply and so its encoding.
 */
async function* replay(deps: ApiDeps, start: number, until: number, matches: (e: StoredEvent) => boolean, all: boolean): AsyncGenerator<Response> {
  const oldest = await deps.store.events.oldestRevision();
  if (start < oldest && start <= until) throw compacted(start, oldest);
  let from = start;
  while (from <= until) {
    // Reads end at multiples of REPLAY_CHUNK: streams that fell behind at different revisions
    // read the same chunks after their first, and so share the reads, replies and frames.
    let batch = await sharedRange(deps.store, from, REPLAY_CHUNK - ((from - 1) % REPLAY_CHUNK));
    if (batch.length > 0 && batch[batch.length - 1].revision > until) batch = batch.filter((e) => e.revision <= until);
    // Every revision up to `until` has events: a missing `from` was trimmed while we read.
    if (batch.length === 0 || batch[0].revision > from) {
      const now = await deps.store.events.oldestRevision();
      if (from < now) throw compacted(from, now);
      if (batch.length === 0) break;
    }
    const upto = batch[batch.length - 1].revision;
    yield* messagesOf(all ? batch : batch.filter(matches), upto, all);
    from = upto + 1;
  }
}

/** The snapshot of a `send_initial` watch, a page at a time: never the whole namespace in memory. */
async function* snapshot(deps: ApiDeps, f: Filter): AsyncGenerator<SignatureRecord[]> {
  const inContainers = (r: SignatureRecord) => f.containerKeys.length === 0 || f.containerKeys.includes(r.containerKey);
  const keep = (r: SignatureRecord | undefined): r is SignatureRecord =>
    !!r && (f.taskNames.length === 0 || f.taskNames.includes(r.taskName)) && (f.statuses.length === 0 || f.statuses.includes(r.status)) && inContainers(r);
  if (f.keys.length > 0) {
    for (let i = 0; i < f.keys.length; i += SNAPSHOT_PAGE) {
      const page = (await deps.store.getMany(f.keys.slice(i, i + SNAPSHOT_PAGE))).filter(keep);
      if (page.length > 0) yield page;
    }
    return;
  }
  const taskNames = f.taskNames.length > 0 ? f.taskNames : [""];
  for (const taskName of taskNames) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.list({ statuses: f.statuses, taskName, pageSize: SNAPSHOT_PAGE, cursor });
      const records = page.records.filter(inContainers);
      if (records.length > 0) yield records;
      cursor = page.cursor;
    } while (cursor);
  }
}

/**
 * The messages that carry `events` (whole revisions, in order), the last one saying `upto`. A whole
 * batch of the hub or the history (`shared`) that fits one message is its shared reply, the same
 * object and encoding for every stream that sends it; anything else is cut by size.
 */
function messagesOf(events: StoredEvent[], upto: number, shared: boolean): Response[] {
  if (events.length === 0) return [];
  if (shared && batchBytes(events) <= MAX_MESSAGE_BYTES) return [batchResponse(events)];
  const parts = bySize(events);
  return parts.map((p, i) => ({ events: p.map(eventMessage), revision: BigInt(i === parts.length - 1 ? upto : p[p.length - 1].revision) }));
}

/** Events in order, cut into runs of whole revisions of about `MAX_MESSAGE_BYTES` at most (one event may be more). */
function bySize(events: StoredEvent[]): StoredEvent[][] {
  const out: StoredEvent[][] = [];
  let part: StoredEvent[] = [];
  let bytes = 0;
  for (const e of events) {
    const n = eventBytes(e);
    const sameRevision = part.length > 0 && part[part.length - 1].revision === e.revision;
    if (part.length > 0 && !sameRevision && bytes + n > MAX_MESSAGE_BYTES) {
      out.push(part);
      part = [];
      bytes = 0;
    }
    part.push(e);
    bytes += n;
  }
  if (part.length > 0) out.push(part);
  return out;
}

function validate(deps: ApiDeps, req: WatchSignaturesRequest): Filter {
  const v = new Violations(deps.limits);
  const f = req.filter;
  v.keys("filter.keys", f?.keys ?? [], deps.limits.maxBatchKeys);
  const taskNames = f?.taskNames ?? [];
  if (v.count("filter.task_names", taskNames.length, MAX_TASK_NAMES, "task names")) taskNames.forEach((t, i) => v.name(`filter.task_names[${i}]`, t));
  v.enumValues("filter.statuses", f?.statuses ?? [], MAX_STATUSES, ALL_STATUSES, Status);
  v.keys("filter.container_keys", f?.containerKeys ?? [], deps.limits.maxBatchKeys);
  v.nonNegative("start_revision", req.startRevision);
  if (req.startRevision > 0n && req.sendInitial) v.add("send_initial", "cannot be combined with start_revision");
  if (req.progressInterval && durationMs(req.progressInterval) < 100) v.add("progress_interval", "at least 100ms");
  v.check();
  return { keys: f?.keys ?? [], taskNames: f?.taskNames ?? [], statuses: f?.statuses ?? [], containerKeys: f?.containerKeys ?? [] };
}

function compacted(start: number, oldest: number) {
  return failedPrecondition("REVISION_COMPACTED", `revision ${start} is older than the retained history (oldest ${oldest})`, {
    oldest_revision: String(oldest),
  });
}
