import { create, fromJson, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs, ValueSchema, type Timestamp, type Value } from "@bufbuild/protobuf/wkt";
import { EventType, type SignatureEventSchema } from "../../gen/ts/mageflow/v1/event_pb.js";
import { SignatureSchema, type Signature } from "../../gen/ts/mageflow/v1/signature_pb.js";
import type { JsonValue } from "../core/json.js";
import type { SignatureRecord } from "../store/record.js";
import type { StoredEvent } from "../store/store.js";

const ts = (ms: number) => (ms ? timestampFromMs(ms) : undefined);

/** The wire form of a stored signature. The lease id is shown only to its holder. */
export function toSignature(r: SignatureRecord, showLockId = false): Signature {
  return create(SignatureSchema, {
    key: r.key,
    taskName: r.taskName,
    kwargs: r.kwargs,
    creationTime: ts(r.creationTime),
    updateTime: ts(r.updateTime),
    successCallbacks: r.successCallbacks,
    errorCallbacks: r.errorCallbacks,
    taskStatus: { status: r.status, lastStatus: r.lastStatus },
    returnFieldName: r.returnFieldName,
    inputSchema: r.inputSchema,
    containerKey: r.containerKey,
    revision: BigInt(r.revision),
    expireTime: ts(r.expireTime),
    run: r.run && {
      runId: r.run.runId,
      attempt: r.run.attempt,
      dispatchTime: ts(r.run.dispatchTime),
      lastInput: r.run.lastInput,
      dispatchState: r.run.dispatchState,
      result: r.run.result === undefined ? undefined : fromJson(ValueSchema, r.run.result),
      error: r.run.error,
    },
    lock: r.lock && {
      lockId: showLockId ? r.lock.lockId : "",
      owner: r.lock.owner,
      expireTime: ts(r.lock.expireTime),
    },
    metadata: r.metadata,
    removed: r.removed,
    containerKind: r.container?.kind ?? 0,
  });
}

export function toEvent(e: StoredEvent): MessageInitShape<typeof SignatureEventSchema> {
  return {
    revision: BigInt(e.revision),
    type: e.type,
    key: e.key,
    taskName: e.record.taskName,
    status: e.record.status,
    lastStatus: e.record.lastStatus,
    runId: e.record.run?.runId ?? "",
    eventTime: ts(e.time),
    signature: e.type === EventType.DELETED ? undefined : toSignature(e.record),
  };
}

/**
 * A google.protobuf.Value as JSON, as received: NaN and ±Infinity stay numbers (for validation to
 * refuse, naming the field), where protobuf's JSON mapping would throw.
 */
export function valueToJson(v: Value | undefined): JsonValue {
  switch (v?.kind.case) {
    case undefined:
    case "nullValue":
      return null;
    case "numberValue":
    case "stringValue":
    case "boolValue":
      return v.kind.value;
    case "listValue":
      return v.kind.value.values.map(valueToJson);
    case "structValue":
      return Object.fromEntries(Object.entries(v.kind.value.fields).map(([k, x]) => [k, valueToJson(x)]));
  }
}

/**
 * Milliseconds of a timestamp, rounded down: rounding up could carry 9999-12-31T23:59:59.9999Z
 * past the largest timestamp JSON can carry, and the stored value would no longer encode.
 */
export const msOf = (t: Timestamp | undefined) => (t ? Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000) : undefined);
