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
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bridgeEsbuildOptions, SOURCE_MAP_NODE_OPTIONS } from '../lib/bridge-function';
import { INGEST_SOURCE_MAP_STACK_TRACES } from '../lib/ingest';
import { atMost, type BenchPart, type Figure } from './report';

const REPETITIONS = Number(process.env.BENCH_COLD_STARTS ?? 15);
const TIME_LIMIT_MS = 120_000;
const TOKEN = 'bench-token';

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
    const ingest = await bundle('lambdas/ingest/handler.ts', join(dir, 'ingest'));
    const floor = await bundle('bench/floor-handler.ts', join(dir, 'floor'));
    // The ingest both ways, so that the choice of source maps (lib/ingest.ts) rests on a number.
    const variants: Variant[] = [
      { name: 'maps on', bundle: ingest.file, nodeOptions: SOURCE_MAP_NODE_OPTIONS },
      { name: 'maps off', bundle: ingest.file, nodeOptions: '' },
      { name: 'floor', bundle: floor.file, nodeOptions: '' },
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
      measured: `import + first request: ingest ${ms(deployed)} (${median(deployed, 'cpuMs').toFixed(0)} ms CPU, ${kib(ingest.bytes)} KiB), floor ${ms('floor')} (${median('floor', 'cpuMs').toFixed(0)} ms CPU, ${kib(floor.bytes)} KiB); ingest with source-mapped stack traces ${ms('maps on')}, without ${ms('maps off')}`,
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

/** Bundles `entry` as `cdk synth` does, into `outdir`. */
async function bundle(entry: string, outdir: string): Promise<{ file: string; bytes: number }> {
  const options = bridgeEsbuildOptions(entry, outdir);
  await build(options);
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
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
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
  const output = await runNode(
    ['--input-type=module', '-e', CHILD, pathToFileURL(variant.bundle).href, JSON.stringify(event)],
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

/** What Lambda sets, plus the ingest's own variables as lib/ingest.ts sets them, pointed at the stub. */
function lambdaEnvironment(endpoint: string, nodeOptions: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_OPTIONS: nodeOptions,
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH0',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-access-key',
    AWS_SESSION_TOKEN: 'bench-session-token',
    AWS_ENDPOINT_URL: endpoint,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: 'bench-ingest',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/bench-ingest',
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    LAMBDA_TASK_ROOT: tmpdir(),
    TZ: ':UTC',
    BUS_NAME: 'bench-bus',
    EVENT_SOURCE: 'auth0.logs',
    TOKEN_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:bench-token',
    DEDUP_TABLE_NAME: 'bench-dedup',
    DEDUP_TTL_DAYS: '7',
    DEDUP_LEASE_SECONDS: '120',
    QUARANTINE_QUEUE_URL: `${endpoint}/111111111111/bench-quarantine`,
    CLAIM_CHECK_BUCKET: 'bench-claims',
    MAX_BODY_BYTES: String(5 * 1024 * 1024),
    PUT_EVENTS_MAX_BYTES: String(256 * 1024),
    POWERTOOLS_METRICS_NAMESPACE: 'Auth0EventBridge',
  };
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

/**
 * A loopback stand-in for the AWS APIs the two functions call, answering each with canned success at once:
 * EventBridge PutEvents, DynamoDB writes, Secrets Manager GetSecretValue, SQS SendMessageBatch and S3 PUTs.
 */
async function startAwsStub(): Promise<{ server: Server; endpoint: string }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => answer(request, Buffer.concat(chunks).toString('utf8'), response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function answer(request: IncomingMessage, body: string, response: ServerResponse): void {
  const { status, type, value } = reply(request, body);
  if (type === undefined) {
    response.writeHead(status, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
    response.end();
    return;
  }
  response.writeHead(status, { 'content-type': type, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(value));
}

/** The canned answer to a request: JSON for the JSON protocols, an empty 200 (no type) for an S3 PUT. */
function reply(request: IncomingMessage, body: string): { status: number; type?: string; value?: unknown } {
  const target = String(request.headers['x-amz-target'] ?? '');
  const json11 = 'application/x-amz-json-1.1';
  const json10 = 'application/x-amz-json-1.0';
  if (target.startsWith('AWSEvents.')) {
    const entries = (JSON.parse(body) as { Entries?: unknown[] }).Entries ?? [];
    const value = { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    return { status: 200, type: json11, value };
  }
  if (target.startsWith('secretsmanager.')) {
    const value = {
      ARN: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:bench-token',
      Name: 'bench-token',
      SecretString: JSON.stringify({ token: TOKEN }),
      VersionId: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: 1_796_292_000,
    };
    return { status: 200, type: json11, value };
  }
  if (target.startsWith('DynamoDB_')) {
    return {
      status: 200,
      type: json10,
      value: target.endsWith('.BatchWriteItem') ? { UnprocessedItems: {} } : {},
    };
  }
  if (target.startsWith('AmazonSQS.')) {
    const entries =
      (JSON.parse(body) as { Entries?: Array<{ Id: string; MessageBody: string }> }).Entries ?? [];
    const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
    const successful = entries.map(({ Id, MessageBody }) => ({
      Id,
      MessageId: randomUUID(),
      MD5OfMessageBody: md5(MessageBody),
    }));
    return { status: 200, type: json10, value: { Successful: successful, Failed: [] } };
  }
  if (request.method === 'PUT') return { status: 200 };
  const message = `The bench stub does not answer ${target || request.method}`;
  return { status: 400, type: json11, value: { __type: 'UnknownOperationException', message } };
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
