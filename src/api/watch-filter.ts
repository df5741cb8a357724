import type { Status } from "../core/status.js";
import type { StoredEvent } from "../store/store.js";

export interface Filter {
  keys: string[];
  taskNames: string[];
  statuses: Status[];
  /** Direct children of these containers. */
  containerKeys: string[];
}

/** A signature matches when it matches every non-empty list; statuses apply to the status after the change. */
export function eventFilter(f: Filter): (e: StoredEvent) => boolean {
  const keys = new Set(f.keys);
  const tasks = new Set(f.taskNames);
  const statuses = new Set(f.statuses);
  const containers = new Set(f.containerKeys);
  return (e) =>
    (keys.size === 0 || keys.has(e.key)) &&
    (tasks.size === 0 || tasks.has(e.record.taskName)) &&
    (statuses.size === 0 || statuses.has(e.record.status)) &&
    (containers.size === 0 || containers.has(e.record.containerKey));
}
