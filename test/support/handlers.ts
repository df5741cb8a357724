import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import {
  CreateSignatureRequestSchema,
  RunSignatureRequestSchema,
  UpdateSignatureRequestSchema,
} from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import type { Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { signatureService } from "../../src/api/signature-service.js";
import { DEFAULT_LIMITS } from "../../src/core/limits.js";
import type { Store } from "../../src/store/store.js";
import type { WatchHub } from "../../src/watch/hub.js";

/** The SignatureService handlers over `store`, called in process; RunSignature answers without waiting for a dispatch. */
export function handlers(store: Store) {
  const hub = { expectDispatch: () => ({ wait: async () => undefined, cancel: () => {} }) } as unknown as WatchHub;
  const api = signatureService({ store, hub, limits: DEFAULT_LIMITS, dispatchWaitMs: 0 });
  const ctx = {} as HandlerContext;
  return {
    create: async (r: MessageInitShape<typeof CreateSignatureRequestSchema>) => (await api.createSignature(create(CreateSignatureRequestSchema, r), ctx)).signature as Signature,
    update: async (r: MessageInitShape<typeof UpdateSignatureRequestSchema>) => (await api.updateSignature(create(UpdateSignatureRequestSchema, r), ctx)).signature as Signature,
    run: async (r: MessageInitShape<typeof RunSignatureRequestSchema>) => (await api.runSignature(create(RunSignatureRequestSchema, r), ctx)).signature as Signature,
  };
}
