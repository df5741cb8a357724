import type { ServiceImpl } from "@connectrpc/connect";
import { HealthImplementation } from "grpc-health-check";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../../gen/ts/health/v1/health_pb.js";

const SERVICES = ["", "mageflow.v1.SignatureService", "mageflow.v1.WorkerService", "mageflow.v1.ContainerService"];

/**
 * Health of both listeners: SERVING while the store answers `ping`, NOT_SERVING while it does not
 * (also while it could not be opened yet).
 */
export class HealthMonitor {
  readonly grpc = new HealthImplementation(Object.fromEntries(SERVICES.map((s) => [s, "SERVING"])));
  private serving = true;
  private stopped = false;
  private readiness?: Promise<boolean>;
  private timer?: NodeJS.Timeout;

  constructor(private readonly ping: () => Promise<unknown>) {}

  start(intervalMs = 2000) {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
  }

  async check() {
    const timeout = new Promise<boolean>((r) => setTimeout(() => r(false), 1000).unref());
    const ok = await Promise.race([
      this.ping().then(
        () => true,
        () => false,
      ),
      timeout,
    ]);
    this.set(ok);
    return ok;
  }

  set(serving: boolean) {
    this.serving = serving;
    for (const s of SERVICES) this.grpc.setStatus(s, serving ? "SERVING" : "NOT_SERVING");
  }

  stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.set(false);
  }

  /** Readiness: not shutting down and the store answers a ping now (within 1 s). */
  async ready(): Promise<boolean> {
    if (this.stopped) return false;
    // Probes arriving together share one ping.
    this.readiness ??= this.check().finally(() => (this.readiness = undefined));
    return this.readiness;
  }

  /** grpc.health.v1.Health for the Connect listener (Check only; Watch is served on the gRPC port). */
  connectImpl(): Partial<ServiceImpl<typeof Health>> {
    return {
      check: (req) => {
        if (!SERVICES.includes(req.service)) return { status: Serving.SERVICE_UNKNOWN };
        return { status: this.serving ? Serving.SERVING : Serving.NOT_SERVING };
      },
    };
  }
}
