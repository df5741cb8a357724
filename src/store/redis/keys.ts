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
  /** The list indexes' version (includes/index.lua). */
  readonly idxVersion: string;

  constructor(prefix: string) {
    this.base = `{${prefix}}:`;
    this.rev = `${this.base}rev`;
    this.events = `${this.base}events`;
    this.outbox = `${this.base}outbox`;
    this.idxAll = `${this.base}idx:all`;
    this.replicated = `${this.base}replicated`;
    this.idxVersion = `${this.base}idx:version`;
  }

  sig(key: string) {
    return `${this.base}sig:${key}`;
  }
}

export const OUTBOX_GROUP = "dispatch";
