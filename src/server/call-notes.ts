/** What the gate learned about a call (its namespace), for the call's log line. Keyed by the handler context. */
const notes = new WeakMap<object, string>();

export function noteNamespace(ctx: object, namespace: string) {
  notes.set(ctx, namespace);
}

export function namespaceOf(ctx: object): string | undefined {
  return notes.get(ctx);
}
