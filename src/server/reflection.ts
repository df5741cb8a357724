import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ReflectionService } from "@grpc/reflection";
import { file_google_rpc_error_details } from "../../gen/ts/google/rpc/error_details_pb.js";
import { file_google_rpc_status } from "../../gen/ts/google/rpc/status_pb.js";
import { Health } from "../../gen/ts/health/v1/health_pb.js";

/** Types the services send without naming them in a method: the error details inside a google.rpc.Status. */
const DETAIL_FILES = [file_google_rpc_status, file_google_rpc_error_details];

/**
 * gRPC reflection (v1 and v1alpha) answered from the generated descriptors, with every dependency:
 * the given services, grpc.health.v1.Health, and the google.rpc error-detail types (so tools such as
 * grpcurl decode ErrorInfo, BadRequest, RetryInfo, ... instead of printing base64).
 */
export function reflectionFor(services: DescService[]): ReflectionService {
  const files = new Map<string, DescFile>();
  const add = (f: DescFile) => {
    if (files.has(f.name)) return;
    files.set(f.name, f);
    f.dependencies.forEach(add);
  };
  const all = [...services, Health];
  all.forEach((s) => add(s.file));
  DETAIL_FILES.forEach(add);
  const fileDescriptorProtos = [...files.values()].map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  const pkg = Object.fromEntries(all.map((s) => [s.typeName, { fileDescriptorProtos }]));
  return new ReflectionService(pkg as never);
}
