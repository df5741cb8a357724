import type { DescMethod } from "@bufbuild/protobuf";
import type { Role } from "./tokens.js";

const SIGNATURES = "mageflow.v1.SignatureService";
const WORKERS = "mageflow.v1.WorkerService";
const CONTAINERS = "mageflow.v1.ContainerService";

/** The read-only SignatureService methods: what `reader` may call. */
export const READ_METHODS = ["GetSignature", "BatchGetSignatures", "ListSignatures", "WatchSignatures", "GetContainer", "ListContainerChildren"];

/**
 * Whether a role may call a method (docs/security.md, "Roles"):
 * admin everything; client SignatureService and ContainerService; worker WorkerService; reader the read methods.
 */
export function allowed(role: Role, method: DescMethod): boolean {
  const service = method.parent.typeName;
  switch (role) {
    case "admin":
      return service === SIGNATURES || service === WORKERS || service === CONTAINERS;
    case "client":
      return service === SIGNATURES || service === CONTAINERS;
    case "worker":
      return service === WORKERS;
    case "reader":
      return (service === SIGNATURES || service === CONTAINERS) && READ_METHODS.includes(method.name);
  }
}

/** `mageflow.v1.SignatureService/CreateSignature`: how errors and docs name a method. */
export const methodPath = (method: DescMethod) => `${method.parent.typeName}/${method.name}`;
