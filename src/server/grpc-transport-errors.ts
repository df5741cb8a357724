import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";

type Status = Parameters<grpc.ServerInterceptingCallInterface["sendStatus"]>[0];
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/ts/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/ts/google/rpc/status_pb.js";
import { ERROR_DOMAIN } from "../core/service-error.js";

/**
 * grpc-js answers some requests itself, before any handler: a message over its receive limit
 * (RESOURCE_EXHAUSTED) and one that does not decompress (INTERNAL). This interceptor gives those
 * answers the codes, messages and ErrorInfo reasons the Connect port gives: RESOURCE_EXHAUSTED
 * REQUEST_TOO_LARGE and INVALID_ARGUMENT.
 */
export function transportErrors(maxRequestBytes: number): grpc.ServerInterceptor {
  return (_method, call) => {
    const send = call.sendStatus.bind(call);
    // The first interceptor gets grpc-js's own call, whose internal failures go through this method too.
    call.sendStatus = (status) => send(translate(status, maxRequestBytes));
    return call as grpc.ServerInterceptingCall;
  };
}

function translate(status: Status, maxRequestBytes: number): Status {
  const details = status.details ?? "";
  if (status.code === grpc.status.RESOURCE_EXHAUSTED && /larger than/.test(details) && !status.metadata?.get("grpc-status-details-bin").length) {
    return withDetails(
      grpc.status.RESOURCE_EXHAUSTED,
      `the request is larger than ${maxRequestBytes} bytes (the server's MAX_REQUEST_BYTES)`,
      create(ErrorInfoSchema, { reason: "REQUEST_TOO_LARGE", domain: ERROR_DOMAIN, metadata: { limit: String(maxRequestBytes) } }),
    );
  }
  if (status.code === grpc.status.INTERNAL && details === "Failed to decompress message") {
    const description = "the gzip body could not be decompressed";
    return withDetails(
      grpc.status.INVALID_ARGUMENT,
      `(request body): ${description}`,
      create(ErrorInfoSchema, { reason: "INVALID_ARGUMENT", domain: ERROR_DOMAIN }),
      create(BadRequestSchema, { fieldViolations: [{ field: "(request body)", description }] }),
    );
  }
  return status;
}

function withDetails(code: grpc.status, message: string, info: ReturnType<typeof create<typeof ErrorInfoSchema>>, badRequest?: ReturnType<typeof create<typeof BadRequestSchema>>): Status {
  const rpcStatus = create(StatusSchema, {
    code,
    message,
    details: [anyPack(ErrorInfoSchema, info), ...(badRequest ? [anyPack(BadRequestSchema, badRequest)] : [])],
  });
  const metadata = new grpc.Metadata();
  metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, rpcStatus)));
  return { code, details: message, metadata };
}
