/**
 * How long an Auth0 log event takes, locally, from PutEvents on the bus to the external service an action
 * calls: rule → SQS → poller → claim → child process → module → fetch. Not a test: it prints numbers. Run with
 *
 *   node --import tsx test/actions/local/measure.ts [--events 20]
 *
 * Starts moto_server (through local/moto-launcher.py when python3 can import moto, as npm start does) and the
 * DynamoDB serializing proxy, deploys one action bound to `fp` events whose module POSTs to a loopback HTTP
 * server, warms it with two events, then puts `--events` events one after the other and reports, per event:
 * - end to end: PutEvents sent → the POST received;
 * - PutEvents: the call itself (moto matches the rules and sends to their targets before it answers);
 * - to the run: PutEvents sent → the run started in the child (the execution's startedAt);
 * - the run: the execution's own duration (the action and its fetch).
 * "ratio" is the end to end median over the run's median: what the local delivery path adds, as a multiple.
 */
import { parseArgs } from 'node:util';
import type { ActionDelivery } from '../../../local/actions/poller';
import { defaultActionsNames } from '../../../local/actions/provision';
import { createLocalActionsRuntime } from '../../../local/actions/runtime';
import { startMoto } from '../../../local/moto';
import { startSerializingProxy } from '../../../local/serializing-proxy';
import { ActionsFixture, ExternalService, LOGGER_MODULE, recordingLogger } from './support';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20' } } });
const events = Number(values.events);
if (!Number.isInteger(events) || events < 1 || events > 1000) {
  throw new Error(`--events must be an integer from 1 to 1000, got ${values.events}`);
}

const moto = await startMoto();
const proxy = await startSerializingProxy(moto.endpoint);
const aws = { endpoint: moto.endpoint, region: 'us-east-1' };
const external = new ExternalService();
await external.start();
const deliveries = new Map<string, ActionDelivery>();
const runtime = await createLocalActionsRuntime(aws, defaultActionsNames('measure-bus'), {
  dynamoDbEndpoint: proxy.endpoint,
  logger: recordingLogger(),
  onDelivery: (delivery) => {
    if (delivery.kind === 'ran') deliveries.set(delivery.execution.eventId, delivery);
  },
});
const fixture = new ActionsFixture(aws, runtime);

try {
  await fixture.prepare();
  const moduleId = crypto.randomUUID();
  const setId = await fixture.writeModuleSecrets(moduleId, {
    SERVICE_URL: `${external.url}/measure`,
    API_KEY: 'measure-api-key',
  });
  await fixture.deploy({
    name: 'measure',
    code: `const logger = require('actions:logger');
      exports.onExecuteAuth0Log = async (event) => { await logger.sendLog(event.data.type, event.log_id); };`,
    modules: [{ name: 'logger', code: LOGGER_MODULE, moduleId, setId }],
    bind: { codes: ['fp'] },
  });

  /** Puts one event and resolves with its timings once the POST arrived and the run was reported. */
  const once = async (logId: string) => {
    const arrived = new Promise<number>((resolve) => {
      const stop = external.onRequest((request) => {
        if (JSON.parse(request.body).message !== logId) return;
        stop();
        resolve(request.at);
      });
    });
    const sentAt = performance.now();
    const sentWallClock = Date.now();
    const eventId = await fixture.putLogEvent(logId, 'fp');
    const putReturnedAt = performance.now();
    const receivedAt = await withTimeout(arrived, 10_000, `the POST for ${logId}`);
    const delivery = await withTimeout(
      poll(() => deliveries.get(eventId)),
      10_000,
      `the execution of ${logId}`,
    );
    const execution = delivery.kind === 'ran' ? delivery.execution : undefined;
    return {
      endToEnd: receivedAt - sentAt,
      putEvents: putReturnedAt - sentAt,
      toRun: Date.parse(execution?.startedAt ?? '') - sentWallClock,
      run: execution?.durationMs ?? Number.NaN,
    };
  };

  for (let warm = 0; warm < 2; warm++) await once(`measure-warm-${warm}`);
  const samples = [];
  for (let index = 0; index < events; index++) samples.push(await once(`measure-${index}`));

  const row = (name: string, values: number[]) => {
    const { p50, p90, min, max } = quantiles(values);
    return `${name.padEnd(14)} p50 ${fmt(p50)}  p90 ${fmt(p90)}  min ${fmt(min)}  max ${fmt(max)}`;
  };
  const endToEnd = samples.map((sample) => sample.endToEnd);
  const run = samples.map((sample) => sample.run);
  console.log(`PutEvents → external service, ${events} events, one at a time (after 2 warm-up events):`);
  console.log(row('end to end', endToEnd));
  console.log(
    row(
      'PutEvents',
      samples.map((sample) => sample.putEvents),
    ),
  );
  console.log(
    row(
      'to the run',
      samples.map((sample) => sample.toRun),
    ),
  );
  console.log(row('the run', run));
  console.log(
    `ratio          end to end / run = ${(quantiles(endToEnd).p50 / quantiles(run).p50).toFixed(1)}x (medians)`,
  );
} finally {
  await runtime.stop();
  fixture.destroy();
  await external.stop();
  await proxy.close();
  await moto.stop();
}

function quantiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p90: at(0.9), min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN };
}

function fmt(ms: number): string {
  return `${ms.toFixed(0).padStart(5)} ms`;
}

async function poll<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
