import { toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { ReflectionService } from "@grpc/reflection";

/** gRPC reflection (v1 and v1alpha) answered from the generated descriptors, with every dependency. */
export function reflectionFor(services: DescService[]): ReflectionService {
  const files = new Map<string, DescFile>();
  const add = (f: DescFile) => {
    if (files.has(f.name)) return;
    files.set(f.name, f);
    f.dependencies.forEach(add);
  };
  services.forEach((s) => add(s.file));
  const fileDescriptorProtos = [...files.values()].map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  const pkg = Object.fromEntries(services.map((s) => [s.typeName, { fileDescriptorProtos }]));
  return new ReflectionService(pkg as never);
}
