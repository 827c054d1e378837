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
 * largest first. Still above the bound, a bounded local search empties the least-filled request into the
 * others, one request at a time. Every item must fit on its own, else RangeError (callers claim-check the ones
 * that do not).
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
    if (packed) {
      tightest = packed;
      break;
    }
  }
  return tightest.length > bound ? emptyRequests(tightest, bound, limits) : tightest;
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

/**
 * Moves tried, at most, by `emptyRequests` over one packing: each is a look-up (a binary search) of the best
 * entries to send from one request to another. About 30 ms at most, for thousands of large entries; the
 * 1,000 large records of the packing bench need 96,000.
 */
const MAX_EMPTYING_MOVES = 200_000;
/** Steps of the search for one request's emptying, at most. */
const MAX_EMPTYING_STEPS = 64;

interface Bin<T> {
  items: T[];
  bytes: number;
  /** What the request could send back in a move (none, 1 or 2 of its entries), kept until it changes. */
  backs?: Pick[];
}

/** Some of a request's entries, by index, and their bytes: what one side of a move sends. */
interface Pick {
  readonly indexes: readonly number[];
  readonly bytes: number;
}

/**
 * A local search that removes requests from a valid packing: it takes the least-filled request out, puts its
 * entries where they fit (in the fullest request with room, in both limits), and when some do not, makes room
 * for the smallest of them in the request with the most free bytes by moving up to 3 of its entries into
 * another request in exchange for up to 2 smaller ones. Each such move frees bytes in that request, or an entry
 * slot when it already has the bytes. It stops at `bound` requests, when a request cannot be emptied (the last
 * packing that worked is kept), or after `MAX_EMPTYING_MOVES` tries: never more requests than it was given.
 */
export function emptyRequests<T extends Sized>(
  batches: readonly T[][],
  bound: number,
  limits: BatchLimits,
): T[][] {
  let packed: Bin<T>[] = batches.map((items) => ({ items: [...items], bytes: sum(items) }));
  const budget = { moves: MAX_EMPTYING_MOVES };
  while (packed.length > bound && budget.moves > 0) {
    const emptied = withoutLeastFilled(packed, limits, budget);
    if (!emptied) break;
    packed = emptied;
  }
  return packed.map(({ items }) => items);
}

/** The packing with one request fewer, the least-filled one's entries moved into the others; or undefined. */
function withoutLeastFilled<T extends Sized>(
  packed: readonly Bin<T>[],
  limits: BatchLimits,
  budget: { moves: number },
): Bin<T>[] | undefined {
  let least = 0;
  packed.forEach((bin, index) => {
    if (bin.bytes < (packed[least] as Bin<T>).bytes) least = index;
  });
  // Work on copies, so that a request that cannot be emptied leaves the packing as it was.
  const bins = packed.filter((_, index) => index !== least).map((bin) => ({ ...bin, items: [...bin.items] }));
  let free = [...(packed[least] as Bin<T>).items].sort((a, b) => b.size - a.size);
  for (let step = 0; ; step++) {
    free = free.filter((item) => !placeInFullest(bins, item, limits));
    const smallest = free.at(-1);
    if (!smallest) return bins;
    if (step === MAX_EMPTYING_STEPS || budget.moves <= 0) return undefined;
    if (!makeRoom(bins, smallest.size, limits, budget)) return undefined;
  }
}

/** Puts the item in the fullest request with room for it in both limits; false when none has. */
function placeInFullest<T extends Sized>(bins: Bin<T>[], item: T, limits: BatchLimits): boolean {
  let fullest: Bin<T> | undefined;
  for (const bin of bins) {
    if (bin.items.length >= limits.maxEntries || bin.bytes + item.size > limits.maxBytes) continue;
    if (!fullest || bin.bytes > fullest.bytes) fullest = bin;
  }
  if (!fullest) return false;
  fullest.items.push(item);
  fullest.bytes += item.size;
  fullest.backs = undefined;
  return true;
}

/**
 * One move towards room for an entry of `size` bytes in the request with the most free bytes (the target): a
 * few of its entries go to another request, which sends back up to 2 of no more bytes. The best move makes the
 * room with the fewest bytes moved; short of that, the move that frees the most bytes, or one entry slot.
 * False when no move frees anything.
 */
function makeRoom<T extends Sized>(
  bins: Bin<T>[],
  size: number,
  limits: BatchLimits,
  budget: { moves: number },
): boolean {
  let target = bins[0];
  for (const bin of bins) if (target && bin.bytes < target.bytes) target = bin;
  if (!target) return false;
  const room = limits.maxBytes - target.bytes;
  const count = target.items.length;
  // outgoing[k - 1]: the target's subsets of k entries, by sum.
  const outgoing = [1, 2, 3].map((k) => picks(target.items, k));
  let best: { bin: Bin<T>; out: Pick; back: Pick; score: number } | undefined;
  for (const bin of bins) {
    if (bin === target) continue;
    const binRoom = limits.maxBytes - bin.bytes;
    bin.backs ??= [{ indexes: [], bytes: 0 }, ...picks(bin.items, 1), ...picks(bin.items, 2)];
    for (const back of bin.backs) {
      for (const group of outgoing) {
        const k = group[0]?.indexes.length ?? 0;
        if (k === 0) continue;
        const targetCount = count - k + back.indexes.length;
        if (
          bin.items.length - back.indexes.length + k > limits.maxEntries ||
          targetCount > limits.maxEntries
        ) {
          continue;
        }
        budget.moves--;
        // Bytes moved, out minus back, from 0 to the other request's room.
        const most = firstAbove(group, back.bytes + binRoom) - 1;
        if (most < 0 || (group[most] as Pick).bytes < back.bytes) continue;
        if (targetCount < limits.maxEntries) {
          const fewest = firstAtLeast(group, back.bytes + Math.max(0, size - room));
          if (fewest <= most) {
            const moved = (group[fewest] as Pick).bytes - back.bytes;
            const score = 2 * limits.maxBytes - moved;
            if (!best || score > best.score) best = { bin, out: group[fewest] as Pick, back, score };
            continue;
          }
        }
        const freed = (group[most] as Pick).bytes - back.bytes;
        const score = freed > 0 ? freed : targetCount < count ? 0 : -1;
        if (score >= 0 && (!best || score > best.score))
          best = { bin, out: group[most] as Pick, back, score };
      }
    }
    if (budget.moves <= 0) break;
  }
  if (!best) return false;
  const { bin, out, back } = best;
  const leaving = out.indexes.map((index) => target.items[index] as T);
  const returning = back.indexes.map((index) => bin.items[index] as T);
  target.items = [...target.items.filter((_, index) => !out.indexes.includes(index)), ...returning];
  bin.items = [...bin.items.filter((_, index) => !back.indexes.includes(index)), ...leaving];
  target.bytes = sum(target.items);
  bin.bytes = sum(bin.items);
  target.backs = undefined;
  bin.backs = undefined;
  return true;
}

/** The subsets of exactly `k` (1 to 3) of the items, sorted by their sum. */
function picks(items: readonly Sized[], k: number): Pick[] {
  const found: Pick[] = [];
  const take = (from: number, indexes: number[], bytes: number) => {
    if (indexes.length === k) {
      found.push({ indexes: [...indexes], bytes });
      return;
    }
    for (let i = from; i < items.length; i++) {
      indexes.push(i);
      take(i + 1, indexes, bytes + (items[i] as Sized).size);
      indexes.pop();
    }
  };
  take(0, [], 0);
  return found.sort((a, b) => a.bytes - b.bytes);
}

/** The first index whose pick sums to more than `bytes`, in picks sorted by sum. */
function firstAbove(sorted: readonly Pick[], bytes: number): number {
  return firstAtLeast(sorted, bytes + 1);
}

/** The first index whose pick sums to at least `bytes`, in picks sorted by sum. */
function firstAtLeast(sorted: readonly Pick[], bytes: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((sorted[middle] as Pick).bytes < bytes) low = middle + 1;
    else high = middle;
  }
  return low;
}

function sum(items: readonly Sized[]): number {
  return items.reduce((total, { size }) => total + size, 0);
}
