/**
 * `npm run bench`: every goal of issue 9, each a ratio against a baseline measured in the same run, printed
 * as one table and written to bench/results.json with the date and the machine. Loopback only; every loop is
 * bounded in count and in time. No figure here is asserted by `npm test`.
 */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { actionFigures } from './actions';
import { coldStart } from './cold-start';
import { cost } from './cost';
import { ingestCpu } from './cpu';
import { growth } from './growth';
import { packing } from './packing';
import type { BenchPart, Figure } from './report';
import { surfaceFigures } from './surfaces';
import { throughput } from './throughput';

const PARTS: ReadonlyArray<[string, BenchPart]> = [
  ['cold start', coldStart],
  ['ingest CPU', ingestCpu],
  ['packing', packing],
  ['local end to end', throughput],
  ['cost', cost],
  ['growth', growth],
  ['action runs', actionFigures],
  ['per-event cost by surface', surfaceFigures],
];

async function main(): Promise<void> {
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}`;
  console.log(`Auth0 Event Bridge bench, ${new Date().toISOString()}\n${machine}\n`);
  const figures: Figure[] = [];
  for (const [name, part] of PARTS) {
    process.stdout.write(`measuring ${name}…\n`);
    try {
      figures.push(...(await part()));
    } catch (error) {
      figures.push({
        goal: name,
        measured: `failed: ${error instanceof Error ? error.message : String(error)}`,
        ratio: Number.NaN,
        target: '—',
        met: false,
      });
    }
  }
  console.log(`\n${'goal'.padEnd(38)} ${'ratio'.padStart(8)}  ${'target'.padEnd(9)} met  measured`);
  for (const figure of figures) {
    console.log(
      `${figure.goal.padEnd(38)} ${figure.ratio.toFixed(2).padStart(8)}  ${figure.target.padEnd(9)} ${figure.met ? 'yes' : 'NO '}  ${figure.measured}`,
    );
  }
  writeFileSync(
    'bench/results.json',
    `${JSON.stringify({ date: new Date().toISOString(), machine, figures }, null, 2)}\n`,
  );
  console.log('\nWritten to bench/results.json');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
