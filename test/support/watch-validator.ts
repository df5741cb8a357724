/**
 * Validators for recorded WatchSignatures histories, after etcd's watch robustness tests
 * (tests/robustness/validate/watch.go): per client ordered, unique, atomic, bookmarkable;
 * across clients reliable and resumable. Each check is a small function returning the
 * violations it found (empty: the history is valid); `assertWatchHistory` runs them all.
 *
 * Histories are plain data so that the validators can be unit-tested with hand-made bad
 * histories: a client's watch is a list of sessions (one per stream it opened), each a list
 * of messages as received.
 */

/** EVENT_TYPE_INITIAL: snapshot entries sent with send_initial (not part of the revision order). */
export const INITIAL = 1;
/** EVENT_TYPE_DELETED. */
export const DELETED = 10;

export interface WEvent {
  revision: number;
  key: string;
  type: number;
  taskName: string;
  status: number;
}

export interface WMessage {
  /** The response's `revision` (what the client has seen everything up to; 0 for snapshot messages). */
  revision: number;
  bookmark: boolean;
  events: WEvent[];
}

export interface WSession {
  /** The request's start_revision (0: from now). */
  startRevision: number;
  sendInitial?: boolean;
  messages: WMessage[];
  /** How the stream ended: a gRPC code name ("OK" for a clean end) and ErrorInfo metadata. */
  end?: { code: string; reason?: string; metadata?: Record<string, string> };
}

export interface WClient {
  name: string;
  /** The watch's filter; the default matches everything. */
  filter?: (e: WEvent) => boolean;
  sessions: WSession[];
}

export type Violations = string[];

const fmt = (e: WEvent) => `${e.revision}/${e.key}/${e.type}`;
const liveEvents = (m: WMessage) => m.events.filter((e) => e.type !== INITIAL);
const all = () => true;

/** The newest revision a session has told its client about (events or bookmarks), 0 if none. */
export function lastProgress(s: WSession): number {
  let last = 0;
  for (const m of s.messages) {
    last = Math.max(last, m.revision);
    for (const e of liveEvents(m)) last = Math.max(last, e.revision);
  }
  return last;
}

/**
 * Ordered: revisions are non-decreasing inside a message and strictly increasing from one
 * message to the next; a message's `revision` covers its own events and never goes back.
 */
export function checkOrdered(messages: WMessage[]): Violations {
  const out: Violations = [];
  let prevEventRev = 0;
  let prevProgress = 0;
  messages.forEach((m, i) => {
    const evs = liveEvents(m);
    for (let j = 1; j < evs.length; j++) {
      if (evs[j].revision < evs[j - 1].revision) out.push(`ordered: message ${i}: ${fmt(evs[j])} after ${fmt(evs[j - 1])}`);
    }
    if (evs.length > 0) {
      if (evs[0].revision <= prevEventRev) out.push(`ordered: message ${i} starts at revision ${evs[0].revision}, not after ${prevEventRev}`);
      const max = Math.max(...evs.map((e) => e.revision));
      if (m.revision < max) out.push(`ordered: message ${i} has revision ${m.revision} below its event revision ${max}`);
      prevEventRev = Math.max(prevEventRev, max);
    }
    if (m.revision > 0 || evs.length > 0) {
      if (m.revision < prevProgress) out.push(`ordered: message ${i} revision ${m.revision} goes back from ${prevProgress}`);
      prevProgress = Math.max(prevProgress, m.revision);
    }
  });
  return out;
}

/** Unique: no (revision, key, type) is delivered twice (across all messages given). */
export function checkUnique(messages: WMessage[]): Violations {
  const seen = new Set<string>();
  const out: Violations = [];
  for (const m of messages) {
    for (const e of liveEvents(m)) {
      const id = fmt(e);
      if (seen.has(id)) out.push(`unique: ${id} delivered twice`);
      seen.add(id);
    }
  }
  return out;
}

/**
 * Atomic: a revision is never split across messages. With the store's log, a delivered
 * revision also carries every event of that revision that matches the filter.
 */
export function checkAtomic(messages: WMessage[], log?: WEvent[], filter: (e: WEvent) => boolean = all): Violations {
  const out: Violations = [];
  const where = new Map<number, number>();
  messages.forEach((m, i) => {
    for (const e of liveEvents(m)) {
      const at = where.get(e.revision);
      if (at !== undefined && at !== i) out.push(`atomic: revision ${e.revision} split across messages ${at} and ${i}`);
      else where.set(e.revision, i);
    }
  });
  if (log) {
    const byRev = groupByRevision(log.filter(filter));
    for (const [rev, i] of where) {
      const want = (byRev.get(rev) ?? []).map(fmt).sort();
      const got = liveEvents(messages[i]).filter((e) => e.revision === rev).map(fmt).sort();
      if (want.join() !== got.join()) out.push(`atomic: revision ${rev} delivered as [${got}], the log has [${want}]`);
    }
  }
  return out;
}

/**
 * Bookmarkable: a bookmark carries no events, its revision is at least every revision
 * delivered before it, and no event delivered after it has a revision at or below it.
 */
export function checkBookmarkable(messages: WMessage[]): Violations {
  const out: Violations = [];
  let maxBefore = 0;
  messages.forEach((m, i) => {
    if (m.bookmark) {
      if (m.events.length > 0) out.push(`bookmarkable: bookmark ${i} carries ${m.events.length} events`);
      if (m.revision < maxBefore) out.push(`bookmarkable: bookmark ${i} at ${m.revision} is behind delivered revision ${maxBefore}`);
      for (let j = i + 1; j < messages.length; j++) {
        for (const e of liveEvents(messages[j])) {
          if (e.revision <= m.revision) out.push(`bookmarkable: ${fmt(e)} in message ${j} after bookmark ${i} at ${m.revision}`);
        }
      }
    }
    for (const e of liveEvents(m)) maxBefore = Math.max(maxBefore, e.revision);
  });
  return out;
}

/**
 * Resumable: each session after the first starts at the previous one's progress + 1 (the
 * resume_revision of a RESOURCE_EXHAUSTED end must say the same) and delivers nothing older.
 */
export function checkResumable(sessions: WSession[]): Violations {
  const out: Violations = [];
  let progress = 0;
  sessions.forEach((s, i) => {
    if (i > 0) {
      const expected = progress + 1;
      if (s.startRevision !== expected) out.push(`resumable: session ${i} starts at ${s.startRevision}, expected ${expected}`);
    }
    for (const m of s.messages) {
      for (const e of liveEvents(m)) {
        if (s.startRevision > 0 && e.revision < s.startRevision) out.push(`resumable: session ${i} delivered ${fmt(e)} before its start ${s.startRevision}`);
      }
    }
    const own = lastProgress(s);
    progress = Math.max(progress, own, s.startRevision > 0 ? s.startRevision - 1 : 0);
    const resume = s.end?.metadata?.resume_revision;
    if (resume !== undefined && Number(resume) !== progress + 1) {
      out.push(`resumable: session ${i} ended with resume_revision ${resume}, but the client had seen up to ${progress}`);
    }
  });
  return out;
}

/**
 * Reliable: every event of the store's log that matches the client's filter, from its first
 * session's start up to the last progress it was told about, was delivered; nothing else was.
 */
export function checkReliable(client: WClient, log: WEvent[]): Violations {
  const out: Violations = [];
  const filter = client.filter ?? all;
  const first = client.sessions[0];
  if (!first) return out;
  const from = first.startRevision;
  if (from <= 0) return [`reliable: client ${client.name} started "from now" (start 0): give it an explicit start revision`];
  const to = Math.max(0, ...client.sessions.map(lastProgress));
  const seen = new Set<string>();
  for (const s of client.sessions) for (const m of s.messages) for (const e of liveEvents(m)) seen.add(fmt(e));
  const inLog = new Set(log.map(fmt));
  const want = log.filter((e) => e.revision >= from && e.revision <= to && filter(e));
  for (const e of want) if (!seen.has(fmt(e))) out.push(`reliable: client ${client.name} missed ${fmt(e)}`);
  for (const id of seen) if (!inLog.has(id)) out.push(`reliable: client ${client.name} got ${id}, which is not in the store's log`);
  for (const s of client.sessions)
    for (const m of s.messages)
      for (const e of liveEvents(m)) if (!filter(e)) out.push(`reliable: client ${client.name} got ${fmt(e)}, which its filter excludes`);
  return out;
}

/**
 * send_initial: snapshot (INITIAL events, one per key) before the first bookmark, then live
 * events after the bookmark's revision, with no event both in the snapshot and live (no
 * duplicate) and every matching change after the bookmark either live or already in the
 * snapshot (no gap).
 */
export function checkSnapshotThenLive(session: WSession, log: WEvent[], filter: (e: WEvent) => boolean = all): Violations {
  const out: Violations = [];
  const bm = session.messages.findIndex((m) => m.bookmark);
  if (bm < 0) return ["snapshot: no bookmark after the snapshot"];
  const bookmark = session.messages[bm].revision;
  const initial = new Map<string, number>();
  session.messages.forEach((m, i) => {
    for (const e of m.events) {
      if (e.type !== INITIAL) continue;
      if (i > bm) out.push(`snapshot: INITIAL ${e.key} after the bookmark`);
      if (initial.has(e.key)) out.push(`snapshot: ${e.key} twice in the snapshot`);
      initial.set(e.key, e.revision);
      if (!log.some((l) => l.key === e.key && l.revision === e.revision)) out.push(`snapshot: ${e.key} at ${e.revision} is no state the log knows`);
    }
  });
  const live = session.messages.slice(bm + 1).flatMap(liveEvents);
  for (const e of live) {
    if (e.revision <= bookmark) out.push(`snapshot: live ${fmt(e)} at or below the bookmark ${bookmark}`);
    const shown = initial.get(e.key);
    if (shown !== undefined && e.revision <= shown) out.push(`snapshot: live ${fmt(e)} duplicates the snapshot of ${e.key} at ${shown}`);
  }
  const delivered = new Set(live.map(fmt));
  const to = lastProgress(session);
  for (const e of log) {
    if (e.revision <= bookmark || e.revision > to || !filter(e)) continue;
    const shown = initial.get(e.key);
    if (shown !== undefined && e.revision <= shown) continue;
    if (!delivered.has(fmt(e))) out.push(`snapshot: ${fmt(e)} after the bookmark was neither live nor in the snapshot`);
  }
  // A key that matched at the bookmark is in the snapshot unless it was deleted or left the filter after it.
  const lastAt = new Map<string, WEvent>();
  for (const e of log) if (e.revision <= bookmark) lastAt.set(e.key, e);
  for (const [key, e] of lastAt) {
    if (e.type === DELETED || !filter(e) || initial.has(key)) continue;
    const left = log.some((l) => l.key === key && l.revision > bookmark && (l.type === DELETED || !filter(l)));
    if (!left) out.push(`snapshot: ${key} (at ${e.revision}) missing from the snapshot`);
  }
  return out;
}

/**
 * Kubernetes-style: a watcher started at revision r sees exactly the reference watcher's
 * events from r on, in the same order (up to where either stopped).
 */
export function checkSameOrder(reference: WEvent[], other: WEvent[], start: number): Violations {
  const ref = reference.filter((e) => e.revision >= start && e.type !== INITIAL).map(fmt);
  const got = other.filter((e) => e.type !== INITIAL).map(fmt);
  const n = Math.min(ref.length, got.length);
  for (let i = 0; i < n; i++) {
    if (ref[i] !== got[i]) return [`same order: watcher from ${start} has ${got[i]} at position ${i}, the reference has ${ref[i]}`];
  }
  return [];
}

/** Every per-client check on each session and on the client's whole history, then reliable. */
export function validateClient(client: WClient, log?: WEvent[]): Violations {
  const out: Violations = [];
  const filter = client.filter ?? all;
  const msgs = client.sessions.flatMap((s) => s.messages);
  client.sessions.forEach((s, i) => {
    const tag = (v: string) => `${client.name}#${i} ${v}`;
    out.push(...checkOrdered(s.messages).map(tag));
    out.push(...checkAtomic(s.messages, log, filter).map(tag));
    out.push(...checkBookmarkable(s.messages).map(tag));
  });
  out.push(...checkUnique(msgs).map((v) => `${client.name} ${v}`));
  out.push(...checkResumable(client.sessions).map((v) => `${client.name} ${v}`));
  // Across sessions the revision order continues too.
  out.push(...checkOrdered(msgs).map((v) => `${client.name} (all sessions) ${v}`));
  if (log) out.push(...checkReliable(client, log));
  return out;
}

/** Throws with every violation (up to 30 listed) when any client's history is invalid. */
export function assertWatchHistory(clients: WClient[], log?: WEvent[]) {
  const out = clients.flatMap((c) => validateClient(c, log));
  if (out.length > 0) {
    throw new Error(`watch history invalid (${out.length} violations):\n  ${out.slice(0, 30).join("\n  ")}`);
  }
}

function groupByRevision(events: WEvent[]) {
  const m = new Map<number, WEvent[]>();
  for (const e of events) {
    const g = m.get(e.revision);
    if (g) g.push(e);
    else m.set(e.revision, [e]);
  }
  return m;
}
