/**
 * Goal 1, cold start: importing the ingest bundle and serving its first request, against the same for a
 * handler that only puts one event with the EventBridge client (bench/floor-handler.ts). Both are bundled with
 * the options `cdk synth` uses (lib/bridge-function.ts), each run is a fresh `node` process with the
 * environment Lambda gives, and every AWS call goes to a loopback stub that answers at once with canned
 * success, so the ratio is about our code and not about an emulator.
 *
 * Measured in the child, from before `import()` to the handler's answer: wall time and CPU (user + system).
 * Node.js's own start is outside both (the same for any function). Runs alternate between the variants, and
 * the median of each is kept.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { BRIDGE_BUNDLING, bridgeEsbuildOptions, SOURCE_MAP_NODE_OPTIONS } from '../lib/bridge-function';
import { INGEST_LAZY_ENTRIES, INGEST_SOURCE_MAP_STACK_TRACES } from '../lib/ingest';
import { lambdaEnvironment, STUB_TOKEN, startAwsStub } from '../test/support/aws-stub';
import { atMost, type BenchPart, type Figure } from './report';

const REPETITIONS = Number(process.env.BENCH_COLD_STARTS ?? 15);
const TIME_LIMIT_MS = 120_000;

/** One cold start: milliseconds from before `import()` to the answer, and the CPU spent in them. */
interface ColdStart {
  readonly importMs: number;
  readonly totalMs: number;
  readonly cpuMs: number;
  readonly statusCode: number;
  readonly published: number;
}

interface Variant {
  readonly name: string;
  readonly bundle: string;
  readonly nodeOptions: string;
}

export const coldStart: BenchPart = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth0-bridge-cold-start-'));
  const stub = await startAwsStub();
  try {
    const ingest = await bundle('lambdas/ingest/handler.ts', join(dir, 'ingest'), INGEST_LAZY_ENTRIES);
    const floor = await bundle('bench/floor-handler.ts', join(dir, 'floor'));
    // For where the difference goes: the ingest's four calls alone, with its clients (bench/calls-handler.ts).
    const calls = await bundle('bench/calls-handler.ts', join(dir, 'calls'));
    // The ingest both ways, so that the choice of source maps (lib/ingest.ts) rests on a number.
    const variants: Variant[] = [
      { name: 'maps on', bundle: ingest.file, nodeOptions: SOURCE_MAP_NODE_OPTIONS },
      { name: 'maps off', bundle: ingest.file, nodeOptions: '' },
      { name: 'floor', bundle: floor.file, nodeOptions: '' },
      { name: 'calls', bundle: calls.file, nodeOptions: '' },
    ];
    const runs = new Map<string, ColdStart[]>(variants.map(({ name }) => [name, []]));
    const deadline = Date.now() + TIME_LIMIT_MS;
    // One unmeasured round warms the file system cache and the stub.
    for (const variant of variants) await runOnce(variant, stub.endpoint);
    for (let round = 0; round < REPETITIONS && (round === 0 || Date.now() < deadline); round++) {
      for (const variant of variants) runs.get(variant.name)?.push(await runOnce(variant, stub.endpoint));
    }

    const median = (name: string, key: keyof ColdStart) =>
      medianOf((runs.get(name) ?? []).map((r) => r[key]));
    const deployed = INGEST_SOURCE_MAP_STACK_TRACES ? 'maps on' : 'maps off';
    const ms = (name: string) => `${median(name, 'totalMs').toFixed(0)} ms`;
    const figure: Figure = {
      goal: '1. Cold start',
      measured: `import + first request: ingest ${ms(deployed)} (${median(deployed, 'cpuMs').toFixed(0)} ms CPU, ${kib(ingest.bytes)} KiB), floor ${ms('floor')} (${median('floor', 'cpuMs').toFixed(0)} ms CPU, ${kib(floor.bytes)} KiB); the ingest's four AWS calls alone ${ms('calls')} (${(median('calls', 'totalMs') / median('floor', 'totalMs')).toFixed(2)}× the floor, ${kib(calls.bytes)} KiB); ingest with source-mapped stack traces ${ms('maps on')}, without ${ms('maps off')}`,
      ...atMost(median(deployed, 'totalMs') / median('floor', 'totalMs'), 1.3),
      details: {
        repetitions: runs.get('floor')?.length ?? 0,
        ingestBundleBytes: ingest.bytes,
        floorBundleBytes: floor.bytes,
        ingestSourceMapStackTraces: String(INGEST_SOURCE_MAP_STACK_TRACES),
        ingestImportMs: round(median(deployed, 'importMs')),
        ingestTotalMs: round(median(deployed, 'totalMs')),
        ingestCpuMs: round(median(deployed, 'cpuMs')),
        floorImportMs: round(median('floor', 'importMs')),
        floorTotalMs: round(median('floor', 'totalMs')),
        floorCpuMs: round(median('floor', 'cpuMs')),
        callsBundleBytes: calls.bytes,
        callsTotalMs: round(median('calls', 'totalMs')),
        callsCpuMs: round(median('calls', 'cpuMs')),
        callsOverFloor: round(median('calls', 'totalMs') / median('floor', 'totalMs')),
        cpuRatio: round(median(deployed, 'cpuMs') / median('floor', 'cpuMs')),
        sourceMapsOnTotalMs: round(median('maps on', 'totalMs')),
        sourceMapsOnCpuMs: round(median('maps on', 'cpuMs')),
        sourceMapsOffTotalMs: round(median('maps off', 'totalMs')),
        sourceMapsOffCpuMs: round(median('maps off', 'cpuMs')),
      },
    };
    return [figure];
  } finally {
    await new Promise((resolve) => stub.server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
};

/** A handler bundled as `cdk synth` bundles it, with the files it loads lazily (`lazyEntries`) beside it. */
async function bundle(
  entry: string,
  outdir: string,
  lazyEntries: Readonly<Record<string, string>> = {},
): Promise<{ file: string; bytes: number }> {
  const options = bridgeEsbuildOptions(entry, outdir);
  await build(options);
  for (const [name, lazy] of Object.entries(lazyEntries)) {
    await build(bridgeEsbuildOptions(lazy, outdir, BRIDGE_BUNDLING, name));
  }
  return { file: options.outfile, bytes: statSync(options.outfile).size };
}

/**
 * The child: what Lambda's runtime does on a cold start, reduced to its cost in our code. The result is the
 * last line of stdout, after whatever the function logs.
 */
const CHILD = `
const [bundle, event] = [process.argv[1], JSON.parse(process.argv[2])];
const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME, functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:' + process.env.AWS_LAMBDA_FUNCTION_NAME,
  memoryLimitInMB: '512', awsRequestId: crypto.randomUUID(), logGroupName: '/aws/lambda/bench',
  logStreamName: 'bench', callbackWaitsForEmptyEventLoop: true, getRemainingTimeInMillis: () => 30000,
};
const cpu = process.cpuUsage();
const started = performance.now();
const { handler } = await import(bundle);
const imported = performance.now();
const response = await handler(event, context);
const done = performance.now();
const used = process.cpuUsage(cpu);
console.log('\\n' + JSON.stringify({
  importMs: imported - started, totalMs: done - started, cpuMs: (used.user + used.system) / 1000,
  statusCode: response.statusCode, published: JSON.parse(response.body).published,
}));
`;

async function runOnce(variant: Variant, endpoint: string): Promise<ColdStart> {
  const body = JSON.stringify([
    {
      log_id: `90020261203100000000000001${randomUUID()}`,
      data: {
        date: '2026-12-03T10:00:00.000Z',
        type: 's',
        description: 'Successful login',
        connection: 'Username-Password-Authentication',
        client_id: 'Tz8KbXUr2mJq5WvN7cYd0pLs3HgFaE1i',
        client_name: 'Web',
        ip: '203.0.113.7',
        user_agent: 'Chrome 131.0.0 / Mac OS X',
        user_id: 'auth0|65f1c0000000000000001',
        user_name: 'jane@acme.test',
        strategy: 'auth0',
        strategy_type: 'database',
        details: { prompts: [], completedAt: 1796292000000, elapsedTime: 900 },
      },
    },
  ]);
  const event = {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { authorization: `Bearer ${STUB_TOKEN}`, 'content-type': 'application/json' },
    requestContext: {
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'Auth0' },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
  // BENCH_COLD_START_PROFILE=<dir>: a V8 CPU profile of each child, to see where its cold start goes.
  const profile = process.env.BENCH_COLD_START_PROFILE;
  const output = await runNode(
    [
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      '--input-type=module',
      '-e',
      CHILD,
      pathToFileURL(variant.bundle).href,
      JSON.stringify(event),
    ],
    lambdaEnvironment(endpoint, variant.nodeOptions),
  );
  const result = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as ColdStart;
  if (result.statusCode !== 200 || result.published !== 1) {
    throw new Error(
      `${variant.name} answered ${result.statusCode} with ${result.published} published:\n${output}`,
    );
  }
  return result;
}

/** Runs `node <args>` in a fresh process and resolves with its stdout; rejects with its output otherwise. */
export function runNode(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
  what = 'cold-start child',
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill(), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${what} exited with ${code}:\n${stderr || stdout}`));
    });
  });
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const round = (value: number) => Math.round(value * 10) / 10;
const kib = (bytes: number) => (bytes / 1024).toFixed(0);
