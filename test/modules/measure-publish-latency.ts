/**
 * Measures publish latency (draft to version, build included) on the local stack:
 *
 *   npx tsx test/modules/measure-publish-latency.ts [--runs 10]
 *
 * Starts moto_server, serves the real management handler over HTTP, and times `POST …/versions` after each
 * draft change: the first publish of the process (esbuild-wasm starts), then warm ones, without and with an
 * npm dependency (a cold install, then the cached tree). Stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import type { FunctionUrlHandler } from '../../local/function-url';
import { defaultModulesNames, provisionModulesLocal } from '../../local/modules';
import { emulatorEnvironment, startMoto } from '../../local/moto';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { createLocalServer, listen } from '../../local/server';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Number(values.runs);
const region = 'us-east-1';
const API = '/api/v2/actions/modules';

const moto = await startMoto();
const dynamoDb = await startSerializingProxy(moto.endpoint);
try {
  const env = await provisionModulesLocal(
    { endpoint: moto.endpoint, region },
    defaultModulesNames('latency'),
  );
  Object.assign(process.env, emulatorEnvironment(moto.endpoint, region), env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  await rm(join(tmpdir(), 'a0bridge-modules', 'deps'), { recursive: true, force: true });
  const { handler } = await import('../../lambdas/modules/handler');
  const { stopEsbuild } = await import('../../lambdas/modules/adapters/esbuild-builder');
  const ingest: FunctionUrlHandler = async () => ({ statusCode: 404 }) as APIGatewayProxyResultV2;
  const token = randomBytes(18).toString('base64url');
  const server = createLocalServer({
    ingest,
    management: { handler: handler as unknown as FunctionUrlHandler, token },
  });
  const base = `http://127.0.0.1:${await listen(server, 0)}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await response.json().catch(() => undefined)) as { id?: string } | undefined;
    if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}`);
    return json;
  };
  const timePublish = async (id: string, revision: number) => {
    await call('PATCH', `${API}/${id}`, { code: `module.exports = { revision: ${revision} };` });
    const started = performance.now();
    await call('POST', `${API}/${id}/versions`);
    return performance.now() - started;
  };
  const series = async (name: string, dependencies: { name: string; version: string }[]) => {
    const created = await call('POST', API, { name, code: '', dependencies });
    const id = created?.id as string;
    const first = await timePublish(id, 0);
    const warm: number[] = [];
    for (let run = 1; run <= runs; run++) warm.push(await timePublish(id, run));
    return { first, warm };
  };

  const plain = await series('latency-plain', []);
  let withDeps: Awaited<ReturnType<typeof series>> | undefined;
  try {
    withDeps = await series('latency-deps', [{ name: 'is-odd', version: '^3.0.0' }]);
  } catch (error) {
    console.warn(
      `With dependencies: not measured (${(error as Error).message}; is the npm registry reachable?)`,
    );
  }

  const summary = (label: string, first: number, warm: number[]) => {
    const sorted = [...warm].sort((a, b) => a - b);
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    console.log(
      `${label.padEnd(40)} first ${Math.round(first)} ms | warm (n=${warm.length}) min ${Math.round(sorted[0] ?? 0)} / median ${Math.round(at(0.5))} / p90 ${Math.round(at(0.9))} / max ${Math.round(sorted[sorted.length - 1] ?? 0)} ms`,
    );
  };
  console.log('Publish latency, draft to version, build included (local stack: moto_server, esbuild-wasm):');
  summary('no dependencies', plain.first, plain.warm);
  if (withDeps) summary('is-odd@^3 (+ is-number), cold install', withDeps.first, withDeps.warm);

  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await stopEsbuild();
} finally {
  await dynamoDb.close();
  await moto.stop();
}
