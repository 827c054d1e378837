import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toBatches } from '../../../lambdas/ingest/batch';

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
