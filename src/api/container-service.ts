import { randomUUID } from "node:crypto";
import type { ServiceImpl } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { ContainerSchema, type Container, type ContainerSummary } from "../../gen/ts/mageflow/v1/container_pb.js";
import type { ContainerService, ContainerTask } from "../../gen/ts/mageflow/v1/container_service_pb.js";
import { ContainerKind, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { failedPrecondition, notFound } from "../core/service-error.js";
import { DEFAULT_PAGE_SIZE, DEFAULT_RETURN_FIELD } from "../core/limits.js";
import { INITIAL_STATUSES } from "../core/status.js";
import type { SignatureRecord } from "../store/record.js";
import type { ChildSpec, Guard } from "../store/store.js";
import type { ApiDeps } from "./context.js";
import { createCommandOf } from "./create-command.js";
import { toSignature } from "./convert.js";
import { decodePageToken, encodePageToken } from "./page-token.js";
import { Violations } from "./validate.js";

/** The children a swarm may have when its config sets no `max_tasks` (docs/containers.md). */
export const MAX_CONTAINER_CHILDREN = 10_000;
/** Responses list a container's child keys up to this many; beyond, ListContainerChildren pages them. */
const INLINE_CHILD_KEYS = 1000;

const SUMMARY_FIELDS: Partial<Record<Status, keyof Omit<ContainerSummary, "$typeName" | "total">>> = {
  [Status.PENDING]: "pending",
  [Status.ACTIVE]: "active",
  [Status.DONE]: "done",
  [Status.FAILED]: "failed",
  [Status.SUSPENDED]: "suspended",
  [Status.INTERRUPTED]: "interrupted",
  [Status.CANCELED]: "canceled",
};

export function toContainer(r: SignatureRecord, summary?: ContainerSummary): Container {
  const c = r.container!;
  return create(ContainerSchema, {
    signature: toSignature(r),
    kind: c.kind,
    childKeys: c.children.length <= INLINE_CHILD_KEYS ? c.children : [],
    childCount: c.children.length,
    currentStep: c.step,
    swarmConfig: c.config && {
      maxConcurrency: c.config.maxConcurrency,
      stopAfterNFailures: c.config.stopAfterNFailures,
      maxTasks: c.config.maxTasks,
      sendMessageToChildren: c.config.sendMessage,
    },
    closed: c.closed,
    inFlight: c.inFlight,
    failedCount: c.failed,
    summary,
  });
}

export function containerService(deps: ApiDeps): ServiceImpl<typeof ContainerService> {
  const { store, limits } = deps;
  const violations = () => new Violations(limits);

  /** The children of a request: keys (checked, not repeated) or inline signatures (checked as CreateSignature). */
  const childSpecs = (v: Violations, tasks: ContainerTask[], max: number): ChildSpec[] => {
    if (!v.count("tasks", tasks.length, max, "tasks")) return [];
    const seen = new Set<string>();
    return tasks.map((t, i): ChildSpec => {
      const at = `tasks[${i}]`;
      if (t.source.case === "key") {
        v.key(`${at}.key`, t.source.value);
        if (seen.has(t.source.value)) v.add(`${at}.key`, "listed twice: a signature is at most once in a container");
        seen.add(t.source.value);
        return { key: t.source.value };
      }
      if (t.source.case === "signature") return { create: createCommandOf(v, limits, t.source.value, `${at}.signature.`) };
      v.add(at, "set key or signature");
      return { key: "" };
    });
  };

  const common = (v: Violations, req: { successCallbacks: string[]; errorCallbacks: string[]; returnFieldName: string; taskStatus: Status; requestId: string; name: string }) => {
    v.keys("success_callbacks", req.successCallbacks, limits.maxCallbacks);
    v.keys("error_callbacks", req.errorCallbacks, limits.maxCallbacks);
    v.name("return_field_name", req.returnFieldName, false);
    v.name("name", req.name, false);
    const status = req.taskStatus === Status.UNSPECIFIED ? Status.PENDING : req.taskStatus;
    v.enumValue("task_status", status, INITIAL_STATUSES, Status);
    if (req.requestId.length > 128) v.add("request_id", "at most 128 characters");
    return {
      successCallbacks: req.successCallbacks,
      errorCallbacks: req.errorCallbacks,
      returnFieldName: req.returnFieldName || DEFAULT_RETURN_FIELD,
      status,
      requestId: req.requestId,
      creationTime: Date.now(),
      metadata: {},
      inputSchema: undefined,
    };
  };

  const guardOf = (req: { expectedRevision: bigint; lockId: string }, v: Violations): Guard => {
    v.nonNegative("expected_revision", req.expectedRevision);
    return { expectedRevision: Number(req.expectedRevision), lockId: req.lockId };
  };

  const loadContainer = async (key: string) => {
    const r = await store.get(key);
    if (!r) throw notFound(key);
    if (!r.container) throw failedPrecondition("NOT_A_CONTAINER", `${key} is not a chain or a swarm`, { key });
    return r;
  };

  const firstTaskName = async (spec: ChildSpec | undefined) => {
    if (!spec) return "";
    if ("create" in spec) return spec.create.taskName;
    return (await store.get(spec.key))?.taskName ?? "";
  };

  return {
    async createChain(req) {
      const v = violations();
      if (req.tasks.length < 2) v.add("tasks", "a chain has at least 2 steps");
      const children = childSpecs(v, req.tasks, limits.maxBatchKeys);
      v.json("kwargs", req.kwargs);
      const base = common(v, { ...req, taskStatus: req.taskStatus });
      v.check();
      const name = req.name || (await firstTaskName(children[0]));
      const { record } = await store.createContainer({
        ...base,
        key: `ChainSignature:${randomUUID()}`,
        taskName: `chain-task:${name}`,
        kwargs: req.kwargs ?? {},
        kind: ContainerKind.CHAIN,
        closed: true,
        children,
      });
      return { chain: toContainer(record) };
    },

    async createSwarm(req) {
      const v = violations();
      const cfg = req.config;
      if (!cfg) v.add("config", "required");
      else {
        if (cfg.maxConcurrency < 1) v.add("config.max_concurrency", "at least 1");
        if (cfg.stopAfterNFailures < 0) v.add("config.stop_after_n_failures", "must not be negative");
        if (cfg.maxTasks < 0 || cfg.maxTasks > MAX_CONTAINER_CHILDREN) v.add("config.max_tasks", `0 to ${MAX_CONTAINER_CHILDREN}`);
      }
      const maxTasks = cfg?.maxTasks || MAX_CONTAINER_CHILDREN;
      const children = childSpecs(v, req.tasks, Math.min(maxTasks, limits.maxBatchKeys));
      v.json("kwargs", req.kwargs);
      const base = common(v, req);
      v.check();
      const { record } = await store.createContainer({
        ...base,
        key: `SwarmSignature:${randomUUID()}`,
        taskName: `swarm-task:${req.name || "swarm"}`,
        kwargs: req.kwargs ?? {},
        kind: ContainerKind.SWARM,
        config: { maxConcurrency: cfg!.maxConcurrency, stopAfterNFailures: cfg!.stopAfterNFailures, maxTasks, sendMessage: cfg!.sendMessageToChildren },
        closed: req.close || children.length === maxTasks,
        children,
      });
      return { swarm: toContainer(record) };
    },

    async addSwarmTasks(req) {
      const v = violations();
      v.key("key", req.key);
      if (req.tasks.length === 0) v.add("tasks", "required");
      const children = childSpecs(v, req.tasks, limits.maxBatchKeys);
      const guard = guardOf(req, v);
      v.check();
      const r = await store.addChildren({ key: req.key, children, close: req.close, guard });
      return { swarm: toContainer(r.record), addedKeys: r.added };
    },

    async closeSwarm(req) {
      const v = violations();
      v.key("key", req.key);
      const guard = guardOf(req, v);
      v.check();
      const r = await store.addChildren({ key: req.key, children: [], close: true, guard });
      return { swarm: toContainer(r.record) };
    },

    async getContainer(req) {
      const v = violations();
      v.key("key", req.key);
      v.check();
      const r = await loadContainer(req.key);
      const summary: Record<string, number> = { total: r.container!.children.length };
      for (let i = 0; i < r.container!.children.length; i += limits.maxBatchKeys) {
        for (const child of await store.getMany(r.container!.children.slice(i, i + limits.maxBatchKeys))) {
          const field = child && SUMMARY_FIELDS[child.status];
          if (field) summary[field] = (summary[field] ?? 0) + 1;
        }
      }
      return { container: toContainer(r, summary as unknown as ContainerSummary) };
    },

    async listContainerChildren(req) {
      const v = violations();
      v.key("key", req.key);
      if (req.pageSize < 0) v.add("page_size", "must not be negative");
      v.check();
      const filter = { container: req.key };
      const cursor = decodePageToken(req.pageToken, filter);
      const offset = cursor ? (JSON.parse(cursor) as [number, string])[0] : 0;
      const pageSize = Math.min(req.pageSize || DEFAULT_PAGE_SIZE, limits.maxPageSize);
      const r = await loadContainer(req.key);
      const keys = r.container!.children.slice(offset, offset + pageSize);
      const records = await store.getMany(keys);
      const next = offset + pageSize < r.container!.children.length ? encodePageToken(JSON.stringify([offset + pageSize, req.key]), filter) : "";
      return { children: records.filter((c): c is SignatureRecord => !!c).map((c) => toSignature(c)), nextPageToken: next };
    },
  };
}
