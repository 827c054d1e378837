import { describe, expect, it } from 'vitest';
import {
  type DecideInput,
  decideClaim,
  type LeaseItem,
  pendingItem,
  splitForOutcome,
  takeHolds,
} from '../../lambdas/shared/leases';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const times = { leaseSeconds: 120, ttlSeconds: 7 * 86_400 };
const input = (overrides: Partial<DecideInput> = {}): DecideInput => ({
  id: 'r1',
  leaseId: 'mine',
  nowMs: NOW,
  outcomes: true,
  ...overrides,
});
const heldBy = (leaseId: string, claimedAt = NOW): LeaseItem => pendingItem(leaseId, claimedAt, times);

describe('decideClaim', () => {
  it('takes an id that has no item, and only while it has none', () => {
    const decision = decideClaim(undefined, input());
    expect(decision).toEqual({ kind: 'take', take: { kind: 'absent' } });
    expect(takeHolds(undefined, { kind: 'absent' }, NOW)).toBe(true);
    expect(takeHolds(heldBy('other'), { kind: 'absent' }, NOW)).toBe(false);
  });

  it('answers claimed for an item of its own lease (a retried write that had gone through)', () => {
    expect(decideClaim(heldBy('mine'), input())).toEqual({ kind: 'claimed' });
  });

  it('reads the outcome of the lease that holds the id before deciding', () => {
    expect(decideClaim(heldBy('other'), input())).toEqual({ kind: 'read-outcome', leaseId: 'other' });
  });

  it("answers the status the holder's outcome gives the id, even while its lease runs", () => {
    const outcome = new Map([['published', new Set(['r1'])]]);
    expect(decideClaim(heldBy('other'), input({ outcome }))).toEqual({ kind: 'final', status: 'published' });
  });

  it("answers in flight while the holder's lease runs and its outcome does not name the id", () => {
    const outcome = new Map([['published', new Set(['r2'])]]);
    expect(decideClaim(heldBy('other'), input({ outcome }))).toEqual({ kind: 'in-flight' });
    expect(decideClaim(heldBy('other'), input({ outcome: null }))).toEqual({ kind: 'in-flight' });
  });

  it('takes an id whose holder let the lease lapse without naming it, only if the same lease still holds it', () => {
    const lapsed = heldBy('crashed', NOW - 121_000);
    const decision = decideClaim(lapsed, input({ outcome: null }));
    expect(decision).toEqual({ kind: 'take', take: { kind: 'lapsed', leaseId: 'crashed' } });
    expect(takeHolds(lapsed, { kind: 'lapsed', leaseId: 'crashed' }, NOW)).toBe(true);
    expect(takeHolds(heldBy('someone-faster'), { kind: 'lapsed', leaseId: 'crashed' }, NOW)).toBe(false);
  });

  it('never takes an id whose lapsed holder named it in its outcome: that record is on the bus', () => {
    const lapsed = heldBy('slow', NOW - 121_000);
    const outcome = new Map([['quarantined', new Set(['r1'])]]);
    expect(decideClaim(lapsed, input({ outcome }))).toEqual({ kind: 'final', status: 'quarantined' });
  });

  it('takes the lease over at once where no outcome is recorded per lease (action runs, the rules lock)', () => {
    const lapsed = heldBy('crashed', NOW - 121_000);
    expect(decideClaim(lapsed, input({ outcomes: false }))).toEqual({
      kind: 'take',
      take: { kind: 'lapsed', leaseId: 'crashed' },
    });
  });

  it('answers a final status written on the item itself, and forgets it past the TTL', () => {
    const published = { status: 'published', expires_at: Math.floor(NOW / 1000) + 10 };
    expect(decideClaim(published, input())).toEqual({ kind: 'final', status: 'published' });
    const old = { status: 'published', expires_at: Math.floor(NOW / 1000) - 1 };
    expect(decideClaim(old, input())).toEqual({ kind: 'take', take: { kind: 'expired' } });
    expect(takeHolds(old, { kind: 'expired' }, NOW)).toBe(true);
    expect(takeHolds(published, { kind: 'expired' }, NOW)).toBe(false);
  });
});

describe('splitForOutcome', () => {
  it('lists ids on the outcome record up to the byte budget, in order, and leaves the rest to their own items', () => {
    expect(splitForOutcome(['aaa', 'bbb', 'ccc'], 6)).toEqual([['aaa', 'bbb'], ['ccc']]);
    expect(splitForOutcome(['aaa'], 3)).toEqual([['aaa'], []]);
    expect(splitForOutcome(['é'], 1)).toEqual([[], ['é']]);
  });
});
