import { Alert, Anchor, AppShell, Button, Group, Text, Title } from "@mantine/core";
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import { fetchSession, signatureClient, type Session } from "./api";
import { LiveSignatures } from "./live";
import { Login } from "./Login";
import { Overview } from "./Overview";
import { hrefOf, useRoute } from "./route";
import { GraphPage } from "./GraphPage";
import { SignaturePage } from "./SignaturePage";
import { SignatureTable } from "./SignatureTable";

const TOKEN_KEY = "mageflow-console-token";

export function App() {
  const [auth, setAuth] = useState<{ token: string; session: Session }>();
  const [checking, setChecking] = useState(true);

  // A token kept for this tab, or none at all when the server runs without authentication.
  useEffect(() => {
    const stored = sessionStorage.getItem(TOKEN_KEY) ?? "";
    fetchSession(stored)
      .then((session) => {
        performance.mark("mageflow:session");
        setAuth({ token: stored, session });
      })
      .catch(() => sessionStorage.removeItem(TOKEN_KEY))
      .finally(() => setChecking(false));
  }, []);

  if (checking) return null;
  if (!auth) {
    return (
      <Login
        onSignedIn={(token, session) => {
          sessionStorage.setItem(TOKEN_KEY, token);
          setAuth({ token, session });
        }}
      />
    );
  }
  return (
    <Console
      token={auth.token}
      session={auth.session}
      onSignOut={() => {
        sessionStorage.removeItem(TOKEN_KEY);
        setAuth(undefined);
      }}
    />
  );
}

function Console({ token, session, onSignOut }: { token: string; session: Session; onSignOut: () => void }) {
  const client = useMemo(() => signatureClient(token), [token]);
  const live = useMemo(() => new LiveSignatures(client), [client]);
  useEffect(() => () => live.stop(), [live]);
  useSyncExternalStore(live.subscribe, live.getVersion);
  const route = useRoute();

  return (
    <AppShell header={{ height: 60 }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="lg" wrap="nowrap">
            <Title order={1} size="h3">
              MageFlow signatures
            </Title>
            <nav aria-label="Main">
              <Group gap="md">
                <Anchor href={hrefOf({ page: "overview" })} aria-current={route.page === "overview" ? "page" : undefined} fw={route.page === "overview" ? 700 : 400}>
                  Overview
                </Anchor>
                <Anchor href={hrefOf({ page: "signatures" })} aria-current={route.page === "signatures" ? "page" : undefined} fw={route.page === "signatures" ? 700 : 400}>
                  Signatures
                </Anchor>
              </Group>
            </nav>
          </Group>
          <Group gap="md" wrap="nowrap">
            <Text size="sm" role="status" aria-live="polite" data-testid="live-state">
              {live.state === "live" ? "● live" : live.state === "loading" ? "loading…" : live.state === "reconnecting" ? "reconnecting…" : "stopped"}
            </Text>
            <Text size="sm" data-testid="identity">
              {session.open ? "open mode" : session.name} · {session.role} · {session.namespace}
            </Text>
            <Button variant="default" size="xs" onClick={onSignOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Main>
        {live.error && live.state !== "live" && (
          <Alert color="red" title="The live view is not current" role="alert" mb="md">
            {live.error.code} {live.error.reason}: {live.error.message}
          </Alert>
        )}
        {route.page === "overview" && <Overview live={live} token={token} session={session} />}
        {route.page === "signatures" && <SignatureTable live={live} />}
        {route.page === "signature" && <SignaturePage key={route.key} sigKey={route.key} live={live} client={client} session={session} />}
        {route.page === "graph" && <GraphPage sigKey={route.key} live={live} />}
      </AppShell.Main>
    </AppShell>
  );
}
