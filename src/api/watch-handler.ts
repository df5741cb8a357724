import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { EventType } from "../../gen/ts/mageflow/v1/event_pb.js";
import type { WatchSignaturesRequest, WatchSignaturesResponseSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { failedPrecondition, ServiceError } from "../core/service-error.js";
import { ALL_STATUSES } from "../core/status.js";
import type { SignatureRecord } from "../store/record.js";
import type { StoredEvent } from "../store/store.js";
import type { ApiDeps } from "./context.js";
import { batchResponse, eventMessage } from "./event-cache.js";
import { Violations } from "./validate.js";
import { MAX_STATUSES } from "../core/limits.js";
import { eventFilter, type Filter } from "./watch-filter.js";

type Response = MessageInitShape<typeof WatchSignaturesResponseSchema>;

const DEFAULT_PROGRESS_MS = 10_000;
const REPLAY_CHUNK = 500;
/** Each task name of a `send_initial` watch costs one List pass. */
const MAX_TASK_NAMES = 100;

/**
 * WatchSignatures: replay from `start_revision` (or a snapshot), then live events, in
 * revision order, whole revisions per message, bookmarks while idle (etcd's watch).
 */
export async function* watchSignatures(deps: ApiDeps, req: WatchSignaturesRequest, signal: AbortSignal): AsyncGenerator<Response> {
  const filter = validate(deps, req);
  const matches = eventFilter(filter);
  const unfiltered = filter.keys.length + filter.taskNames.length + filter.statuses.length + filter.containerKeys.length === 0;
  const progressMs = req.progressInterval ? durationMs(req.progressInterval) : DEFAULT_PROGRESS_MS;
  const sub = deps.hub.subscribe();
  try {
    const shown = new Map<string, number>();
    if (req.startRevision > 0n) {
      yield* replay(deps, Number(req.startRevision), sub.since, matches);
    } else if (req.sendInitial) {
      for (const chunk of chunks(await snapshot(deps, filter), REPLAY_CHUNK)) {
        for (const r of chunk) shown.set(r.key, r.revision);
        yield { events: chunk.map((r) => eventMessage({ revision: r.revision, type: EventType.INITIAL, key: r.key, time: r.updateTime, record: r })), revision: 0n };
      }
      yield { bookmark: true, revision: BigInt(sub.since) };
    }
    // Everything up to `last` has been delivered (or filtered out). A start revision beyond
    // the current one waits for it: nothing older than the start is ever sent.
    let last = Math.max(sub.since, Number(req.startRevision) - 1);
    let quietSince = Date.now();
    while (!signal.aborted) {
      const wait = Math.max(1, progressMs - (Date.now() - quietSince));
      const events = await sub.take(wait, signal);
      if (sub.overflowed) {
        throw new ServiceError(Code.ResourceExhausted, "WATCH_TOO_SLOW", "the watcher fell too far behind; resume from resume_revision", {
          resume_revision: String(last + 1),
        });
      }
      if (events.length === 0 && sub.ended) return;
      const caughtUp = events.length > 0 && events[0].revision > last && shown.size === 0;
      const fresh = caughtUp ? events : events.filter((e) => e.revision > last && !((shown.get(e.key) ?? 0) >= e.revision));
      if (events.length > 0) last = Math.max(last, events[events.length - 1].revision);
      const selected = unfiltered ? fresh : fresh.filter(matches);
      if (selected.length > 0) {
        quietSince = Date.now();
        // The usual case, a watcher that keeps up with no filter, shares one reply per batch with all such watchers.
        yield selected === events ? batchResponse(events) : { events: selected.map(eventMessage), revision: BigInt(last) };
      } else if (Date.now() - quietSince >= progressMs) {
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

async function* replay(deps: ApiDeps, start: number, until: number, matches: (e: StoredEvent) => boolean): AsyncGenerator<Response> {
  const oldest = await deps.store.events.oldestRevision();
  if (start < oldest && start <= until) throw compacted(start, oldest);
  let from = start;
  while (from <= until) {
    const batch = (await deps.store.events.range(from, REPLAY_CHUNK)).filter((e) => e.revision <= until);
    // Every revision up to `until` has events: a missing `from` was trimmed while we read.
    if (batch.length === 0 || batch[0].revision > from) {
      const now = await deps.store.events.oldestRevision();
      if (from < now) throw compacted(from, now);
      if (batch.length === 0) break;
    }
    const upto = batch[batch.length - 1].revision;
    const selected = batch.filter(matches);
    if (selected.length > 0) yield { events: selected.map(eventMessage), revision: BigInt(upto) };
    from = upto + 1;
  }
}

async function snapshot(deps: ApiDeps, f: Filter): Promise<SignatureRecord[]> {
  const all = await snapshotCandidates(deps, f);
  return f.containerKeys.length === 0 ? all : all.filter((r) => f.containerKeys.includes(r.containerKey));
}

async function snapshotCandidates(deps: ApiDeps, f: Filter): Promise<SignatureRecord[]> {
  if (f.keys.length > 0) {
    const found = await deps.store.getMany(f.keys);
    return found.filter((r): r is SignatureRecord => !!r && (f.taskNames.length === 0 || f.taskNames.includes(r.taskName)) && (f.statuses.length === 0 || f.statuses.includes(r.status)));
  }
  const out: SignatureRecord[] = [];
  const taskNames = f.taskNames.length > 0 ? f.taskNames : [""];
  for (const taskName of taskNames) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.list({ statuses: f.statuses, taskName, pageSize: 1000, cursor });
      out.push(...page.records);
      cursor = page.cursor;
    } while (cursor);
  }
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

function* chunks<T>(items: T[], size: number) {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
