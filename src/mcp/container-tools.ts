import type { MageflowClient } from "../../clients/typescript/src/index.js";
import { ContainerKind, Status } from "../../gen/ts/mageflow/v1/signature_pb.js";
import { signatureJson } from "./signature-json.js";

/** A chain's or swarm's state and its children counted by status (GetContainer). */
export async function containerSummary(client: MageflowClient, containerKey: string) {
  const c = await client.loadContainer(containerKey);
  const s = c.summary;
  return {
    container_key: containerKey,
    kind: ContainerKind[c.kind]?.toLowerCase() ?? "unspecified",
    status: Status[c.signature?.taskStatus?.status ?? Status.UNSPECIFIED]?.toLowerCase(),
    total: s?.total ?? 0,
    counts: {
      pending: s?.pending ?? 0,
      active: s?.active ?? 0,
      suspended: s?.suspended ?? 0,
      interrupted: s?.interrupted ?? 0,
      done: s?.done ?? 0,
      failed: s?.failed ?? 0,
      canceled: s?.canceled ?? 0,
    },
    ...(c.kind === ContainerKind.CHAIN ? { current_step: c.currentStep } : {}),
    ...(c.kind === ContainerKind.SWARM ? { closed: c.closed, in_flight: c.inFlight, failed_count: c.failedCount } : {}),
  };
}

/** One page of a container's children in the container's order (ListContainerChildren). */
export async function containerPage(client: MageflowClient, containerKey: string, pageSize: number, token: string | undefined) {
  const page = await client.listChildren(containerKey, { pageSize, ...(token ? { pageToken: token } : {}) });
  return { children: page.children.map(signatureJson), next_page_token: page.nextPageToken };
}
