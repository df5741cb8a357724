import { Anchor, Group, List, Text } from "@mantine/core";
import { Background, Controls, MarkerType, Position, ReactFlow, type Edge, type Node } from "@xyflow/react";
import { useMemo } from "react";
import { kindName, shortKey, STATUS_COLORS, statusName } from "./format";
import type { LiveSignatures } from "./live";
import { buildGraph, NODE_W, type EdgeKind } from "./graph-model";
import { hrefOf } from "./route";

const EDGE_COLORS: Record<EdgeKind, string> = { success: "#237032", error: "#c92a2a", child: "#495057" };

/** The callback and container graph of a signature, colored by status, redrawn on every change. */
export function SignatureGraph({ rootKey, live, height = 420 }: { rootKey: string; live: LiveSignatures; height?: number }) {
  const graph = useMemo(() => buildGraph(rootKey, live.byKey), [rootKey, live, live.version]);

  const nodes: Node[] = graph.nodes.map((n) => {
    const status = n.sig ? statusName(n.sig.taskStatus?.status) : "unknown";
    const c = STATUS_COLORS[status] ?? STATUS_COLORS.unknown;
    return {
      id: n.key,
      position: { x: n.x, y: n.y },
      data: {
        label: (
          <div data-graph-node={n.key} data-status={status}>
            <div style={{ fontWeight: 700 }}>{n.sig?.taskName ?? shortKey(n.key)}</div>
            <div>
              {n.sig?.containerKind ? `${kindName(n.sig.containerKind)} · ` : ""}
              {n.sig ? status : "not loaded"}
            </div>
          </div>
        ),
      },
      ariaLabel: `${n.sig?.taskName ?? n.key}: ${status}`,
      style: { width: NODE_W, background: c.bg, color: c.fg, border: n.root ? "3px solid #212529" : "1px solid #212529", fontSize: 13 },
      sourcePosition: Position.Right,
      targetPosition: Position.Left,
      connectable: false,
      draggable: false,
    };
  });
  const edges: Edge[] = graph.edges.map((e, i) => ({
    id: `${i}`,
    source: e.from,
    target: e.to,
    label: e.n ? `child ${e.n}` : e.kind,
    style: { stroke: EDGE_COLORS[e.kind], strokeWidth: 2, strokeDasharray: e.kind === "child" ? "6 4" : undefined },
    labelStyle: { fill: EDGE_COLORS[e.kind], fontWeight: 700 },
    markerEnd: { type: MarkerType.ArrowClosed, color: EDGE_COLORS[e.kind] },
  }));

  return (
    <div>
      <div style={{ height, border: "1px solid #ced4da", borderRadius: 4 }} data-testid="graph" data-nodes={nodes.length}>
        <ReactFlow
          nodes={nodes}
          edges={edges}
          fitView
          fitViewOptions={{ maxZoom: 1, padding: 0.2 }}
          nodesConnectable={false}
          nodesDraggable={false}
          onNodeClick={(_, n) => (window.location.hash = hrefOf({ page: "signature", key: n.id }))}
          proOptions={{ hideAttribution: true }}
          ariaLabelConfig={{ "node.a11yDescription.default": "Press Enter to select this signature." }}
        >
          <Background />
          <Controls showInteractive={false} />
        </ReactFlow>
      </div>
      <Group gap="md" mt="xs">
        <Text size="sm">Edges:</Text>
        {(Object.keys(EDGE_COLORS) as EdgeKind[]).map((k) => (
          <Text key={k} size="sm" c={EDGE_COLORS[k]} fw={700}>
            {k === "child" ? "- - child of container" : `—— ${k} callback`}
          </Text>
        ))}
        {graph.truncated && <Text size="sm">(only the first {graph.nodes.length} signatures are drawn)</Text>}
      </Group>
      <details>
        <summary>The graph as a list</summary>
        <List size="sm">
          {graph.edges.map((e, i) => (
            <List.Item key={i}>
              <Anchor href={hrefOf({ page: "signature", key: e.from })}>{shortKey(e.from)}</Anchor> → {e.n ? `child ${e.n}` : e.kind} →{" "}
              <Anchor href={hrefOf({ page: "signature", key: e.to })}>{shortKey(e.to)}</Anchor> ({graph.nodes.find((n) => n.key === e.to)?.sig ? statusName(graph.nodes.find((n) => n.key === e.to)!.sig!.taskStatus?.status) : "not loaded"})
            </List.Item>
          ))}
        </List>
      </details>
    </div>
  );
}
