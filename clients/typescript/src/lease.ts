/// <reference lib="esnext.disposable" />
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { LockSignatureResponse } from "../../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { Signature } from "../../../gen/ts/mageflow/v1/signature_pb.js";
import { MageflowError } from "./mageflow-error.js";

export interface LeaseCalls {
  lockRaw(key: string, ttlMs: number | undefined, owner: string | undefined, lockId: string | undefined): Promise<LockSignatureResponse>;
  unlock(key: string, lockId: string): Promise<Signature>;
}

/**
 * A held lock (MageFlow's `lock_task`, with an expiry). Pass `lockId` to mutations while holding it.
 * Release it with `await using lease = await client.lock(key)` or `try { ... } finally { await lease.release() }`.
 */
export class Lease implements AsyncDisposable {
  private released = false;

  constructor(
    private readonly calls: LeaseCalls,
    readonly key: string,
    readonly lockId: string,
    public expireTime: Date,
    public signature: Signature,
    readonly owner?: string,
  ) {}

  static fromResponse(calls: LeaseCalls, key: string, owner: string | undefined, r: LockSignatureResponse): Lease {
    return new Lease(calls, key, r.lockId, r.expireTime ? timestampDate(r.expireTime) : new Date(), r.signature!, owner);
  }

  /** Extends the lease by `ttlMs` (or the server's default) from now. */
  async renew(ttlMs?: number): Promise<Date> {
    const r = await this.calls.lockRaw(this.key, ttlMs, this.owner, this.lockId);
    if (r.expireTime) this.expireTime = timestampDate(r.expireTime);
    if (r.signature) this.signature = r.signature;
    return this.expireTime;
  }

  /** Releases the lease. Idempotent; a lease that already expired or whose signature is gone counts as released. */
  async release(): Promise<void> {
    if (this.released) return;
    try {
      await this.calls.unlock(this.key, this.lockId);
    } catch (e) {
      const err = MageflowError.from(e);
      if (err.reason !== "LOCK_MISMATCH" && err.reason !== "SIGNATURE_NOT_FOUND") throw err;
    }
    this.released = true;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
