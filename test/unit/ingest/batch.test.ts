import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBatches, requestsLowerBound, toBatches } from '../../../lambdas/ingest/batch';

const items = (...sizes: number[]) => sizes.map((size, id) => ({ id, size }));
const limits = { maxEntries: 10, maxBytes: 1000 };

describe('toBatches', () => {
  it('puts exactly 10 entries in one request', () => {
    expect(toBatches(items(...Array(10).fill(1)), limits).map((b) => b.length)).toEqual([10]);
  });

  it('starts a second request at the 11th entry', () => {
    expect(toBatches(items(...Array(11).fill(1)), limits).map((b) => b.length)).toEqual([10, 1]);
  });

  it('fills a request to exactly the size limit', () => {
    expect(toBatches(items(400, 600), limits).map((b) => b.length)).toEqual([2]);
  });

  it('starts a new request when one more byte would pass the size limit', () => {
    expect(toBatches(items(400, 601), limits).map((b) => b.length)).toEqual([1, 1]);
  });

  it('takes a single entry of exactly the limit', () => {
    expect(toBatches(items(1000), limits)).toHaveLength(1);
  });

  it('refuses an entry larger than a whole request', () => {
    expect(() => toBatches(items(1001), limits)).toThrow(
      /1001 bytes cannot fit a request of at most 1000 bytes/,
    );
  });

  it('returns no batches for no entries', () => {
    expect(toBatches([], limits)).toEqual([]);
  });

  it('keeps order and respects both limits for any input (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 200 }), (sizes) => {
        const input = items(...sizes);
        const batches = toBatches(input, limits);
        expect(batches.flat()).toEqual(input);
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((sum, item) => sum + item.size, 0)).toBeLessThanOrEqual(1000);
        }
        // Greedy packing: no batch could have taken the first entry of the next one.
        for (let i = 0; i + 1 < batches.length; i++) {
          const batch = batches[i] ?? [];
          const next = batches[i + 1]?.[0];
          const bytes = batch.reduce((sum, item) => sum + item.size, 0);
          expect(batch.length === 10 || bytes + (next?.size ?? 0) > 1000).toBe(true);
        }
      }),
    );
  });
});

describe('packBatches', () => {
  const sizesOf = (batches: { size: number }[][]) => batches.map((b) => b.map((item) => item.size));

  it('pairs entries that consecutive packing would leave in separate requests', () => {
    // GIVEN 600, 600, 400, 400: in order, 400 never follows a 600 that it could join
    const input = items(600, 600, 400, 400);
    // WHEN packed
    const batches = packBatches(input, limits);
    // THEN two full requests, where toBatches needs three
    expect(toBatches(input, limits)).toHaveLength(3);
    expect(sizesOf(batches)).toEqual([
      [600, 400],
      [600, 400],
    ]);
  });

  it('gives each entry over half a request the smallest entries, so that every request still holds 10', () => {
    // GIVEN 30 entries (3 requests by count): two of 900 bytes, eighteen of 10, ten of 50
    const input = items(900, ...Array(10).fill(50), 900, ...Array(18).fill(10));
    // WHEN packed
    const batches = packBatches(input, limits);
    // THEN 3 requests: first-fit would put the 50s beside the 900s and need a fourth
    expect(
      requestsLowerBound(
        input.map((i) => i.size),
        limits,
      ),
    ).toBe(3);
    expect(sizesOf(batches).map((sizes) => sizes.length)).toEqual([10, 10, 10]);
  });

  it('proves when no packing can reach ⌈n / 10⌉: an entry of 950 takes at most 4 entries of 12 along', () => {
    // 20 entries, 2 requests by count and by bytes, but the 950 leaves room for only 4 of the others
    const input = items(950, ...Array(19).fill(12));
    expect(
      requestsLowerBound(
        input.map((i) => i.size),
        limits,
      ),
    ).toBe(3);
    expect(packBatches(input, limits)).toHaveLength(3);
  });

  it('refuses an entry larger than a whole request', () => {
    expect(() => packBatches(items(10, 1001), limits)).toThrow(
      /1001 bytes cannot fit a request of at most 1000 bytes/,
    );
  });

  it('returns no batches for no entries', () => {
    expect(packBatches([], limits)).toEqual([]);
  });

  it('sends every entry once, within both limits, in never more requests than in order and never fewer than the bound (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 200 }), (sizes) => {
        const input = items(...sizes);
        const batches = packBatches(input, limits);
        expect(
          batches
            .flat()
            .map((item) => item.id)
            .sort((a, b) => a - b),
        ).toEqual(input.map((item) => item.id));
        for (const batch of batches) {
          expect(batch.length).toBeGreaterThan(0);
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((sum, item) => sum + item.size, 0)).toBeLessThanOrEqual(1000);
        }
        expect(batches.length).toBeLessThanOrEqual(toBatches(input, limits).length);
        expect(batches.length).toBeGreaterThanOrEqual(requestsLowerBound(sizes, limits));
      }),
    );
  });
});
