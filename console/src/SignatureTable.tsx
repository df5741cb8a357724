import { Alert, Button, Group, NativeSelect, Stack, Text, TextInput, Title } from "@mantine/core";
import { memo, useEffect, useMemo, useState } from "react";
import "./table.css";
import { Status, type Signature } from "../../gen/ts/mageflow/v1/signature_pb";
import { dispatchName, shortKey, STATUS_COLORS, STATUSES, statusName, time } from "./format";
import type { LiveSignatures } from "./live";
import { compare, pageOf, positionOf, type Position } from "./order";
import { hrefOf } from "./route";

const PAGE_SIZES = ["25", "50", "100", "1000"];
const SIZE_KEY = "mageflow-console-page-size";

export function SignatureTable({ live }: { live: LiveSignatures }) {
  const [status, setStatus] = useState("");
  const [task, setTask] = useState("");
  const [container, setContainer] = useState(() => new URLSearchParams(window.location.hash.split("?")[1] ?? "").get("container") ?? "");
  const [size, setSize] = useState(() => localStorage.getItem(SIZE_KEY) ?? "50");
  const [anchor, setAnchor] = useState<Position>();

  const sorted = useMemo(() => {
    const t = task.trim().toLowerCase();
    const c = container.trim();
    const want = status ? Number(status) : undefined;
    const out: Signature[] = [];
    for (const s of live.byKey.values()) {
      if (want !== undefined && s.taskStatus?.status !== want) continue;
      if (t && !s.taskName.toLowerCase().includes(t)) continue;
      if (c && s.containerKey !== c) continue;
      out.push(s);
    }
    return out.sort((a, b) => compare(positionOf(a), positionOf(b)));
    // live.version: the map changes in place, so its version is the dependency
  }, [live.version, status, task, container]);

  const page = pageOf(sorted, anchor, Number(size));
  // For load measurements: when the first full page of the snapshot was drawn.
  useEffect(() => {
    if (live.loadedAt === undefined || page.rows.length === 0 || performance.getEntriesByName("mageflow:table-shown").length > 0) return;
    requestAnimationFrame(() => performance.mark("mageflow:table-shown", { detail: { rows: page.rows.length } }));
  }, [live.loadedAt, page.rows.length]);
  const filter = (set: (v: string) => void) => (v: string) => {
    set(v);
    setAnchor(undefined);
  };

  return (
    <Stack>
      <Title order={2}>Signatures</Title>
      <form role="search" aria-label="Filter signatures" onSubmit={(e) => e.preventDefault()}>
        <Group align="end">
          <NativeSelect
            label="Status"
            value={status}
            onChange={(e) => filter(setStatus)(e.currentTarget.value)}
            data={[{ value: "", label: "any status" }, ...STATUSES.map((s) => ({ value: String(s), label: statusName(s) }))]}
          />
          <TextInput label="Task name" placeholder="contains…" value={task} onChange={(e) => filter(setTask)(e.currentTarget.value)} />
          <TextInput label="Container key" placeholder="ChainSignature:…" value={container} onChange={(e) => filter(setContainer)(e.currentTarget.value)} />
          <NativeSelect
            label="Rows per page"
            value={size}
            onChange={(e) => {
              localStorage.setItem(SIZE_KEY, e.currentTarget.value);
              filter(setSize)(e.currentTarget.value);
            }}
            data={PAGE_SIZES}
          />
        </Group>
      </form>
      {anchor && page.start > 0 && (
        <Alert color="blue" variant="light" aria-live="polite">
          <Group justify="space-between">
            <Text size="sm">
              {page.start} newer signature{page.start === 1 ? "" : "s"} above this page.
            </Text>
            <Button size="xs" variant="default" onClick={() => setAnchor(undefined)}>
              Show newest
            </Button>
          </Group>
        </Alert>
      )}
      <table className="sig-table" aria-label="Signatures" data-testid="signature-table" data-rows={page.rows.length}>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Task</th>
            <th scope="col">Status</th>
            <th scope="col">Dispatch</th>
            <th scope="col">Created</th>
            <th scope="col">Updated</th>
            <th scope="col">Container</th>
          </tr>
        </thead>
        <tbody>
          {page.rows.map((s) => (
            <Row key={s.key} s={s} />
          ))}
        </tbody>
      </table>
      {page.total === 0 && <Text c="dimmed">{live.state === "loading" ? "Loading…" : "No signature matches."}</Text>}
      <Group justify="space-between">
        <Text size="sm" data-testid="page-range" aria-live="polite">
          {page.total === 0 ? "0 signatures" : `${page.start + 1}–${page.start + page.rows.length} of ${page.total}`}
        </Text>
        <Group>
          <Button variant="default" disabled={page.prev === undefined} onClick={() => setAnchor(page.prev ?? undefined)}>
            Previous page
          </Button>
          <Button variant="default" disabled={!page.next} onClick={() => setAnchor(page.next)}>
            Next page
          </Button>
        </Group>
      </Group>
    </Stack>
  );
}

const Row = memo(function Row({ s }: { s: Signature }) {
  const status = statusName(s.taskStatus?.status ?? Status.UNSPECIFIED);
  const c = STATUS_COLORS[status] ?? STATUS_COLORS.unknown;
  return (
    <tr data-key={s.key} data-status={status}>
      <td>
        <a href={hrefOf({ page: "signature", key: s.key })} title={s.key}>
          {shortKey(s.key)}
        </a>
      </td>
      <td>{s.taskName}</td>
      <td>
        <span className="status-badge" style={{ backgroundColor: c.bg, color: c.fg }}>
          {status}
        </span>
      </td>
      <td>{dispatchName(s.run?.dispatchState)}</td>
      <td>{time(s.creationTime)}</td>
      <td>{time(s.updateTime)}</td>
      <td className="mono">{s.containerKey ? shortKey(s.containerKey) : "—"}</td>
    </tr>
  );
});
