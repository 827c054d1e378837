/**
 * The rules of the project's one claim pattern, without I/O: what a claim finds in an item, and what a write
 * must still find there to take it. `dynamodb-leases.ts` turns them into DynamoDB conditions; the in-memory
 * fakes of the tests apply the same functions, so both decide alike.
 *
 * An id's item is `{status: 'pending' | <final>, lease_id, lease_expires_at, expires_at}`: `pending` under a
 * lease while its holder acts, a final status once the outcome is certain. A holder that acted on many ids
 * at once may record its outcome once, on an outcome record of its lease (`{<final>_ids: [...]}`), instead of
 * once per id: a pending item whose lease has an outcome record naming the id is final. That keeps the
 * guarantees of the per-id write:
 * - exactly once: the outcome is written only after the act (EventBridge accepted the record), and an id is
 *   final only when the record names it, so a claim that finds `pending` never takes an id its holder
 *   finished;
 * - no loss: an id the record does not name is not final; once its lease lapses (the holder died, or gave it
 *   up) the next claim takes it and acts again, so the worst case stays a duplicate, never a loss.
 */

export const PENDING = 'pending';

/** An id's item, as stored (times: `lease_expires_at` in ms, `expires_at` in s, the table's TTL). */
export interface LeaseItem {
  readonly status: string;
  readonly lease_id?: string;
  readonly lease_expires_at?: number;
  readonly expires_at?: number;
}

/** A lease's outcome record: the ids it finished, by final status. */
export type LeaseOutcome = ReadonlyMap<string, ReadonlySet<string>>;

/** What a write that takes an id must still find, so two claimers racing for one id cannot both win. */
export type Take =
  /** No item: it was never claimed, or it was deleted (released, or removed by TTL). */
  | { readonly kind: 'absent' }
  /** An item past its TTL, which counts as absent even before DynamoDB deletes it. */
  | { readonly kind: 'expired' }
  /** A pending item of this lease, whose lease ran out and whose outcome does not name the id. */
  | { readonly kind: 'lapsed'; readonly leaseId: string };

export type Decision<Final extends string> =
  /** The item is already ours (a retried write that had succeeded). */
  | { readonly kind: 'claimed' }
  | { readonly kind: 'final'; readonly status: Final }
  /** Another holder's lease is running and its outcome does not name the id yet. */
  | { readonly kind: 'in-flight' }
  | { readonly kind: 'take'; readonly take: Take }
  /** Pending under another lease that may have recorded its outcome: read that record, then decide again. */
  | { readonly kind: 'read-outcome'; readonly leaseId: string };

export interface DecideInput {
  readonly id: string;
  readonly leaseId: string;
  readonly nowMs: number;
  /** Whether outcomes may be recorded per lease (else every final status is on the id's own item). */
  readonly outcomes: boolean;
  /** The outcome record of the item's lease: `undefined` when not read yet, `null` when there is none. */
  readonly outcome?: LeaseOutcome | null;
}

/** What a claim on `id` does, given its item (`undefined`: no item). */
export function decideClaim<Final extends string>(
  item: LeaseItem | undefined,
  input: DecideInput,
): Decision<Final> {
  if (!item) return { kind: 'take', take: { kind: 'absent' } };
  if (isPastTtl(item, input.nowMs)) return { kind: 'take', take: { kind: 'expired' } };
  if (item.status !== PENDING) return { kind: 'final', status: item.status as Final };
  if (item.lease_id !== undefined && item.lease_id === input.leaseId) return { kind: 'claimed' };
  if (input.outcomes && item.lease_id !== undefined) {
    if (input.outcome === undefined) return { kind: 'read-outcome', leaseId: item.lease_id };
    for (const [status, ids] of input.outcome ?? []) {
      if (ids.has(input.id)) return { kind: 'final', status: status as Final };
    }
  }
  if ((item.lease_expires_at ?? 0) < input.nowMs) {
    return { kind: 'take', take: { kind: 'lapsed', leaseId: item.lease_id ?? '' } };
  }
  return { kind: 'in-flight' };
}

/** Whether a write that takes an id as `take` says finds what it expects (DynamoDB's condition, in memory). */
export function takeHolds(item: LeaseItem | undefined, take: Take, nowMs: number): boolean {
  switch (take.kind) {
    case 'absent':
      return item === undefined;
    case 'expired':
      return item !== undefined && isPastTtl(item, nowMs);
    case 'lapsed':
      return (
        item?.status === PENDING && item.lease_id === take.leaseId && (item.lease_expires_at ?? 0) < nowMs
      );
  }
}

export interface LeaseTimes {
  /** How long a claim blocks other claimers; longer than one attempt can run. */
  readonly leaseSeconds: number;
  /** How long an outcome is remembered. */
  readonly ttlSeconds: number;
}

/** The item a claim writes. */
export function pendingItem(leaseId: string, nowMs: number, times: LeaseTimes): Required<LeaseItem> {
  return {
    status: PENDING,
    lease_id: leaseId,
    lease_expires_at: nowMs + times.leaseSeconds * 1000,
    expires_at: expiresAt(nowMs, times.ttlSeconds),
  };
}

/** The TTL of an item written at `nowMs`, in seconds. */
export function expiresAt(nowMs: number, ttlSeconds: number): number {
  return Math.floor(nowMs / 1000) + ttlSeconds;
}

/** The attribute of an outcome record that lists the ids finished with `status`. */
export function outcomeAttribute(status: string): string {
  return `${status}_ids`;
}

/**
 * Splits ids into those an outcome record takes (up to `maxBytes` of ids, in order, so a record stays far below
 * DynamoDB's 400 KB item limit) and the rest, whose outcome is written on their own items.
 */
export function splitForOutcome(ids: readonly string[], maxBytes: number): [string[], string[]] {
  const recorded: string[] = [];
  let bytes = 0;
  let index = 0;
  for (; index < ids.length; index++) {
    const size = Buffer.byteLength(ids[index] as string, 'utf8');
    if (bytes + size > maxBytes) break;
    bytes += size;
    recorded.push(ids[index] as string);
  }
  return [recorded, ids.slice(index)];
}

function isPastTtl(item: LeaseItem, nowMs: number): boolean {
  return item.expires_at !== undefined && item.expires_at < Math.floor(nowMs / 1000);
}
