/**
 * Goal 4 of issue 9: local end to end throughput. Records per second through HTTP → the real ingest handler
 * (Function URL mapping, local/server.ts) → moto (DynamoDB set up as `npm start` does: startSerializingProxy,
 * which moto-launcher.py's atomic DynamoDB makes a pass-through) → EventBridge rules → SQS, divided by a bare
 * PutEvents loop to the same moto: the same events, 10 per request, as many requests in flight as the ingest
 * allows (INGEST_CONCURRENCY). The two alternate batch by batch, so moto's tables and queues grow alike under
 * both.
 *
 * The measurement runs in a child process: the handler reads its configuration and creates its SDK clients
 * when it is imported, so it gets a process of its own, whatever else the bench imported before.
 *
 *   npx tsx bench/throughput.ts            (BENCH_BATCHES=20 by default, 100 records each)
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { routes } from '../config/routes';
import type { EventEntry } from '../lambdas/ingest/ports';
import { mapWithConcurrency } from '../lambdas/shared/concurrency';
import { emulatorEnvironment, startMoto } from '../local/moto';
import { clientConfig, defaultLocalNames, localIngestEnvironment, provisionLocal } from '../local/provision';
import { startSerializingProxy } from '../local/serializing-proxy';
import { createLocalServer, listen } from '../local/server';
import { atLeast, type BenchPart, type Figure } from './report';

const BATCH = 100;
const TIME_LIMIT_MS = 120_000;
const WARMUP_BATCHES = 2;
const TOKEN = 'bench-token';
const TYPES = ['s', 'f', 'fp', 'ss', 'gd_auth_succeed', 'sapi', 'limit_wc', 'seacft'];

/** The pid of the moto_server listening on `port`, found by its command line (read-only). */
function motoPid(port: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('-p');
      if (at > 0 && args[at + 1] === String(port) && args.some((arg) => arg.includes('moto')))
        return Number(entry);
    } catch {
      // The process ended meanwhile.
    }
  }
  return undefined;
}

/** CPU milliseconds a process has used (user + system), or NaN where /proc cannot tell. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime, fields 14 and 15 of stat, in clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

export interface ThroughputResult {
  readonly records: number;
  readonly batches: number;
  readonly concurrency: number;
  readonly stackSeconds: number;
  readonly bareSeconds: number;
  readonly stackPerSecond: number;
  readonly barePerSecond: number;
  /** Messages the routes' SQS queues hold at the end (both loops deliver to them). */
  readonly routedMessages: number;
  /** CPU of the emulator per 100 records: where the time goes, whatever else the machine runs. */
  readonly motoCpuMsPer100Stack: number;
  readonly motoCpuMsPer100Bare: number;
  /** CPU of this process (HTTP server, handler, SDK clients, proxy) per 100 records. */
  readonly nodeCpuMsPer100Stack: number;
  readonly nodeCpuMsPer100Bare: number;
}

/** An Auth0-like log_id: 56 characters, like `90020261203…`. */
function logId(run: string, batch: number, index: number): string {
  const unique = `${run}${String(batch).padStart(6, '0')}${String(index).padStart(4, '0')}`;
  return `90020261203100000${unique}`.padEnd(56, '0');
}

function makeBatch(run: string, batch: number) {
  return Array.from({ length: BATCH }, (_, i) => {
    const id = logId(run, batch, i);
    return {
      log_id: id,
      data: {
        log_id: id,
        type: TYPES[i % TYPES.length],
        date: '2026-12-03T10:00:00.000Z',
        description: 'Benchmark record',
        client_id: 'bench-client',
        client_name: 'Bench App',
        ip: '203.0.113.1',
        user_id: `auth0|${i}`,
        user_name: `user${i}@example.com`,
        user_agent: 'Mozilla/5.0 (bench)',
        details: { prompts: [], elapsedTime: 42 },
      },
    };
  });
}

/** The events the ingest publishes for `body`, from the core on in-memory ports: what the bare loop sends. */
async function eventsOf(body: string, busName: string): Promise<EventEntry[]> {
  const { ingest } = await import('../lambdas/ingest/ingest');
  const { fakePorts } = await import('../test/support/ingest-fakes');
  const { loadIngestConfig } = await import('../lambdas/ingest/config');
  const ports = fakePorts([TOKEN]);
  const { stats } = await ingest({ method: 'POST', headers: { authorization: TOKEN }, body }, ports, {
    ...loadIngestConfig().settings,
    busName,
  });
  if (stats.published !== BATCH) throw new Error(`The core published ${stats.published} of ${BATCH} records`);
  return ports.sink.accepted;
}

/** Runs the measurement in this process (the child). */
export async function measureThroughput(
  batches = Number(process.env.BENCH_BATCHES ?? 20),
): Promise<ThroughputResult> {
  const moto = await startMoto();
  const closers: Array<() => Promise<unknown>> = [];
  try {
    const aws = { endpoint: moto.endpoint, region: 'us-east-1' };
    const names = defaultLocalNames(`bench-${process.pid}`);
    const resources = await provisionLocal(aws, names, routes, TOKEN);
    // As `npm start` does: DynamoDB writes atomic, as DynamoDB applies them (in moto itself when moto-launcher.py
    // runs it, else through a serializing proxy).
    const dynamoDbProxy = await startSerializingProxy(moto.endpoint);
    closers.push(() => dynamoDbProxy.close());
    Object.assign(process.env, emulatorEnvironment(aws.endpoint, aws.region), {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbProxy.endpoint,
      ...localIngestEnvironment(names, resources),
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    const { loadIngestConfig } = await import('../lambdas/ingest/config');
    const { concurrency } = loadIngestConfig().settings;
    const { handler } = await import('../lambdas/ingest/handler');
    const server = createLocalServer({ ingest: handler as never });
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${await listen(server, 0)}/`;
    const eventBridge = new EventBridgeClient(clientConfig(aws));
    closers.push(async () => eventBridge.destroy());

    const viaStack = async (body: string) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body,
      });
      const answer = (await response.json()) as { published?: number };
      if (response.status !== 200 || answer.published !== BATCH) {
        throw new Error(`The ingest answered ${response.status}: ${JSON.stringify(answer)}`);
      }
    };
    const bare = async (entries: readonly EventEntry[]) => {
      const requests: EventEntry[][] = [];
      for (let i = 0; i < entries.length; i += 10) requests.push(entries.slice(i, i + 10));
      await mapWithConcurrency(requests, concurrency, async (chunk) => {
        const output = await eventBridge.send(
          new PutEventsCommand({ Entries: chunk.map((entry) => ({ ...entry })) }),
        );
        if (output.FailedEntryCount) throw new Error(`PutEvents failed ${output.FailedEntryCount} entries`);
      });
    };

    for (let w = 0; w < WARMUP_BATCHES; w++) {
      const body = JSON.stringify(makeBatch('warm', w));
      await bare(await eventsOf(body, names.busName));
      await viaStack(body);
    }

    const pid = motoPid(moto.port);
    let stackMs = 0;
    let bareMs = 0;
    let stackCpu = 0;
    let bareCpu = 0;
    let stackNode = 0;
    let bareNode = 0;
    const nodeMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    let done = 0;
    const deadline = Date.now() + TIME_LIMIT_MS;
    for (let b = 0; b < batches && Date.now() < deadline; b++) {
      const body = JSON.stringify(makeBatch('run', b));
      const entries = await eventsOf(body, names.busName);
      // Alternate which goes first, so neither always meets the queues the other just filled.
      const steps: Array<() => Promise<void>> = [
        async () => {
          const [started, cpu, node] = [performance.now(), cpuMs(pid), nodeMs()];
          await bare(entries);
          bareMs += performance.now() - started;
          bareCpu += cpuMs(pid) - cpu;
          bareNode += nodeMs() - node;
        },
        async () => {
          const [started, cpu, node] = [performance.now(), cpuMs(pid), nodeMs()];
          await viaStack(body);
          stackMs += performance.now() - started;
          stackCpu += cpuMs(pid) - cpu;
          stackNode += nodeMs() - node;
        },
      ];
      if (b % 2 === 1) steps.reverse();
      for (const step of steps) await step();
      done++;
    }

    const sqs = new SQSClient(clientConfig(aws));
    closers.push(async () => sqs.destroy());
    let routedMessages = 0;
    for (const { queueUrl } of resources.routeQueues) {
      const output = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      routedMessages += Number(output.Attributes?.ApproximateNumberOfMessages ?? 0);
    }
    const records = done * BATCH;
    return {
      records,
      batches: done,
      concurrency,
      stackSeconds: stackMs / 1000,
      bareSeconds: bareMs / 1000,
      stackPerSecond: records / (stackMs / 1000),
      barePerSecond: records / (bareMs / 1000),
      routedMessages,
      motoCpuMsPer100Stack: (stackCpu / records) * 100,
      motoCpuMsPer100Bare: (bareCpu / records) * 100,
      nodeCpuMsPer100Stack: (stackNode / records) * 100,
      nodeCpuMsPer100Bare: (bareNode / records) * 100,
    };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await moto.stop();
  }
}

/** Runs `measureThroughput` in a child process and reads its result. */
function measureInChild(): Promise<ThroughputResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = output.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ThroughputResult);
      else reject(new Error(`The throughput bench exited with ${code}: ${output.slice(-2000)}`));
    });
  });
}

export function throughputFigure(result: ThroughputResult): Figure {
  return {
    goal: '4. Local end to end (HTTP → handler → moto → SQS) / PutEvents alone',
    measured: `${result.stackPerSecond.toFixed(0)} records/s end to end; ${result.barePerSecond.toFixed(0)} records/s PutEvents alone (same events, 10 per request, ${result.concurrency} in flight); ${result.records} records each; CPU per 100 records: moto ${result.motoCpuMsPer100Stack.toFixed(0)} ms vs ${result.motoCpuMsPer100Bare.toFixed(0)} ms, Node.js ${result.nodeCpuMsPer100Stack.toFixed(0)} ms vs ${result.nodeCpuMsPer100Bare.toFixed(0)} ms`,
    ...atLeast(result.stackPerSecond / result.barePerSecond, 0.8),
    details: { ...result },
  };
}

export const throughput: BenchPart = async () => [throughputFigure(await measureInChild())];

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--child')) {
    const result = await measureThroughput();
    process.stdout.write(`\n${JSON.stringify(result)}\n`);
    process.exit(0);
  } else {
    const [figure] = await throughput();
    console.log(
      `${figure?.goal}\n  ${figure?.measured}\n  ${figure?.ratio.toFixed(2)}× (goal ${figure?.target}) ${figure?.met ? 'met' : 'MISSED'}`,
    );
  }
}
