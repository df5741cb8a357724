import { Anchor, Card, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import { DispatchState, Status, type Signature } from "../../gen/ts/mageflow/v1/signature_pb";
import { fetchSession, type Session } from "./api";
import { shortKey, STATUS_COLORS, STATUSES, statusName, time } from "./format";
import type { LiveSignatures } from "./live";
import { hrefOf } from "./route";

const RECENT_FAILURES = 10;

export function Overview({ live, token, session }: { live: LiveSignatures; token: string; session: Session }) {
  const [watchers, setWatchers] = useState(session.watchers);
  useEffect(() => {
    const refresh = () => fetchSession(token).then((s) => setWatchers(s.watchers), () => {});
    void refresh();
    const t = setInterval(refresh, 5000);
    return () => clearInterval(t);
  }, [token]);

  const counts = new Map<Status, number>();
  let queued = 0;
  let parked = 0;
  const failed: Signature[] = [];
  for (const s of live.byKey.values()) {
    const st = s.taskStatus?.status ?? Status.UNSPECIFIED;
    counts.set(st, (counts.get(st) ?? 0) + 1);
    if (s.run?.dispatchState === DispatchState.QUEUED) queued++;
    if (s.run?.dispatchState === DispatchState.PARKED) parked++;
    if (st === Status.FAILED) failed.push(s);
  }
  const seconds = (s: Signature) => Number(s.updateTime?.seconds ?? 0n);
  failed.sort((a, b) => seconds(b) - seconds(a));

  return (
    <Stack>
      <Title order={2}>Overview</Title>
      <section aria-labelledby="counts">
        <Title order={3} size="h4" id="counts" mb="xs">
          Signatures by status ({live.byKey.size} in all)
        </Title>
        <SimpleGrid cols={{ base: 2, sm: 4, lg: 7 }}>
          {STATUSES.map((st) => {
            const name = statusName(st);
            return (
              <Card key={st} withBorder padding="sm" style={{ borderLeft: `6px solid ${STATUS_COLORS[name].bg}` }} data-count={name}>
                <Text size="sm">{name}</Text>
                <Text size="xl" fw={700}>
                  {counts.get(st) ?? 0}
                </Text>
              </Card>
            );
          })}
        </SimpleGrid>
      </section>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        <Card withBorder padding="sm" data-testid="backlog">
          <Text size="sm">Dispatch backlog (queued for the engine)</Text>
          <Text size="xl" fw={700}>
            {queued}
          </Text>
          <Text size="xs">{parked} parked until resumed</Text>
        </Card>
        <Card withBorder padding="sm" data-testid="watchers">
          <Text size="sm">Watch streams open on the server</Text>
          <Text size="xl" fw={700}>
            {watchers}
          </Text>
          <Text size="xs">this page holds one</Text>
        </Card>
        <Card withBorder padding="sm">
          <Text size="sm">Store revision seen</Text>
          <Text size="xl" fw={700}>
            {String(live.revision)}
          </Text>
        </Card>
      </SimpleGrid>
      <section aria-labelledby="failures">
        <Title order={3} size="h4" id="failures" mb="xs">
          Recent failures
        </Title>
        {failed.length === 0 ? (
          <Text size="sm">None.</Text>
        ) : (
          <Table aria-labelledby="failures" striped>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Signature</Table.Th>
                <Table.Th scope="col">Task</Table.Th>
                <Table.Th scope="col">Failed at</Table.Th>
                <Table.Th scope="col">Error</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {failed.slice(0, RECENT_FAILURES).map((s) => (
                <Table.Tr key={s.key}>
                  <Table.Td>
                    <Anchor href={hrefOf({ page: "signature", key: s.key })} ff="monospace" size="sm">
                      {shortKey(s.key)}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{s.taskName}</Table.Td>
                  <Table.Td>{time(s.updateTime)}</Table.Td>
                  <Table.Td>{s.run?.error ? `${s.run.error.type ? `${s.run.error.type}: ` : ""}${s.run.error.message}` : "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </section>
    </Stack>
  );
}
