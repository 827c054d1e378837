/**
 * The measuring side of goal 6 (bench/growth.ts), bundled as the functions are and run in processes of its own.
 * Prints one JSON line.
 *
 * `node --expose-gc growth-child.mjs memory <body file> <records>`: the memory one request of that size needed
 * beyond what the process held before it (the body included, read in first), in a fresh process per size.
 *
 * `node growth-child.mjs time <records>:<body file> ...`: the time per request of each size, in one process,
 * the sizes taking turns round by round so that all see the same moments of the machine; medians.
 *
 * Memory, measured first, in a request of its own after warm-up calls on a small body:
 * - live: what is still reachable after a full GC, taken at the first call of each port (the records are parsed
 *   and validated by the claim; every event is built by the first PutEvents, when the most is held) and at
 *   about 40 PutEvents after, minus the heap before the request (the bench's ports keep nothing: bench/cpu.ts);
 * - resident: the growth of the process's peak resident set (getrusage's ru_maxrss, a high-water mark kept by
 *   the kernel, so no moment is missed), which also holds what the GC has not collected yet.
 */
import { readFileSync } from 'node:fs';
import { ingest } from '../lambdas/ingest/ingest';
import type { EventEntry, IngestPorts } from '../lambdas/ingest/ports';
import { BENCH_SETTINGS, benchPorts } from './cpu';
import { realisticBody } from './records';

const TOKEN = 'bench-token';
const ROUNDS = 9;

async function run(text: string, expected: number, ports: IngestPorts = benchPorts()): Promise<void> {
  const { stats } = await ingest(
    { method: 'POST', path: '/', headers: { authorization: `Bearer ${TOKEN}` }, body: text },
    ports,
    BENCH_SETTINGS,
  );
  if (stats.published !== expected) {
    throw new Error(`The bench expected ${expected} records published, got ${JSON.stringify(stats)}`);
  }
}

/** Heap in use plus memory outside it (buffers), in bytes. */
function inUse(): number {
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

/** Warm-up on a small body of the same kind, so that what is measured runs compiled code. */
async function warmUp(): Promise<void> {
  const warm = realisticBody(50, 'warm');
  for (let i = 0; i < 30; i++) await run(warm, 50);
}

async function memory(bodyFile: string, records: number): Promise<Record<string, number>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('Run with --expose-gc: the memory baseline needs a full GC.');
  const body = readFileSync(bodyFile, 'utf8');
  /** In use after a full GC: what is reachable. */
  const live = () => {
    gc();
    gc();
    return inUse();
  };
  await warmUp();

  let peakLive = 0;
  const calls = new Map<string, number>();
  const liveStride = Math.max(1, Math.ceil(records / 10 / 40));
  const sample = (port: string) => {
    const call = (calls.get(port) ?? 0) + 1;
    calls.set(port, call);
    if (call === 1 || call % liveStride === 0) peakLive = Math.max(peakLive, live());
  };
  /** Ports that sample at each call of the sink and of the dedup store. */
  const sampling = (ports: IngestPorts): IngestPorts => ({
    ...ports,
    sink: {
      putEvents: (entries: readonly EventEntry[]) => {
        sample('putEvents');
        return ports.sink.putEvents(entries);
      },
    },
    dedup: new Proxy(ports.dedup, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          sample(String(property));
          return value.apply(target, args);
        };
      },
    }),
  });
  const ports = sampling(benchPorts());
  const before = live();
  const rssBefore = process.memoryUsage().rss;
  await run(body, records, ports);
  const peakRss = process.resourceUsage().maxRSS * 1024;

  // For scale: the heap that JSON.parse alone needs to hold the same records.
  const beforeParse = live();
  const parsed: unknown = JSON.parse(body);
  const parseGrowth = Math.max(0, live() - beforeParse);
  if (!Array.isArray(parsed) || parsed.length !== records) throw new Error('The body is not the records');
  return {
    records,
    bodyBytes: Buffer.byteLength(body, 'utf8'),
    liveGrowth: Math.max(0, peakLive - before),
    rssGrowth: Math.max(0, peakRss - rssBefore),
    parseGrowth,
  };
}

async function time(
  sizes: ReadonlyArray<{ records: number; body: string }>,
): Promise<Record<string, number>> {
  await warmUp();
  const perRecordUs = new Map<number, number[]>(sizes.map(({ records }) => [records, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const { records, body } of sizes) {
      // About 10,000 records a turn, so the small sizes are not timed on one call.
      const calls = Math.max(1, Math.round(10_000 / records));
      const ports = Array.from({ length: calls }, () => benchPorts());
      const started = performance.now();
      for (const each of ports) await run(body, records, each);
      perRecordUs.get(records)?.push(((performance.now() - started) * 1000) / calls / records);
    }
  }
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return Object.fromEntries([...perRecordUs].map(([records, values]) => [String(records), median(values)]));
}

const [mode, ...args] = process.argv.slice(2);
const result =
  mode === 'memory'
    ? await memory(args[0] ?? '', Number(args[1]))
    : await time(
        args.map((arg) => {
          const [records = '0', file = ''] = arg.split(':');
          return { records: Number(records), body: readFileSync(file, 'utf8') };
        }),
      );
console.log(JSON.stringify(result));
