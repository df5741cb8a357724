import { toJson } from "@bufbuild/protobuf";
import { SignatureSchema, type Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";

/** A signature as tools give it: proto JSON with the proto field names. */
export const signatureJson = (s: Signature) => toJson(SignatureSchema, s, { useProtoFieldName: true });
