import { Alert, Button, Container, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useState, type FormEvent } from "react";
import { fetchSession, type Session } from "./api";

export function Login({ onSignedIn }: { onSignedIn: (token: string, session: Session) => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(token.trim(), await fetchSession(token.trim()));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Container size="xs" pt={80}>
      <form onSubmit={submit}>
        <Stack>
          <Title order={1} size="h2">
            MageFlow signatures
          </Title>
          <Text>Sign in with a bearer token of this server (made with `mageflow token create`). It is kept for this browser tab only.</Text>
          <PasswordInput label="Access token" placeholder="mft_…" value={token} onChange={(e) => setToken(e.currentTarget.value)} required autoFocus autoComplete="off" />
          {error && (
            <Alert color="red" title="Not signed in" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
    </Container>
  );
}
