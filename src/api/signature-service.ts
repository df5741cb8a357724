import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { DispatchState, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { PauseType, SignatureService } from "../../gen/ts/mageflow/v1/signature_service_pb.js";
import { invalidArgument, notFound, ServiceError } from "../core/service-error.js";
import { DEFAULT_PAGE_SIZE, MAX_STATUSES } from "../core/limits.js";
import { composeRunInput } from "../core/run-input.js";
import { ALL_STATUSES, TRANSITIONS, type TransitionName } from "../core/status.js";
import type { Guard, RunCommand } from "../store/store.js";
import type { ApiDeps } from "./context.js";
import { msOf, toSignature } from "./convert.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { SignatureCache } from "./signature-cache.js";
import { schemaViolations } from "../core/input-schema.js";
import { Violations } from "./validate.js";
import { createCommandOf } from "./create-command.js";
import { watchSignatures } from "./watch-handler.js";
import { streamSinkKey } from "./stream-sink.js";

const UPDATE_PATHS = ["kwargs", "metadata", "input_schema", "return_field_name"];
const CAS_ATTEMPTS = 20;

export function signatureService(deps: ApiDeps): ServiceImpl<typeof SignatureService> {
  const { store, limits } = deps;
  /** Reads of unchanged signatures reuse their message (and, on the gRPC port, its encoding). */
  const cache = new SignatureCache();
  const violations = () => new Violations(limits);

  const load = async (key: string) => {
    const r = await store.get(key);
    if (!r) throw notFound(key);
    return r;
  };

  const guardOf = (req: { expectedRevision: bigint; lockId: string }, v: Violations): Guard => {
    v.nonNegative("expected_revision", req.expectedRevision);
    return { expectedRevision: Number(req.expectedRevision), lockId: req.lockId };
  };

  /**
   * The store composes a run's input, unless the signature has an input schema (`validate`): then the
   * input is composed and validated here and run with the record's revision pinned, starting over when
   * another writer wins the race (unless the caller pinned the revision).
   */
  const startRun = async (c: RunCommand) => {
    for (let i = 0; ; i++) {
      const res = await store.run(c);
      if (!res.validate) return res;
      const r = res.record;
      const input = composeRunInput(c.message ?? {}, r.kwargs);
      const bad = schemaViolations(r.inputSchema!, input);
      if (bad.length > 0) throw invalidArgument(bad);
      try {
        return await store.run({ ...c, input, guard: { ...c.guard, expectedRevision: c.guard.expectedRevision || r.revision } });
      } catch (e) {
        const lost = e instanceof ServiceError && e.reason === "REVISION_MISMATCH" && !c.guard.expectedRevision;
        if (!lost || i >= CAS_ATTEMPTS) throw e;
      }
    }
  };

  const transition = async (name: TransitionName, req: { key: string; expectedRevision: bigint; lockId: string }) => {
    const v = violations();
    v.key("key", req.key);
    const guard = guardOf(req, v);
    v.check();
    const { record } = await store.transition(req.key, TRANSITIONS[name], guard);
    return { signature: toSignature(record) };
  };

  return {
    async createSignature(req) {
      const v = violations();
      const command = createCommandOf(v, limits, req);
      v.check();
      const { record } = await store.create(command);
      return { signature: toSignature(record) };
    },

    async getSignature(req) {
      const v = violations();
      v.key("key", req.key);
      v.check();
      return { signature: cache.of(await load(req.key)) };
    },

    async batchGetSignatures(req) {
      const v = violations();
      if (req.keys.length === 0) v.add("keys", "required");
      v.keys("keys", req.keys, limits.maxBatchKeys);
      v.check();
      const records = await store.getMany(req.keys);
      const missing = req.keys.filter((_, i) => !records[i]);
      if (missing.length > 0) {
        throw new ServiceError(notFound(missing[0]).code, "SIGNATURE_NOT_FOUND", `signatures not found: ${missing.join(", ")}`, {
          missing: missing.join(","),
        });
      }
      return { signatures: records.map((r) => cache.of(r!)) };
    },

    async listSignatures(req) {
      const v = violations();
      v.enumValues("statuses", req.statuses, MAX_STATUSES, ALL_STATUSES, Status);
      v.name("task_name", req.taskName, false);
      if (req.pageSize < 0) v.add("page_size", "must not be negative");
      v.check();
      const filter = {
        statuses: [...new Set(req.statuses)].sort(),
        taskName: req.taskName,
        createdAfter: msOf(req.createTimeAfter),
        createdBefore: msOf(req.createTimeBefore),
      };
      const cursor = decodePageToken(req.pageToken, filter);
      const pageSize = Math.min(req.pageSize || DEFAULT_PAGE_SIZE, limits.maxPageSize);
      const page = await store.list({ ...filter, pageSize, cursor });
      return {
        signatures: page.records.map((r) => cache.of(r)),
        nextPageToken: page.cursor ? encodePageToken(page.cursor, filter) : "",
      };
    },

    async updateSignature(req) {
      const v = violations();
      v.key("key", req.key);
      v.json("kwargs", req.kwargs);
      v.metadata("metadata", req.metadata);
      const paths = req.updateMask?.paths ?? [];
      if (v.count("update_mask.paths", paths.length, UPDATE_PATHS.length * 4, "paths")) paths.filter((p) => !UPDATE_PATHS.includes(p)).forEach((p) => v.add("update_mask", `unknown path ${p}; allowed: ${UPDATE_PATHS.join(", ")}`));
      if (paths.includes("input_schema")) v.schema("input_schema", req.inputSchema);
      if (paths.includes("return_field_name")) v.name("return_field_name", req.returnFieldName);
      const guard = guardOf(req, v);
      v.check();
      const replace = (p: string) => paths.includes(p);
      const { record } = await store.update({
        key: req.key,
        kwargs: replace("kwargs") ? (req.kwargs ?? {}) : req.kwargs,
        metadata: replace("metadata") || Object.keys(req.metadata).length ? req.metadata : undefined,
        replace: (["kwargs", "metadata"] as const).filter(replace),
        inputSchema: replace("input_schema") ? (req.inputSchema ?? null) : undefined,
        returnFieldName: replace("return_field_name") ? req.returnFieldName : undefined,
        guard,
      });
      return { signature: toSignature(record) };
    },

    async deleteSignature(req) {
      const v = violations();
      v.key("key", req.key);
      const guard = guardOf(req, v);
      v.check();
      return { revision: BigInt(await store.delete(req.key, guard)) };
    },

    async removeSignature(req) {
      const v = violations();
      v.key("key", req.key);
      const guard = guardOf(req, v);
      v.check();
      const res = await store.remove(req.key, req.withError ?? true, req.withSuccess ?? true, guard);
      return { removedKeys: res.keys, revision: BigInt(res.revision) };
    },

    async runSignature(req) {
      const v = violations();
      v.key("key", req.key);
      v.json("message", req.message);
      v.metadata("metadata", req.metadata);
      if (req.requestId.length > 128) v.add("request_id", "at most 128 characters");
      const guard = guardOf(req, v);
      v.check();
      // A run this call commits is attempt 1.
      const dispatch = deps.hub.expectDispatch(req.key, 1);
      const started = startRun({ key: req.key, message: req.message ?? {}, metadata: req.metadata, requestId: req.requestId, guard });
      const { record, changed } = await started.catch((e: unknown) => {
        dispatch.cancel();
        throw e;
      });
      const run = record.run!;
      if (!changed || run.dispatchState !== DispatchState.QUEUED) {
        dispatch.cancel();
        return { signature: toSignature(record), runId: run.runId, dispatchState: run.dispatchState };
      }
      const dispatched = await dispatch.wait(deps.dispatchWaitMs);
      const latest = dispatched ?? record;
      return {
        signature: toSignature(latest),
        runId: latest.run?.runId ?? "",
        dispatchState: latest.run?.runId ? DispatchState.TRIGGERED : DispatchState.QUEUED,
      };
    },

    suspendSignature: (req) => transition("suspend", req),
    resumeSignature: (req) => transition("resume", req),
    interruptSignature: (req) => transition("interrupt", req),
    cancelSignature: (req) => transition("cancel", req),

    async pauseSignature(req) {
      const v = violations();
      v.enumValue("pause_type", req.pauseType, [PauseType.UNSPECIFIED, PauseType.SOFT, PauseType.HARD], PauseType);
      v.check();
      return transition(req.pauseType === PauseType.HARD ? "interrupt" : "suspend", req);
    },

    async lockSignature(req) {
      const v = violations();
      v.key("key", req.key);
      const ttlMs = req.ttl ? durationMs(req.ttl) : limits.defaultLockTtlMs;
      if (ttlMs <= 0) v.add("ttl", "must be positive");
      v.name("owner", req.owner, false);
      v.check();
      const { record } = await store.lock({
        key: req.key,
        newLockId: randomUUID(),
        renewLockId: req.lockId,
        ttlMs: Math.min(ttlMs, limits.maxLockTtlMs),
        owner: req.owner,
      });
      const signature = toSignature(record, true);
      return { lockId: signature.lock?.lockId ?? "", expireTime: signature.lock?.expireTime, signature };
    },

    async unlockSignature(req) {
      const v = violations();
      v.key("key", req.key);
      if (!req.lockId) v.add("lock_id", "required");
      v.check();
      const { record } = await store.unlock(req.key, req.lockId);
      return { signature: toSignature(record) };
    },

    watchSignatures: (req, ctx) => watchSignatures(deps, req, ctx.signal, ctx.values.get(streamSinkKey)),
  };
}

