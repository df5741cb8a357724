import { Alert, Button, Checkbox, Group, Modal, SegmentedControl, Stack, Switch, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { PauseType } from "../../gen/ts/mageflow/v1/signature_service_pb";
import type { Signature } from "../../gen/ts/mageflow/v1/signature_pb";
import { callError, type CallError, type Session, type SignatureClient } from "./api";

interface Extra {
  lockId: string;
  hard: boolean;
  withError: boolean;
  withSuccess: boolean;
}

interface Action {
  label: string;
  method: string;
  explain: string;
  danger?: boolean;
  run: (c: SignatureClient, s: Signature, x: Extra) => Promise<unknown>;
}

const cond = (s: Signature) => ({ key: s.key, expectedRevision: s.revision });

/** Every change the page offers; each is made only if the signature is still at the revision shown (etag). */
const ACTIONS: Action[] = [
  { label: "Suspend", method: "SuspendSignature", explain: "Hold it before it starts; a run requested meanwhile is parked until resumed.", run: (c, s) => c.suspendSignature(cond(s)) },
  { label: "Resume", method: "ResumeSignature", explain: "Return it to pending and re-dispatch its parked or interrupted run.", run: (c, s) => c.resumeSignature(cond(s)) },
  { label: "Interrupt", method: "InterruptSignature", explain: "Stop it and cancel its in-flight run at the engine; it can be resumed.", run: (c, s) => c.interruptSignature(cond(s)) },
  {
    label: "Pause",
    method: "PauseSignature",
    explain: "Soft pause suspends; hard pause interrupts.",
    run: (c, s, x) => c.pauseSignature({ ...cond(s), pauseType: x.hard ? PauseType.HARD : PauseType.SOFT }),
  },
  { label: "Cancel", method: "CancelSignature", danger: true, explain: "Cancel it for good, with its in-flight run and both callback branches.", run: (c, s) => c.cancelSignature(cond(s)) },
  {
    label: "Remove",
    method: "RemoveSignature",
    danger: true,
    explain: "Retire it (and the chosen callback trees): it stays readable until the done TTL, then vanishes.",
    run: (c, s, x) => c.removeSignature({ ...cond(s), withError: x.withError, withSuccess: x.withSuccess }),
  },
  { label: "Unlock", method: "UnlockSignature", explain: "Release the lease on it. Only the holder knows the lease id.", run: (c, s, x) => c.unlockSignature({ key: s.key, lockId: x.lockId.trim() }) },
];

const SHOW_ALL_KEY = "mageflow-console-show-all-actions";

export function Actions({ sig, client, session }: { sig: Signature; client: SignatureClient; session: Session }) {
  const [showAll, setShowAll] = useState(() => localStorage.getItem(SHOW_ALL_KEY) === "1");
  const [open, setOpen] = useState<Action>();
  const [extra, setExtra] = useState<Extra>({ lockId: "", hard: false, withError: true, withSuccess: true });
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ action: string; error?: CallError }>();

  const mayCall = (a: Action) => session.methods.includes(a.method);
  const shown = ACTIONS.filter((a) => showAll || mayCall(a));

  const confirm = async () => {
    if (!open) return;
    setBusy(true);
    try {
      await open.run(client, sig, extra);
      setResult({ action: open.label });
    } catch (e) {
      setResult({ action: open.label, error: callError(e) });
    } finally {
      setBusy(false);
      setOpen(undefined);
    }
  };

  return (
    <Stack gap="xs">
      <Group gap="xs" role="toolbar" aria-label="Actions">
        {shown.map((a) => (
          <Button
            key={a.label}
            color={a.danger ? "red.8" : undefined}
            variant={mayCall(a) ? "filled" : "outline"}
            title={mayCall(a) ? a.explain : `${a.explain} (role ${session.role} may not call ${a.method})`}
            onClick={() => {
              setResult(undefined);
              setExtra({ lockId: "", hard: false, withError: true, withSuccess: true });
              setOpen(a);
            }}
          >
            {a.label}
          </Button>
        ))}
        {shown.length === 0 && <Text size="sm">Role {session.role} may not change signatures.</Text>}
      </Group>
      <Switch
        size="sm"
        label="Show actions my role cannot use"
        checked={showAll}
        onChange={(e) => {
          const v = e.currentTarget.checked;
          localStorage.setItem(SHOW_ALL_KEY, v ? "1" : "0");
          setShowAll(v);
        }}
      />
      {result?.error && (
        <Alert color="red" title={`${result.action} refused`} role="alert" data-testid="action-error">
          <Text fw={700} size="sm">
            {result.error.code} · {result.error.reason}
          </Text>
          <Text size="sm">{result.error.message}</Text>
          {result.error.violations.map((v) => (
            <Text size="sm" key={v}>
              {v}
            </Text>
          ))}
        </Alert>
      )}
      {result && !result.error && (
        <Alert color="green" role="status" data-testid="action-done">
          {result.action}: done.
        </Alert>
      )}
      <Modal opened={!!open} onClose={() => setOpen(undefined)} title={open ? `${open.label} this signature?` : ""} centered closeButtonProps={{ "aria-label": "Close without changing anything" }}>
        {open && (
          <Stack>
            <Text size="sm">{open.explain}</Text>
            <Text size="sm" ff="monospace">
              {sig.key} (revision {String(sig.revision)})
            </Text>
            {open.method === "PauseSignature" && (
              <SegmentedControl
                aria-label="Pause type"
                value={extra.hard ? "hard" : "soft"}
                onChange={(v) => setExtra({ ...extra, hard: v === "hard" })}
                data={[
                  { value: "soft", label: "Soft (suspend)" },
                  { value: "hard", label: "Hard (interrupt)" },
                ]}
              />
            )}
            {open.method === "RemoveSignature" && (
              <>
                <Checkbox label="Also remove the error-callback tree" checked={extra.withError} onChange={(e) => setExtra({ ...extra, withError: e.currentTarget.checked })} />
                <Checkbox label="Also remove the success-callback tree" checked={extra.withSuccess} onChange={(e) => setExtra({ ...extra, withSuccess: e.currentTarget.checked })} />
              </>
            )}
            {open.method === "UnlockSignature" && (
              <TextInput label="Lease id" description="The lock_id LockSignature returned to the holder" value={extra.lockId} onChange={(e) => setExtra({ ...extra, lockId: e.currentTarget.value })} data-autofocus />
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setOpen(undefined)}>
                Keep it
              </Button>
              <Button color={open.danger ? "red.8" : undefined} loading={busy} onClick={confirm} data-autofocus={open.method !== "UnlockSignature" || undefined}>
                {open.label}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
