import { fromBinary, toBinary, create, type DescService, type MessageInitShape, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/** A plain grpc-js client for a protobuf-es service descriptor (unary calls). */
export function grpcJsClient(service: DescService, address: string) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const call = <I extends DescMessage, O extends DescMessage>(name: string, input: I, output: O, req: MessageInitShape<I>) =>
    new Promise<MessageShape<O>>((resolve, reject) => {
      client.makeUnaryRequest(
        `/${service.typeName}/${name}`,
        (r: MessageInitShape<I>) => Buffer.from(toBinary(input, create(input, r))),
        (b: Buffer) => fromBinary(output, b),
        req,
        (err, res) => (err ? reject(err) : resolve(res as MessageShape<O>)),
      );
    });
  return {
    unary<N extends string>(name: N, req: object) {
      const m = service.methods.find((x) => x.name === name)!;
      return call(name, m.input, m.output, req as never);
    },
    close: () => client.close(),
  };
}
