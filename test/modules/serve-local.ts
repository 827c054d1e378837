/**
 * Serves only the Action Modules management API on a local stack, for trying the CLI by hand without the
 * ingest side of `npm start`:
 *
 *   npx tsx test/modules/serve-local.ts [--port 3000]
 *   npm run a0bridge -- modules list --endpoint http://127.0.0.1:3000
 *
 * Like `npm start`, it requires a management token (printed, and saved where a0bridge finds it).
 *
 * Starts moto_server, provisions the registry's table and bucket on it, and serves the real handler behind
 * the Function URL emulation. Ctrl-C stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { removeLocalAccess, writeLocalAccess } from '../../cli/local-access';
import type { FunctionUrlHandler } from '../../local/function-url';
import { defaultModulesNames, provisionModulesLocal } from '../../local/modules';
import { emulatorEnvironment, startMoto } from '../../local/moto';
import { startSerializingProxy } from '../../local/serializing-proxy';
import { createLocalServer, listen } from '../../local/server';

const { values } = parseArgs({ options: { port: { type: 'string', default: '3000' } } });
const region = 'us-east-1';
const moto = await startMoto();
const dynamoDb = await startSerializingProxy(moto.endpoint);
try {
  const env = await provisionModulesLocal(
    { endpoint: moto.endpoint, region },
    defaultModulesNames('auth0-events'),
  );
  Object.assign(process.env, emulatorEnvironment(moto.endpoint, region), env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });
  const { handler } = await import('../../lambdas/modules/handler');
  const ingest: FunctionUrlHandler = async () =>
    ({ statusCode: 404, body: 'Only the management API is served here.' }) as APIGatewayProxyResultV2;
  const token = process.env.A0BRIDGE_MANAGEMENT_TOKEN ?? randomBytes(24).toString('base64url');
  const server = createLocalServer(
    { ingest, management: { handler: handler as unknown as FunctionUrlHandler, token } },
    (line) => console.log(line),
  );
  const port = await listen(server, Number(values.port));
  const file = await writeLocalAccess(port, { endpoint: `http://127.0.0.1:${port}`, managementToken: token });
  console.log(
    `Action Modules management API on http://127.0.0.1:${port}/api/v2/actions/modules (Ctrl-C stops)\n` +
      `Management token ${token} (saved in ${file} for a0bridge)`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await removeLocalAccess(port, token);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const { stopEsbuild } = await import('../../lambdas/modules/adapters/esbuild-builder');
  await stopEsbuild();
} finally {
  await dynamoDb.close();
  await moto.stop();
}
