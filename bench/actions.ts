/**
 * Goal 7 of `npm run bench`: what running an action in its own process costs, against calling the same
 * handler in this process. Alone: `npx tsx bench/actions.ts [runs]`.
 *
 * - direct: the bundle's handler called in this process, as a baseline;
 * - executeAction: the same, through executeAction (console capture, timeout, redaction), in this process;
 * - warm: ActionProcess.run on a running child (IPC both ways, validation, redaction on both sides);
 * - cold: ActionProcess.start and a first run (fork, bundle load, the action's top-level code), which is
 *   also what the run after a timeout costs.
 * "overhead" is the median minus the direct call's median; "ratio" divides by it (the direct call of a
 * trivial handler takes microseconds, so the absolute overhead is the number to read).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createActionApi, createActionCache } from '../lambdas/actions/runtime/api';
import { assembleActionBundle, evaluateActionBundle } from '../lambdas/actions/runtime/bundle';
import { executeAction } from '../lambdas/actions/runtime/execute';
import { ActionProcess } from '../lambdas/actions/runtime/local-process';

import type { Figure } from './report';

const HANDLER = { handlerName: 'onExecuteAuth0Log', triggerId: 'auth0-log', timeoutMs: 5000 } as const;
const EVENT = {
  log: { log_id: '9002', data: { type: 's', user_id: 'auth0|1', description: 'Success Login' } },
};
const SECRETS = { API_KEY: 'action-api-key-value' };
const MODULE_SECRETS = { logger: { SERVICE_URL: 'https://logs.example.com', API_KEY: 'logger-api-key' } };

const bundle = assembleActionBundle({
  action: {
    code: `const logger = require('actions:logger');
      exports.onExecuteAuth0Log = async (event, api) => {
        const seen = api.cache.get('n');
        api.cache.set('n', String(seen ? Number(seen.value) + 1 : 1));
        await logger.sendLog(event.log.data.type, event.log.data.description);
      };`,
  },
  modules: [
    {
      name: 'logger',
      code: `module.exports = { sendLog: async (code, message) => console.log({ code, message, to: actions.secrets.SERVICE_URL }) };`,
    },
  ],
});

async function time(what: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await what();
  return performance.now() - started;
}

function summary(samples: number[]): { median: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { median: at(0.5), p95: at(0.95), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const fmt = (ms: number) => ms.toFixed(3).padStart(9);

export async function actionOverhead(runs = 50): Promise<{ rows: Row[]; first: number }> {
  const directory = mkdtempSync(join(tmpdir(), 'measure-action-overhead-'));
  const bundlePath = join(directory, 'bundle.js');
  writeFileSync(bundlePath, bundle.content);
  try {
    const api = createActionApi({ cache: createActionCache(), emit: async () => undefined });
    const exports = evaluateActionBundle(bundle.content, bundlePath).load({ moduleSecrets: MODULE_SECRETS });
    const handler = exports.onExecuteAuth0Log as (event: object, api: unknown) => Promise<void>;
    const quiet = console.log;
    console.log = () => undefined; // the direct call's module logs; the others capture theirs
    const direct: number[] = [];
    for (let i = 0; i < runs; i++)
      direct.push(await time(() => handler({ ...EVENT, secrets: SECRETS }, api)));
    console.log = quiet;

    const inProcess: number[] = [];
    for (let i = 0; i < runs; i++) {
      inProcess.push(
        await time(() =>
          executeAction({
            exports,
            ...HANDLER,
            event: EVENT,
            secrets: SECRETS,
            api,
            redact: [...Object.values(SECRETS), ...Object.values(MODULE_SECRETS.logger)],
          }),
        ),
      );
    }

    const options = {
      bundlePath,
      secrets: SECRETS,
      moduleSecrets: MODULE_SECRETS,
      onEmit: async () => undefined,
    };
    // The first start also bundles child.ts with esbuild (once per process); reported on its own.
    const first = await time(async () => {
      const action = await ActionProcess.start(options);
      await action.run(EVENT, HANDLER);
      await action.stop();
    });

    const cold: number[] = [];
    const coldStart: number[] = [];
    const coldRuns = Math.min(runs, 20);
    for (let i = 0; i < coldRuns; i++) {
      let action: ActionProcess | undefined;
      coldStart.push(
        await time(async () => {
          action = await ActionProcess.start(options);
        }),
      );
      const running = action as unknown as ActionProcess;
      cold.push((coldStart.at(-1) ?? 0) + (await time(() => running.run(EVENT, HANDLER))));
      await running.stop();
    }

    const action = await ActionProcess.start(options);
    await action.run(EVENT, HANDLER);
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) warm.push(await time(() => action.run(EVENT, HANDLER)));
    const last = await action.run(EVENT, HANDLER);
    await action.stop();
    if (last.status !== 'succeeded' || last.logs.length !== 1)
      throw new Error(`unexpected run: ${JSON.stringify(last)}`);

    const rows: [string, number[]][] = [
      ['direct call (in process)', direct],
      ['executeAction (in process)', inProcess],
      ['ActionProcess warm run', warm],
      ['ActionProcess start only', coldStart],
      ['ActionProcess cold (start + 1st run)', cold],
    ];
    return { rows: rows.map(([name, samples]) => ({ name, ...summary(samples) })), first };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

interface Row {
  readonly name: string;
  readonly median: number;
  readonly p95: number;
  readonly mean: number;
}

/** Warm and cold runs in the action's own process, over a direct call (no goal: reported). */
export async function actionFigures(): Promise<Figure[]> {
  const { rows } = await actionOverhead(30);
  const [direct, , warm, , cold] = rows as [Row, Row, Row, Row, Row];
  const ms = (row: Row) => `${row.median.toFixed(3)} ms`;
  return [
    {
      goal: '7. Action run, warm',
      measured: `median ${ms(warm)} vs a direct call ${ms(direct)} (overhead ${(warm.median - direct.median).toFixed(3)} ms)`,
      ratio: warm.median / direct.median,
      target: 'reported',
      met: true,
      details: { warmMs: warm.median, warmP95Ms: warm.p95, directMs: direct.median },
    },
    {
      goal: '7. Action run, cold',
      measured: `median ${ms(cold)} (start + first run) vs a direct call ${ms(direct)}`,
      ratio: cold.median / direct.median,
      target: 'reported',
      met: true,
      details: { coldMs: cold.median, coldP95Ms: cold.p95, directMs: direct.median },
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv[2] ?? 50);
  const { rows, first } = await actionOverhead(runs);
  const base = rows[0]?.median ?? Number.NaN;
  console.log(`Node ${process.versions.node}; ${runs} runs each; milliseconds`);
  console.log(`${'path'.padEnd(38)}   median       p95      mean   overhead   ratio`);
  for (const s of rows) {
    console.log(
      `${s.name.padEnd(38)}${fmt(s.median)} ${fmt(s.p95)} ${fmt(s.mean)} ${fmt(s.median - base)}  ${(s.median / base).toFixed(0).padStart(6)}x`,
    );
  }
  console.log(`first start + run, with esbuild bundling child.ts once: ${first.toFixed(1)} ms`);
}
