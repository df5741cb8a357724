import { Badge } from "@mantine/core";
import type { Status } from "../../gen/ts/mageflow/v1/signature_pb";
import { STATUS_COLORS, statusName } from "./format";

export function StatusBadge({ status }: { status: Status | undefined }) {
  const name = statusName(status);
  const c = STATUS_COLORS[name] ?? STATUS_COLORS.unknown;
  return (
    <Badge radius="sm" style={{ backgroundColor: c.bg, color: c.fg }} data-status={name}>
      {name}
    </Badge>
  );
}
