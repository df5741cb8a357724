import type { JsonObject, JsonValue } from "../../core/json.js";
import type { TransitionRule } from "../../core/status.js";
import type * as S from "../store.js";
import { addChildren } from "./commands/addChildren.js";
import { completeTask } from "./commands/completeTask.js";
import { create } from "./commands/create.js";
import { createContainer } from "./commands/createContainer.js";
import { deleteSignature } from "./commands/delete.js";
import { failDispatch } from "./commands/failDispatch.js";
import { failTask } from "./commands/failTask.js";
import { list } from "./commands/list.js";
import { lock } from "./commands/lock.js";
import { markDispatched } from "./commands/markDispatched.js";
import { remove } from "./commands/remove.js";
import { run } from "./commands/run.js";
import { startTask } from "./commands/startTask.js";
import { transition } from "./commands/transition.js";
import { unlock } from "./commands/unlock.js";
import { update } from "./commands/update.js";
import type { MemoryEventLog } from "./memory-events.js";
import type { MemoryOutbox } from "./memory-outbox.js";
import { MemoryState } from "./memory-state.js";

/**
 * The embedded store. Each operation is one file in `commands/`, named after its Redis script
 * (`commands/run.ts` ↔ `redis/commands/run-4.lua`); it runs synchronously between two awaits, so it is as
 * atomic as a script. A `Tx` (memory-tx.ts) collects its events and outbox entries and commits them with one
 * new revision.
 */
export class MemoryStore implements S.Store {
  readonly kind = "memory";
  readonly outbox: MemoryOutbox;
  readonly events: MemoryEventLog;
  private readonly db: MemoryState;
  private sweeper: NodeJS.Timeout;

  constructor(opts: S.StoreOptions) {
    this.db = new MemoryState(opts);
    this.events = this.db.log;
    this.outbox = this.db.outbox;
    this.sweeper = setInterval(() => this.db.sweep(), 1000);
    this.sweeper.unref();
  }

  async get(key: string) {
    const h = this.db.find(key);
    return h && this.db.decode(h);
  }

  async getMany(keys: string[]) {
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async list(q: S.ListQuery) {
    return list(this.db, q);
  }

  async create(c: S.CreateCommand) {
    return create(this.db, c);
  }

  async createContainer(c: S.CreateContainerCommand) {
    return createContainer(this.db, c);
  }

  async addChildren(c: S.AddChildrenCommand) {
    return addChildren(this.db, c);
  }

  async update(u: S.UpdateCommand) {
    return update(this.db, u);
  }

  async delete(key: string, guard: S.Guard) {
    return deleteSignature(this.db, key, guard);
  }

  async remove(key: string, withError: boolean, withSuccess: boolean, guard: S.Guard) {
    return remove(this.db, key, withError, withSuccess, guard);
  }

  async transition(key: string, rule: TransitionRule, guard: S.Guard) {
    return transition(this.db, key, rule, guard);
  }

  async run(c: S.RunCommand) {
    return run(this.db, c);
  }

  async lock(c: S.LockCommand) {
    return lock(this.db, c);
  }

  async unlock(key: string, lockId: string) {
    return unlock(this.db, key, lockId);
  }

  async startTask(key: string, runId: string, _attempt: number, guard: S.Guard) {
    return startTask(this.db, key, runId, guard);
  }

  async completeTask(key: string, runId: string, result: JsonValue, guard: S.Guard) {
    return completeTask(this.db, key, runId, result, guard);
  }

  async failTask(key: string, runId: string, error: S.TaskErrorInput, final: boolean, guard: S.Guard) {
    return failTask(this.db, key, runId, error, final, guard);
  }

  async markDispatched(key: string, attempt: number, runId: string, input: JsonObject | undefined, outboxId?: string) {
    return markDispatched(this.db, key, attempt, runId, input, outboxId);
  }

  async failDispatch(key: string, attempt: number, error: S.TaskErrorInput, outboxId?: string) {
    return failDispatch(this.db, key, attempt, error, outboxId);
  }

  async currentRevision() {
    return this.db.revision;
  }

  async ping() {}

  async close() {
    clearInterval(this.sweeper);
  }
}
