import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyRequests, packBatches, requestsLowerBound, toBatches } from '../../../lambdas/ingest/batch';

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

  it('empties the least-filled request into the others when the packings before leave one over the bound', () => {
    // GIVEN 16 entries of 87 to 784 bytes, 5.1 requests of bytes: first-fit-decreasing, minimum bin slack
    // and the dealt packings all need 7 requests
    const sizes = [630, 357, 452, 332, 784, 174, 267, 285, 483, 213, 422, 427, 107, 87, 214, 612];
    // WHEN packed
    const batches = packBatches(items(...sizes), limits);
    // THEN the bound: 6 requests
    expect(requestsLowerBound(sizes, limits)).toBe(6);
    expect(batches).toHaveLength(6);
  });

  it('empties a request when the count limit binds too', () => {
    // GIVEN 8 entries, at most 3 a request: 3 requests by count and by bytes (2,920 of 3,000)
    const tight = { maxEntries: 3, maxBytes: 1000 };
    const sizes = [334, 303, 616, 267, 181, 481, 191, 547];
    // WHEN packed
    const batches = packBatches(items(...sizes), tight);
    // THEN 3 requests, each within both limits
    expect(requestsLowerBound(sizes, tight)).toBe(3);
    expect(batches).toHaveLength(3);
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(3);
      expect(batch.reduce((sum, item) => sum + item.size, 0)).toBeLessThanOrEqual(1000);
    }
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
        expectSamePacking(input, batches, limits);
        expect(batches.length).toBeLessThanOrEqual(toBatches(input, limits).length);
        expect(batches.length).toBeGreaterThanOrEqual(requestsLowerBound(sizes, limits));
      }),
    );
  });

  it('sends every entry once, within both limits, when the count limit binds (property)', () => {
    const tight = { maxEntries: 3, maxBytes: 1000 };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 60 }), (sizes) => {
        const input = items(...sizes);
        const batches = packBatches(input, tight);
        expectSamePacking(input, batches, tight);
        expect(batches.length).toBeLessThanOrEqual(toBatches(input, tight).length);
        expect(batches.length).toBeGreaterThanOrEqual(requestsLowerBound(sizes, tight));
      }),
    );
  });
});

/** Every entry of `input` exactly once in `batches`, and no batch empty or over a limit. */
function expectSamePacking(
  input: { id: number; size: number }[],
  batches: { id: number; size: number }[][],
  bounds: { maxEntries: number; maxBytes: number },
) {
  expect(
    batches
      .flat()
      .map((item) => item.id)
      .sort((a, b) => a - b),
  ).toEqual(input.map((item) => item.id));
  for (const batch of batches) {
    expect(batch.length).toBeGreaterThan(0);
    expect(batch.length).toBeLessThanOrEqual(bounds.maxEntries);
    expect(batch.reduce((sum, item) => sum + item.size, 0)).toBeLessThanOrEqual(bounds.maxBytes);
  }
}

describe('emptyRequests', () => {
  const bytesOf = (batches: { size: number }[][]) =>
    batches.map((batch) => batch.reduce((sum, item) => sum + item.size, 0));

  it('makes room for the entries of the least-filled request by trading an entry for a smaller one', () => {
    // GIVEN [600, 300] and [500, 400], 100 bytes free each, and [200] to place
    const [a, b, c, d, e] = items(600, 300, 500, 400, 200);
    // WHEN the least-filled request is emptied
    const batches = emptyRequests([[a, b], [c, d], [e]] as { id: number; size: number }[][], 2, limits);
    // THEN 600 and 500 trade places, which frees 200 bytes beside the 300: two full requests
    expect(batches).toHaveLength(2);
    expect(bytesOf(batches)).toEqual([1000, 1000]);
  });

  it('keeps the packing it was given when no request can be emptied', () => {
    // GIVEN two entries of 600, which no request holds together
    const input = [items(600), items(600)];
    // WHEN asked for a single request
    const batches = emptyRequests(input, 1, limits);
    // THEN the two requests, as they were
    expect(batches).toEqual(input);
  });

  it('sends every entry once, within both limits, in never more requests than it was given (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1000 }), { maxLength: 80 }),
        fc.constantFrom(3, 10),
        (sizes, maxEntries) => {
          // GIVEN any valid packing: the one that keeps the order
          const bounds = { maxEntries, maxBytes: 1000 };
          const input = items(...sizes);
          const given = toBatches(input, bounds);
          // WHEN its requests are emptied down to the bound
          const batches = emptyRequests(given, requestsLowerBound(sizes, bounds), bounds);
          // THEN still a valid packing of the same entries, no larger, and no smaller than the bound
          expectSamePacking(input, batches, bounds);
          expect(batches.length).toBeLessThanOrEqual(given.length);
          expect(batches.length).toBeGreaterThanOrEqual(requestsLowerBound(sizes, bounds));
        },
      ),
    );
  });
});
