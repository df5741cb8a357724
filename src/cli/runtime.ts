// Everything command handlers use that loads the client and protobuf. action() imports this module when a
// command runs, so that registering the commands (`mageflow --help`, `--version`) loads neither.
export { toJson } from "@bufbuild/protobuf";
export { Code, dispatchStateName, MageflowError, StartDecision } from "../../clients/typescript/src/index.js";
export { LockSignatureResponseSchema } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
export { clientFor } from "./client-for.js";
export { reportError } from "./error-report.js";
export * from "./format.js";
export { statuses } from "./status-option.js";
