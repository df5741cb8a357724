import { toJson } from "@bufbuild/protobuf";
import { ValueSchema } from "@bufbuild/protobuf/wkt";
import { Alert, Anchor, Code, Grid, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import type { SignatureEvent } from "../../gen/ts/mageflow/v1/event_pb";
import type { Signature } from "../../gen/ts/mageflow/v1/signature_pb";
import { Actions } from "./Actions";
import { callError, type CallError, type Session, type SignatureClient } from "./api";
import { dispatchName, eventName, kindName, pretty, statusName, time } from "./format";
import { SignatureGraph } from "./LazyGraph";
import { watchHistory, HISTORY_KEEP } from "./live";
import type { LiveSignatures } from "./live";
import { hrefOf } from "./route";
import { StatusBadge } from "./StatusBadge";

export function SignaturePage({ sigKey, live, client, session }: { sigKey: string; live: LiveSignatures; client: SignatureClient; session: Session }) {
  const fromLive = live.byKey.get(sigKey);
  const [fetched, setFetched] = useState<{ sig?: Signature; error?: CallError }>();
  const [events, setEvents] = useState<SignatureEvent[]>([]);
  const [historyError, setHistoryError] = useState<CallError>();

  // Not (or no longer) in the live set: ask for it directly, which also says why it is missing.
  useEffect(() => {
    if (fromLive || live.state === "loading") return;
    client.getSignature({ key: sigKey }).then(
      (r) => setFetched({ sig: r.signature }),
      (e) => setFetched({ error: callError(e) }),
    );
  }, [fromLive, live.state, client, sigKey]);

  useEffect(
    () =>
      watchHistory(client, sigKey, (evs, err) => {
        setEvents(evs);
        setHistoryError(err);
      }),
    [client, sigKey],
  );

  const sig = fromLive ?? fetched?.sig;
  if (!sig) {
    return fetched?.error ? (
      <Alert color="red" title="Signature not available" role="alert">
        {fetched.error.code} · {fetched.error.reason}: {fetched.error.message}
      </Alert>
    ) : (
      <Text>Loading…</Text>
    );
  }

  const run = sig.run;
  return (
    <Stack>
      <Group justify="space-between" align="center">
        <Title order={2}>
          {sig.taskName}{" "}
          <Text span ff="monospace" size="md">
            {sig.key}
          </Text>
        </Title>
        <span data-testid="page-status">
          <StatusBadge status={sig.taskStatus?.status} />
        </span>
      </Group>
      <Actions sig={sig} client={client} session={session} />
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Title order={3} size="h4">
            Fields
          </Title>
          <Table aria-label="Fields" data-testid="fields">
            <Table.Tbody>
              <Field name="Kind" value={kindName(sig.containerKind)} />
              <Field name="Status" value={`${statusName(sig.taskStatus?.status)} (before: ${statusName(sig.taskStatus?.lastStatus)})`} />
              <Field name="Revision" value={String(sig.revision)} />
              <Field name="Created" value={time(sig.creationTime)} />
              <Field name="Updated" value={time(sig.updateTime)} />
              <Field name="Expires" value={time(sig.expireTime)} />
              <Field name="Return field" value={sig.returnFieldName} />
              <Field name="Removed" value={sig.removed ? "yes" : "no"} />
              <Field
                name="Container"
                value={sig.containerKey ? <Anchor href={`${hrefOf({ page: "signatures" })}?container=${encodeURIComponent(sig.containerKey)}`}>{sig.containerKey}</Anchor> : "—"}
              />
              <Field name="Success callbacks" value={<Keys keys={sig.successCallbacks} />} />
              <Field name="Error callbacks" value={<Keys keys={sig.errorCallbacks} />} />
              <Field name="Metadata" value={Object.keys(sig.metadata).length ? <Code block>{pretty(sig.metadata)}</Code> : "—"} />
            </Table.Tbody>
          </Table>
          <Title order={3} size="h4" mt="md">
            Run
          </Title>
          {run ? (
            <Table aria-label="Run">
              <Table.Tbody>
                <Field name="Run id" value={run.runId || "—"} />
                <Field name="Attempt" value={String(run.attempt)} />
                <Field name="Dispatch" value={dispatchName(run.dispatchState)} />
                <Field name="Dispatched" value={time(run.dispatchTime)} />
                <Field name="Result" value={run.result !== undefined ? <Code block>{pretty(toJson(ValueSchema, run.result))}</Code> : "—"} />
                <Field name="Error" value={run.error ? `${run.error.type ? `${run.error.type}: ` : ""}${run.error.message} (attempt ${run.error.attempt})` : "—"} />
              </Table.Tbody>
            </Table>
          ) : (
            <Text size="sm">Not dispatched yet.</Text>
          )}
          <Title order={3} size="h4" mt="md">
            Lock
          </Title>
          <Text size="sm" data-testid="lock">
            {sig.lock ? `held by ${sig.lock.owner || "(no owner given)"} until ${time(sig.lock.expireTime)}` : "not locked"}
          </Text>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Title order={3} size="h4">
            Kwargs
          </Title>
          <Code block data-testid="kwargs">
            {pretty(sig.kwargs ?? {})}
          </Code>
          <Title order={3} size="h4" mt="md">
            Last input
          </Title>
          <Code block data-testid="last-input">
            {run?.lastInput ? pretty(run.lastInput) : "—"}
          </Code>
          {sig.inputSchema && (
            <>
              <Title order={3} size="h4" mt="md">
                Input schema
              </Title>
              <Code block>{pretty(sig.inputSchema)}</Code>
            </>
          )}
        </Grid.Col>
      </Grid>
      <Group justify="space-between">
        <Title order={3} size="h4">
          Graph
        </Title>
        <Anchor href={hrefOf({ page: "graph", key: sig.key })}>Open the graph</Anchor>
      </Group>
      <SignatureGraph rootKey={sig.key} live={live} height={320} />
      <Title order={3} size="h4">
        Event history
      </Title>
      {historyError && (
        <Alert color="yellow" role="alert">
          {historyError.code} · {historyError.reason}: {historyError.message}
        </Alert>
      )}
      <Table aria-label="Event history" data-testid="history" striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Revision</Table.Th>
            <Table.Th scope="col">Time</Table.Th>
            <Table.Th scope="col">Event</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Run id</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {[...events].reverse().map((e) => (
            <Table.Tr key={`${e.revision}-${e.type}`} data-event={eventName(e.type)}>
              <Table.Td>{String(e.revision)}</Table.Td>
              <Table.Td>{time(e.eventTime)}</Table.Td>
              <Table.Td>{eventName(e.type)}</Table.Td>
              <Table.Td>{statusName(e.status)}</Table.Td>
              <Table.Td ff="monospace">{e.runId || "—"}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs">Newest first; the page keeps the last {HISTORY_KEEP} events the server still holds.</Text>
    </Stack>
  );
}

function Field({ name, value }: { name: string; value: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w={170}>
        {name}
      </Table.Th>
      <Table.Td>{value}</Table.Td>
    </Table.Tr>
  );
}

function Keys({ keys }: { keys: string[] }) {
  if (keys.length === 0) return <>—</>;
  return (
    <Stack gap={2}>
      {keys.map((k) => (
        <Anchor key={k} href={hrefOf({ page: "signature", key: k })} ff="monospace" size="sm">
          {k}
        </Anchor>
      ))}
    </Stack>
  );
}
