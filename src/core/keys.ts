import { randomUUID } from "node:crypto";

const KEY_PATTERN = /^(TaskSignature|ChainSignature|SwarmSignature):[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** MageFlow's key format: `TaskSignature:<uuid4>`. */
export const newSignatureKey = () => `TaskSignature:${randomUUID()}`;

export const isSignatureKey = (k: string) => KEY_PATTERN.test(k);
