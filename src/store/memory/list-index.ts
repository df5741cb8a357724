import { F, type FlatRecord } from "../record.js";
import { CreationIndex, type IndexRow } from "./creation-index.js";

const ALL = "all";
const byStatus = (st: string | number) => `st:${st}`;
const byTask = (task: string) => `task:${task}`;
const byTaskStatus = (task: string, st: string | number) => `ts:${st}:${task}`;

/**
 * The list indexes (twin of commands/includes/index.lua): keys ordered as List pages them, for the namespace,
 * per status, per task name, and per task name and status, so that every filter reads exactly what it lists.
 * An index left empty is dropped.
 */
export class ListIndex {
  private readonly sets = new Map<string, CreationIndex>([[ALL, new CreationIndex()]]);

  add(h: FlatRecord) {
    const t = Number(h[F.creationTime]);
    for (const name of this.names(h, h[F.status])) {
      let set = this.sets.get(name);
      if (!set) this.sets.set(name, (set = new CreationIndex()));
      set.insert(t, h[F.key]);
    }
  }

  remove(h: FlatRecord) {
    this.drop(h, this.names(h, h[F.status]));
  }

  /** `h` changed status from `from` (h[F.status] is already the new one). */
  moveStatus(h: FlatRecord, from: string) {
    this.drop(h, [byStatus(from), byTaskStatus(h[F.taskName], from)]);
    this.add(h);
  }

  /** The indexes a filter reads: all, the task's, one per status asked, or one per status asked of the task. */
  of(statuses: readonly number[], task: string): CreationIndex[] {
    const names =
      statuses.length === 0 ? [task ? byTask(task) : ALL] : [...new Set(statuses)].map((s) => (task ? byTaskStatus(task, s) : byStatus(s)));
    return names.flatMap((n) => this.sets.get(n) ?? []);
  }

  private names(h: FlatRecord, st: string) {
    return [ALL, byStatus(st), byTask(h[F.taskName]), byTaskStatus(h[F.taskName], st)];
  }

  private drop(h: FlatRecord, names: string[]) {
    const t = Number(h[F.creationTime]);
    for (const name of names) {
      const set = this.sets.get(name);
      if (!set) continue;
      set.remove(t, h[F.key]);
      if (set.size === 0 && name !== ALL) this.sets.delete(name);
    }
  }
}

/** The rows of several indexes strictly after the cursor, merged newest first (each key is in one of them). */
export function* mergedAfter(sets: CreationIndex[], t?: number, key?: string): Generator<IndexRow> {
  const its = sets.map((s) => s.after(t, key));
  const heads = its.map((it) => it.next());
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h.done) continue;
      const b = best >= 0 ? (heads[best].value as IndexRow) : undefined;
      if (!b || h.value.t > b.t || (h.value.t === b.t && h.value.key > b.key)) best = i;
    }
    if (best < 0) return;
    yield heads[best].value as IndexRow;
    heads[best] = its[best].next();
  }
}
