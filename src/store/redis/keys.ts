/** Key names of one store; all share the hash tag `{<prefix>}` (one Redis Cluster slot). */
export class Keys {
  /** `{<prefix>}:`, passed to the scripts, which build the dynamic keys the same way. */
  readonly base: string;
  readonly rev: string;
  readonly events: string;
  readonly outbox: string;
  readonly idxAll: string;
  /** The newest event revision a watch reader confirmed on the replicas (REDIS_WAIT_REPLICAS). */
  readonly replicated: string;

  constructor(prefix: string) {
    this.base = `{${prefix}}:`;
    this.rev = `${this.base}rev`;
    this.events = `${this.base}events`;
    this.outbox = `${this.base}outbox`;
    this.idxAll = `${this.base}idx:all`;
    this.replicated = `${this.base}replicated`;
  }

  sig(key: string) {
    return `${this.base}sig:${key}`;
  }

  idxStatus(status: number) {
    return `${this.base}idx:st:${status}`;
  }

  idxTask(taskName: string) {
    return `${this.base}idx:task:${taskName}`;
  }
}

export const OUTBOX_GROUP = "dispatch";
