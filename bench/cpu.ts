/**
 * Goal 2, ingest CPU: the CPU the ingest core spends on one realistic request of 100 and of 1,000 records
 * (bench/records.ts), every port an in-memory fake, against `JSON.parse` + `JSON.stringify` of the same bytes:
 * the least any code that reads the records and writes them out again pays.
 *
 * The sink accepts every entry without reading it, and the dedup store claims every record without keeping
 * anything. The test fakes of fakePorts emulate EventBridge and DynamoDB in memory (the sink parses each Detail
 * to note its log_id; the dedup fake decides each claim as a conditional write would), a cost of the test and
 * not of the ingest: with them the ratio would rise by about one JSON.parse and 4 %.
 *
 * The baseline and the ingest run call by call in turn, so both see the same machine; each figure is the median
 * of the per-round ratios. Loops are bounded in count and in time.
 */
import { DEFAULT_INGEST_SETTINGS } from '../lambdas/ingest/config';
import type { IngestSettings } from '../lambdas/ingest/ingest';
import { ingest } from '../lambdas/ingest/ingest';
import type { ClaimState, DedupStore, EventEntry, EventSink, PutOutcome } from '../lambdas/ingest/ports';
import { fakePorts } from '../test/support/ingest-fakes';
import { realisticBody } from './records';
import { atMost, type BenchPart, type Figure } from './report';

const TOKEN = 'bench-token';
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 15);
const TIME_LIMIT_MS = 60_000;

/** The deployed defaults (lambdas/ingest/config.ts). */
export const BENCH_SETTINGS: IngestSettings = { ...DEFAULT_INGEST_SETTINGS, busName: 'bench' };

/** Accepts every entry, reading none: the sink of a bench, where EventBridge's cost is not ours. */
export class AcceptingSink implements EventSink {
  public accepted = 0;

  public async putEvents(entries: readonly EventEntry[]): Promise<PutOutcome[]> {
    this.accepted += entries.length;
    return entries.map(() => ({ ok: true, eventId: 'bench' }));
  }
}

/**
 * Claims every record and remembers nothing: the dedup table of a bench, where DynamoDB's cost is not ours
 * either (bench/cost.ts counts its requests). The test fake (InMemoryDedup) emulates DynamoDB's conditional
 * writes in memory, which would add about 4 % of the core's CPU that Lambda never spends.
 */
export class AcceptingDedup implements DedupStore {
  public claimed = 0;

  public async claim(keys: readonly string[]): Promise<ClaimState[]> {
    this.claimed += keys.length;
    return keys.map(() => 'claimed');
  }
  public async markPublished(): Promise<void> {}
  public async markQuarantined(): Promise<void> {}
  public async release(): Promise<void> {}
}

/** In-memory ports that accept everything, so every run publishes every record. */
export function benchPorts() {
  return { ...fakePorts([TOKEN]), sink: new AcceptingSink(), dedup: new AcceptingDedup() };
}

/** Runs the core once on `body` with fresh ports, and checks that every record was published. */
export async function ingestOnce(body: string, records: number): Promise<void> {
  const { stats } = await ingest(
    { method: 'POST', path: '/', headers: { authorization: `Bearer ${TOKEN}` }, body },
    benchPorts(),
    BENCH_SETTINGS,
  );
  if (stats.published !== records) {
    throw new Error(`The bench expected ${records} records published, got ${JSON.stringify(stats)}`);
  }
}

/** The floor: read the records and write them out again. */
function parseAndStringify(body: string): number {
  return JSON.stringify(JSON.parse(body)).length;
}

/** Microseconds of CPU (user + system) that `fn` takes. */
async function cpuMicroseconds(fn: () => unknown): Promise<number> {
  const started = process.cpuUsage();
  await fn();
  const used = process.cpuUsage(started);
  return used.user + used.system;
}

async function measure(records: number, deadline: number): Promise<Figure> {
  const body = realisticBody(records, 'cpu');
  // Enough calls per round for several milliseconds of CPU, so the microsecond clock is not the noise.
  const iterations = Math.max(3, Math.round(20_000 / records));
  // Warm-up: the first calls compile the code; a cold start is goal 1's business.
  for (let i = 0; i < 5; i++) {
    parseAndStringify(body);
    await ingestOnce(body, records);
  }
  const ratios: number[] = [];
  const baselines: number[] = [];
  const ingests: number[] = [];
  for (let round = 0; round < ROUNDS && (round === 0 || Date.now() < deadline); round++) {
    // Call by call in turn, so that both see the same moments of a busy machine.
    let baseline = 0;
    let core = 0;
    for (let i = 0; i < iterations; i++) {
      baseline += await cpuMicroseconds(() => parseAndStringify(body));
      core += await cpuMicroseconds(() => ingestOnce(body, records));
    }
    baselines.push(baseline / iterations);
    ingests.push(core / iterations);
    ratios.push(core / baseline);
  }
  const ratio = median(ratios);
  const perRequestUs = median(ingests);
  const baselineUs = median(baselines);
  const bytes = Buffer.byteLength(body, 'utf8');
  return {
    goal: `2. Ingest CPU, ${records.toLocaleString('en')} records`,
    measured: `${(perRequestUs / 1000).toFixed(2)} ms CPU per request of ${(bytes / 1024).toFixed(0)} KiB (${(perRequestUs / records).toFixed(1)} µs per record); JSON.parse + JSON.stringify ${(baselineUs / 1000).toFixed(2)} ms`,
    ...atMost(ratio, 2),
    details: {
      records,
      bodyBytes: bytes,
      rounds: ratios.length,
      iterationsPerRound: iterations,
      ingestCpuUsPerRequest: Math.round(perRequestUs),
      baselineCpuUsPerRequest: Math.round(baselineUs),
      ingestCpuUsPerRecord: Math.round((perRequestUs / records) * 10) / 10,
      ratioMin: Math.round(Math.min(...ratios) * 100) / 100,
      ratioMax: Math.round(Math.max(...ratios) * 100) / 100,
    },
  };
}

export const ingestCpu: BenchPart = async () => {
  const deadline = Date.now() + TIME_LIMIT_MS;
  return [await measure(100, deadline), await measure(1000, deadline)];
};

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
