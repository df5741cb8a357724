import { Text } from "@mantine/core";
import { lazy, Suspense, type ComponentProps } from "react";
import type { SignatureGraph as Eager } from "./Graph";

// React Flow and dagre are a third of the bundle: loaded when a graph is first shown, not with the table.
const Graph = lazy(() => import("./Graph").then((m) => ({ default: m.SignatureGraph })));

export function SignatureGraph(props: ComponentProps<typeof Eager>) {
  return (
    <Suspense fallback={<Text size="sm">Loading the graph…</Text>}>
      <Graph {...props} />
    </Suspense>
  );
}
