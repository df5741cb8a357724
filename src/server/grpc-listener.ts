import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  BatchGetSignaturesResponseSchema,
  GetSignatureResponseSchema,
  ListSignaturesResponseSchema,
  SignatureService,
} from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { ContainerService } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { WorkerService } from "../../gen/ts/mageflow/v1/worker_service_pb.js";
import { addGrpcService, type StreamWrites } from "../api/grpc-adapter.js";
import { signatureResponseEncoder } from "../api/signature-cache.js";
import { encodeWatchResponse } from "../api/event-cache.js";
import type { Config } from "../config.js";
import { drainLimit } from "./body-limits.js";
import { hardenedServer } from "./grpc-hardening.js";
import { transportErrors } from "./grpc-transport-errors.js";
import type { HealthMonitor } from "./health.js";
import { reflectionFor } from "./reflection.js";

export interface Impls {
  signatures: ServiceImpl<typeof SignatureService>;
  workers: ServiceImpl<typeof WorkerService>;
  containers: ServiceImpl<typeof ContainerService>;
}

export interface Listener {
  port: number;
  close(graceMs: number): Promise<void>;
}

/** The native gRPC port: both services, standard health and reflection (those two need no token). */
export async function startGrpcListener(config: Config, impls: Impls, health: HealthMonitor, writes?: StreamWrites): Promise<Listener> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": drainLimit(config.maxRequestBytes),
    interceptors: [transportErrors(config.maxRequestBytes)],
  });
  const hardened = hardenedServer(server, [SignatureService, WorkerService, ContainerService], config.maxRequestBytes) as grpc.Server;
  addGrpcService(hardened, SignatureService, impls.signatures, {
    watchSignatures: encodeWatchResponse,
    getSignature: signatureResponseEncoder(GetSignatureResponseSchema),
    batchGetSignatures: signatureResponseEncoder(BatchGetSignaturesResponseSchema),
    listSignatures: signatureResponseEncoder(ListSignaturesResponseSchema),
  }, writes);
  addGrpcService(hardened, WorkerService, impls.workers, {}, writes);
  addGrpcService(hardened, ContainerService, impls.containers, {}, writes);
  health.grpc.addToServer(server);
  reflectionFor([SignatureService, WorkerService, ContainerService]).addToServer(server);

  const credentials =
    config.tlsCert && config.tlsKey
      ? grpc.ServerCredentials.createSsl(
          config.tlsCa ? readFileSync(config.tlsCa) : null,
          [{ cert_chain: readFileSync(config.tlsCert), private_key: readFileSync(config.tlsKey) }],
          !!config.tlsCa,
        )
      : grpc.ServerCredentials.createInsecure();
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${config.host}:${config.port}`, credentials, (err, p) => (err ? reject(Object.assign(err, { syscall: "listen", code: "EADDRINUSE or EADDRNOTAVAIL", port: config.port })) : resolve(p))),
  );
  return {
    port,
    close: (graceMs) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
