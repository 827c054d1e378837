export interface Sized {
  readonly size: number;
}

export interface BatchLimits {
  /** PutEvents takes at most 10 entries a request. */
  readonly maxEntries: number;
  /** The request size limit, summed over its entries the way AWS sums it. */
  readonly maxBytes: number;
}

/**
 * Packs items, in order, into the fewest consecutive batches that respect both limits. Every item must fit on
 * its own (callers claim-check the ones that do not).
 */
export function toBatches<T extends Sized>(items: readonly T[], limits: BatchLimits): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (item.size > limits.maxBytes) {
      throw new RangeError(
        `An entry of ${item.size} bytes cannot fit a request of at most ${limits.maxBytes} bytes.`,
      );
    }
    if (current.length === limits.maxEntries || bytes + item.size > limits.maxBytes) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += item.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
