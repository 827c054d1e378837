/**
 * Goal 6, growth: the core (every port an in-memory stub, bench/cpu.ts) on one request of 10, 100, 1,000 and 10,000 realistic
 * records (bench/records.ts; 10,000 of them are just under the 5 MiB body limit), measured by
 * bench/growth-child.ts, bundled as the functions are. Reports the time per record at each size (one process,
 * the sizes taking turns), and the peak memory one request needed over the body's size (a fresh process per
 * size). Linear means the time per record at 10,000 within 1.5× of that at 1,000; the memory goal is a peak of
 * at most 3× the body.
 *
 * Peak memory is what the request keeps reachable at its fullest (after a full GC, at the port calls where the
 * most is held), over what the process held before it; the body, read in before, is not counted. The growth of the peak resident set (ru_maxrss) is
 * reported beside it: it also holds garbage not collected yet, so it depends on when V8 collects. See
 * bench/growth-child.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { DEFAULT_MAX_BODY_BYTES } from '../lambdas/ingest/config';
import { bridgeEsbuildOptions } from '../lib/bridge-function';
import { runNode } from './cold-start';
import { realisticBody } from './records';
import { atMost, type BenchPart, type Figure } from './report';

const SIZES = [10, 100, 1_000, 10_000];

/** What bench/growth-child.ts measures of one size. */
interface Size {
  readonly records: number;
  readonly bodyBytes: number;
  readonly usPerRecord: number;
  readonly liveGrowth: number;
  readonly rssGrowth: number;
  readonly parseGrowth: number;
}

export const growth: BenchPart = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth0-bridge-growth-'));
  try {
    const options = bridgeEsbuildOptions('bench/growth-child.ts', dir);
    await build({ ...options, sourcemap: false });
    const files = new Map<number, string>();
    for (const records of SIZES) {
      const body = realisticBody(records, 'growth');
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > DEFAULT_MAX_BODY_BYTES) {
        throw new Error(
          `${records} records make ${bytes} bytes, over the ${DEFAULT_MAX_BODY_BYTES}-byte body limit`,
        );
      }
      files.set(records, join(dir, `body-${records}.json`));
      writeFileSync(files.get(records) as string, body);
    }
    const times = await runChild(options.outfile, ['time', ...SIZES.map((n) => `${n}:${files.get(n)}`)]);
    const sizes: Size[] = [];
    for (const records of SIZES) {
      const memory = await runChild(
        options.outfile,
        ['memory', files.get(records) as string, String(records)],
        ['--expose-gc'],
      );
      sizes.push({
        ...(memory as unknown as Omit<Size, 'usPerRecord'>),
        usPerRecord: times[String(records)] ?? 0,
      });
    }
    return figures(sizes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

function figures(sizes: readonly Size[]): Figure[] {
  const at = (records: number) => sizes.find((size) => size.records === records) as Size;
  const perRecordUs = (size: Size) => size.usPerRecord;
  const label = (size: Size) => size.records.toLocaleString('en');
  const times = sizes.map((size) => `${label(size)}: ${perRecordUs(size).toFixed(1)}`);
  const memory = sizes.map((size) => `${label(size)}: ${(size.liveGrowth / size.bodyBytes).toFixed(1)}×`);
  const largest = at(10_000);
  const details: Record<string, number> = {};
  for (const size of sizes) {
    const n = size.records;
    details[`bodyBytes${n}`] = size.bodyBytes;
    details[`msPerRequest${n}`] = round((size.usPerRecord * n) / 1000);
    details[`usPerRecord${n}`] = round(perRecordUs(size));
    details[`peakLiveBytes${n}`] = size.liveGrowth;
    details[`peakLiveOverBody${n}`] = round(size.liveGrowth / size.bodyBytes);
    details[`peakRssGrowthBytes${n}`] = size.rssGrowth;
    details[`peakRssGrowthOverBody${n}`] = round(size.rssGrowth / size.bodyBytes);
    details[`jsonParseOverBody${n}`] = round(size.parseGrowth / size.bodyBytes);
  }
  return [
    {
      goal: '6. Growth: time per record, 10,000 over 1,000',
      measured: `µs per record at ${times.join(', ')}`,
      ...atMost(perRecordUs(largest) / perRecordUs(at(1_000)), 1.5),
      details,
    },
    {
      goal: '6. Growth: peak memory over body, 10,000 records',
      measured: `peak live memory over the body at ${memory.join(', ')}; at 10,000: ${mib(largest.liveGrowth)} MiB for a ${mib(largest.bodyBytes)} MiB body (peak RSS +${mib(largest.rssGrowth)} MiB; JSON.parse alone ${mib(largest.parseGrowth)} MiB)`,
      ...atMost(largest.liveGrowth / largest.bodyBytes, 3),
      details,
    },
  ];
}

async function runChild(
  bundle: string,
  args: string[],
  flags: string[] = [],
): Promise<Record<string, number>> {
  const stdout = await runNode(
    [...flags, bundle, ...args],
    { PATH: process.env.PATH ?? '' },
    180_000,
    `growth child ${args[0]}`,
  );
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, number>;
}

const round = (value: number) => Math.round(value * 100) / 100;
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
