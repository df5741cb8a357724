import { Code } from "@connectrpc/connect";
import { ServiceError } from "../core/service-error.js";
import type { Identity, Role } from "./tokens.js";

/** A token bucket: `perSecond` calls on average, up to `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** Each role's rate; a role without one is not limited. */
export type RoleRates = Partial<Record<Role, Rate>>;

/**
 * Calls per token, a token bucket per token with its role's rate (RATE_LIMIT_<ROLE>).
 * Open mode has no tokens and is not limited. One bucket per token of the tokens file.
 */
export class RateLimits {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly rates: RoleRates,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one call from the caller's bucket or throws RESOURCE_EXHAUSTED `RATE_LIMITED` with the time until the next one. */
  take(identity: Identity) {
    const rate = this.rates[identity.role];
    if (identity.anonymous || !rate) return;
    const now = this.now();
    const b = this.buckets.get(identity.name) ?? { tokens: rate.burst, at: now };
    b.tokens = Math.min(rate.burst, b.tokens + ((now - b.at) / 1000) * rate.perSecond);
    b.at = now;
    this.buckets.set(identity.name, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const retryMs = Math.ceil(((1 - b.tokens) / rate.perSecond) * 1000);
    throw new ServiceError(
      Code.ResourceExhausted,
      "RATE_LIMITED",
      `token ${identity.name} (role ${identity.role}) is over its rate of ${rate.perSecond} calls/s (burst ${rate.burst}): retry in ${retryMs} ms`,
      { role: identity.role, rate: String(rate.perSecond), burst: String(rate.burst), setting: `RATE_LIMIT_${identity.role.toUpperCase()}` },
      [],
      retryMs,
    );
  }
}
