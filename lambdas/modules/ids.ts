import { createHash, randomBytes } from 'node:crypto';
import type { Dependency } from './model';

/**
 * A UUID version 7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Ids sort by creation time,
 * so a listing by key is a listing by age.
 */
export function uuidV7(nowMs: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(nowMs, 0, 6);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function sha256Hex(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Equal fingerprints mean equal drafts. The secret set id stands for the secret values: a set is immutable
 * and every value change makes a new one, so no value (nor a hash of one) ever enters the digest.
 */
export function draftFingerprint(
  code: string,
  dependencies: readonly Dependency[],
  secretsSetId: string | undefined,
): string {
  const sorted = [...dependencies]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, version }) => [name, version]);
  return sha256Hex(JSON.stringify([code, sorted, secretsSetId ?? null]));
}
