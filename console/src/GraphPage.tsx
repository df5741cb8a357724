import { Anchor, Stack, Text, Title } from "@mantine/core";
import { SignatureGraph } from "./LazyGraph";
import type { LiveSignatures } from "./live";
import { hrefOf } from "./route";

export function GraphPage({ sigKey, live }: { sigKey: string; live: LiveSignatures }) {
  const sig = live.byKey.get(sigKey);
  return (
    <Stack>
      <Title order={2}>Graph of {sig?.taskName ?? sigKey}</Title>
      <Text size="sm">
        Success and error callbacks, the container and its children, colored by status, updating live.{" "}
        <Anchor href={hrefOf({ page: "signature", key: sigKey })}>Back to the signature</Anchor>
      </Text>
      <SignatureGraph rootKey={sigKey} live={live} height={640} />
    </Stack>
  );
}
