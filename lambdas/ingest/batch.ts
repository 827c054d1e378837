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

/**
 * The fewest requests any packing could use: one per 10 entries, one per `maxBytes` of entries, and one for
 * each entry over half a request (no two of those fit together).
 */
export function requestsLowerBound(sizes: readonly number[], limits: BatchLimits): number {
  const bytes = sizes.reduce((sum, size) => sum + size, 0);
  const halves = sizes.filter((size) => size * 2 > limits.maxBytes).length;
  return Math.max(
    Math.ceil(sizes.length / limits.maxEntries),
    Math.ceil(bytes / limits.maxBytes),
    halves,
    anchoredBound(sizes, limits),
  );
}

/** Tries at most this many request counts between the lower bound and first-fit-decreasing's. */
const MAX_TIGHTER_TRIES = 8;
const MAX_SEARCHED_ENTRIES = 2000;

/**
 * Packs items into as few batches as it can, never more than `toBatches`: in their order when that is already
 * the fewest, else in any order (EventBridge keeps no order between entries, nor between requests). First
 * first-fit-decreasing; when that uses more requests than the lower bound, minimum bin slack (for when bytes
 * bind), and packings into exactly the bound's count (and a few above) that also watch the count limit, which
 * first-fit ignores: entries over half a request take the smallest entries along, and the rest are dealt out
 * largest first. Every item must fit on its own, else RangeError (callers claim-check the ones that do not).
 */
export function packBatches<T extends Sized>(items: readonly T[], limits: BatchLimits): T[][] {
  const inOrder = toBatches(items, limits);
  const bound = requestsLowerBound(
    items.map(({ size }) => size),
    limits,
  );
  // Already the fewest: keep the order the records came in (the usual case, records far below the limit).
  if (inOrder.length <= bound) return inOrder;
  const sorted = [...items].sort((a, b) => b.size - a.size);
  const best = firstFitDecreasing(sorted, limits);
  if (best.length === bound) return best;
  let tightest = best.length <= inOrder.length ? best : inOrder;
  // The searches below take time in proportion to entries × requests: past a few thousand entries (far more
  // than Auth0 sends at once), first-fit-decreasing has to do.
  if (items.length > MAX_SEARCHED_ENTRIES) return tightest;
  const slack = minimumSlackPacking(sorted, limits);
  if (slack.length < tightest.length) tightest = slack;
  for (let count = bound; count < tightest.length && count < bound + MAX_TIGHTER_TRIES; count++) {
    const packed = anchoredPacking(sorted, count, limits) ?? dealtPacking(sorted, count, limits);
    if (packed) return packed;
  }
  return tightest;
}

/**
 * First-fit-decreasing on items sorted largest first: each goes to the first batch with room for it in both
 * limits. A tree of the batches' free bytes finds that batch in log time, so a 5 MB body of small records
 * packs as fast as a hundred.
 */
function firstFitDecreasing<T extends Sized>(sorted: readonly T[], limits: BatchLimits): T[][] {
  let width = 1;
  while (width < sorted.length) width *= 2;
  // tree[width + i]: free bytes of batch i (-1 once it holds maxEntries); inner nodes: the max of their children.
  const tree = new Array<number>(2 * width).fill(limits.maxBytes);
  const batches: T[][] = [];
  for (const item of sorted) {
    let node = 1;
    while (node < width) node = (tree[2 * node] as number) >= item.size ? 2 * node : 2 * node + 1;
    const index = node - width;
    const batch = batches[index] ?? [];
    batches[index] = batch;
    batch.push(item);
    tree[node] = batch.length === limits.maxEntries ? -1 : (tree[node] as number) - item.size;
    for (node >>= 1; node >= 1; node >>= 1) {
      tree[node] = Math.max(tree[2 * node] as number, tree[2 * node + 1] as number);
    }
  }
  return batches;
}

/** Nodes of the search for one batch's best filling, at most: keeps a 5 MB body fast. */
const SEARCH_NODES_PER_BATCH = 4000;

/**
 * Minimum bin slack (Gupta and Ho): one batch at a time, the largest entry left plus the entries left that
 * fill the rest of the request most exactly, found by a bounded depth-first search. Better than first-fit when
 * the byte limit binds, where first-fit leaves a little room in many requests.
 */
function minimumSlackPacking<T extends Sized>(sorted: readonly T[], limits: BatchLimits): T[][] {
  let left = [...sorted];
  const batches: T[][] = [];
  while (left.length > 0) {
    const first = left[0] as T;
    const room = limits.maxBytes - first.size;
    let best: number[] = [];
    let bestBytes = 0;
    let nodes = 0;
    const chosen: number[] = [];
    const search = (from: number, bytes: number): boolean => {
      if (bytes > bestBytes) {
        bestBytes = bytes;
        best = [...chosen];
        if (bestBytes === room) return true;
      }
      if (chosen.length === limits.maxEntries - 1) return false;
      let previous = -1;
      for (let i = firstAtMost(left, room - bytes, from); i < left.length; i++) {
        const size = (left[i] as T).size;
        // Entries of equal size are interchangeable: trying one of them is enough.
        if (size === previous) continue;
        previous = size;
        if (++nodes > SEARCH_NODES_PER_BATCH) return true;
        chosen.push(i);
        if (search(i + 1, bytes + size)) return true;
        chosen.pop();
      }
      return false;
    };
    search(1, 0);
    const taken = new Set([0, ...best]);
    batches.push([...taken].map((index) => left[index] as T));
    left = left.filter((_, index) => !taken.has(index));
  }
  return batches;
}

/** The first index from `from` on whose item is at most `bytes`, in items sorted largest first. */
function firstAtMost(sorted: readonly Sized[], bytes: number, from: number): number {
  let low = from;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as Sized).size > bytes) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * Exactly `count` batches: each entry over half a request opens a batch of its own and takes as many of the
 * smallest entries as fit beside it (tightest batch first), so that the small entries do not run out of
 * batches with room to count; the rest are dealt out to the other batches.
 */
function anchoredPacking<T extends Sized>(
  sorted: readonly T[],
  count: number,
  limits: BatchLimits,
): T[][] | undefined {
  const anchors = sorted.filter((item) => item.size * 2 > limits.maxBytes);
  if (anchors.length === 0 || anchors.length > count) return undefined;
  const rest = sorted.slice(anchors.length);
  // Tightest first: the largest anchor has the least room, and gets the very smallest entries.
  const batches = anchors.map((anchor) => ({ items: [anchor] as T[], bytes: anchor.size }));
  let smallest = rest.length - 1;
  for (const batch of batches) {
    while (
      smallest >= 0 &&
      batch.items.length < limits.maxEntries &&
      batch.bytes + (rest[smallest] as T).size <= limits.maxBytes
    ) {
      batch.items.push(rest[smallest] as T);
      batch.bytes += (rest[smallest] as T).size;
      smallest--;
    }
  }
  const others = dealtPacking(rest.slice(0, smallest + 1), count - anchors.length, limits);
  return others ? [...batches.map(({ items }) => items), ...others] : undefined;
}

/**
 * Exactly `count` batches, items dealt largest first to the batch with the most free bytes that still counts
 * fewer than `maxEntries`: balances both limits at once. Undefined when some item finds no room.
 */
function dealtPacking<T extends Sized>(
  sorted: readonly T[],
  count: number,
  limits: BatchLimits,
): T[][] | undefined {
  if (sorted.length === 0) return [];
  if (count <= 0 || sorted.length > count * limits.maxEntries) return undefined;
  const batches = Array.from({ length: count }, () => ({ items: [] as T[], bytes: 0 }));
  for (const item of sorted) {
    let chosen: (typeof batches)[number] | undefined;
    for (const batch of batches) {
      if (batch.items.length >= limits.maxEntries || batch.bytes + item.size > limits.maxBytes) continue;
      if (!chosen || batch.bytes < chosen.bytes) chosen = batch;
    }
    if (!chosen) return undefined;
    chosen.items.push(item);
    chosen.bytes += item.size;
  }
  return batches.filter((batch) => batch.items.length > 0).map(({ items }) => items);
}

/**
 * A bound for entries over half a request: each needs a batch of its own, and can take along at most as
 * many other entries as the smallest of them that fit its free bytes (and 9); the entries left over need
 * batches of their own by count and by bytes.
 */
function anchoredBound(sizes: readonly number[], limits: BatchLimits): number {
  const anchors = sizes.filter((size) => size * 2 > limits.maxBytes);
  if (anchors.length === 0) return 0;
  const others = sizes.filter((size) => size * 2 <= limits.maxBytes).sort((a, b) => a - b);
  const prefix = [0];
  for (const size of others) prefix.push((prefix.at(-1) as number) + size);
  let slots = 0;
  let room = 0;
  for (const anchor of anchors) {
    const free = limits.maxBytes - anchor;
    room += free;
    let fits = 0;
    while (fits < limits.maxEntries - 1 && fits < others.length && (prefix[fits + 1] as number) <= free) {
      fits++;
    }
    slots += fits;
  }
  const otherBytes = prefix.at(-1) as number;
  return (
    anchors.length +
    Math.max(
      0,
      Math.ceil((others.length - slots) / limits.maxEntries),
      Math.ceil((otherBytes - room) / limits.maxBytes),
    )
  );
}
