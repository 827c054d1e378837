/**
 * `npm run bench`: throughput of the ingest path, reported as ratios against baselines so the numbers mean
 * something on any machine. Loopback only; every loop is bounded in count and in time.
 *
 *   1. Core only (parse → validate → batch → publish to an in-memory sink): records/s, CPU bound.
 *   2. Local stack (HTTP → Function URL mapping → real handler → moto): records/s, versus PutEvents alone
 *      against the same moto (the floor any design pays), and versus the core alone.
 *   3. The ingest bundle as `cdk deploy` builds it (esbuild, ESM, minified): bytes.
 */
import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { build } from 'esbuild';
import { routes } from '../config/routes';
import { ingest } from '../lambdas/ingest/ingest';
import { emulatorEnvironment, startMoto } from '../local/moto';
import { clientConfig, defaultLocalNames, provisionLocal } from '../local/provision';
import { createLocalServer, listen } from '../local/server';
import { fakePorts } from '../test/support/ingest-fakes';

const BATCH = 100;
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const TIME_LIMIT_MS = 60_000;
const TYPES = ['s', 'f', 'fp', 'ss', 'gd_auth_succeed', 'sapi', 'limit_wc', 'seacft'];

const makeBatch = (run: string, b: number) =>
  Array.from({ length: BATCH }, (_, i) => ({
    log_id: `${run}-${b}-${i}`,
    data: {
      log_id: `${run}-${b}-${i}`,
      type: TYPES[i % TYPES.length],
      date: new Date().toISOString(),
      description: 'Benchmark record',
      client_id: 'bench-client',
      ip: '203.0.113.1',
      user_id: `auth0|${i}`,
      user_agent: 'Mozilla/5.0 (bench)',
      details: { prompts: [], elapsedTime: 42 },
    },
  }));

async function timed(label: string, records: number, fn: (deadline: number) => Promise<number>) {
  const started = performance.now();
  const done = await fn(Date.now() + TIME_LIMIT_MS);
  const seconds = (performance.now() - started) / 1000;
  const rate = done / seconds;
  console.log(
    `  ${label.padEnd(44)} ${String(done).padStart(6)} records in ${seconds.toFixed(2)} s = ${rate.toFixed(0)} records/s`,
  );
  if (done < records) console.log(`    (stopped at the ${TIME_LIMIT_MS / 1000} s limit)`);
  return rate;
}

async function main() {
  console.log(`Ingest benchmark: ${BATCHES} batches of ${BATCH} records\n`);
  const token = 'bench-token';
  const settings = {
    busName: 'bench',
    source: 'auth0.logs',
    maxBodyBytes: 5 * 1024 * 1024,
    maxPutEventsBytes: 256 * 1024,
    publishMaxAttempts: 5,
    publishBaseDelayMs: 100,
    publishMaxDelayMs: 2000,
    concurrency: 16,
  };

  const core = await timed('core only (in-memory ports)', BATCH * BATCHES, async (deadline) => {
    const ports = fakePorts([token]);
    let done = 0;
    for (let b = 0; b < BATCHES && Date.now() < deadline; b++) {
      const { stats } = await ingest(
        { method: 'POST', headers: { authorization: token }, body: JSON.stringify(makeBatch('core', b)) },
        ports,
        settings,
      );
      done += stats.published;
    }
    return done;
  });

  const moto = await startMoto();
  try {
    const aws = { endpoint: moto.endpoint, region: 'us-east-1' };
    const names = defaultLocalNames(`bench-${randomUUID().slice(0, 8)}`);
    const resources = await provisionLocal(aws, names, routes, token);
    Object.assign(process.env, emulatorEnvironment(aws.endpoint, aws.region), {
      BUS_NAME: names.busName,
      TOKEN_SECRET_ID: resources.tokenSecretId,
      DEDUP_TABLE_NAME: names.dedupTableName,
      QUARANTINE_QUEUE_URL: resources.quarantineQueueUrl,
      CLAIM_CHECK_BUCKET: names.claimCheckBucket,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });

    const eventBridge = new EventBridgeClient(clientConfig(aws));
    const raw = await timed('PutEvents alone to moto (10 per request)', BATCH * BATCHES, async (deadline) => {
      let done = 0;
      for (let b = 0; b < BATCHES && Date.now() < deadline; b++) {
        const batch = makeBatch('raw', b);
        const requests = [];
        for (let i = 0; i < batch.length; i += 10) {
          const Entries = batch.slice(i, i + 10).map((e) => ({
            EventBusName: names.busName,
            Source: 'auth0.logs',
            DetailType: 'Auth0 log',
            Detail: JSON.stringify(e),
          }));
          requests.push(eventBridge.send(new PutEventsCommand({ Entries })));
        }
        await Promise.all(requests);
        done += batch.length;
      }
      return done;
    });
    eventBridge.destroy();

    const { handler } = await import('../lambdas/ingest/handler');
    const server = createLocalServer({ ingest: handler as never });
    const url = `http://127.0.0.1:${await listen(server, 0)}/`;
    const stack = await timed('local stack (HTTP → handler → moto)', BATCH * BATCHES, async (deadline) => {
      let done = 0;
      for (let b = 0; b < BATCHES && Date.now() < deadline; b++) {
        const response = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify(makeBatch('stack', b)),
        });
        const body = (await response.json()) as { published?: number };
        if (response.status !== 200)
          throw new Error(`ingest answered ${response.status}: ${JSON.stringify(body)}`);
        done += body.published ?? 0;
      }
      return done;
    });
    await new Promise((resolve) => server.close(resolve));

    const bundle = await build({
      entryPoints: ['lambdas/ingest/handler.ts'],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      write: false,
      banner: {
        js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    const bytes = bundle.outputFiles.reduce((sum, file) => sum + file.contents.length, 0);

    console.log('\nRatios');
    console.log(
      `  local stack / PutEvents alone   ${(stack / raw).toFixed(2)}  (share of the emulator's raw publish rate)`,
    );
    console.log(
      `  local stack / core only         ${(stack / core).toFixed(4)}  (I/O cost of dedup, publish, HTTP)`,
    );
    console.log(`\nIngest bundle (esbuild, ESM, minified): ${(bytes / 1024).toFixed(0)} KiB`);
  } finally {
    await moto.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
