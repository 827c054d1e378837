/**
 * `npm start`: the whole bridge on this machine. Starts moto_server (unless an endpoint is given), creates the
 * bus, table, secret, queues, bucket and route rules on it, serves the real Lambda handlers over HTTP with
 * Function URL semantics, runs deployed actions (a queue, a child process and a poller each: local/actions/),
 * and shows routed events and action runs as they happen. Ctrl-C stops everything it started.
 */
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { removeLocalAccess, writeLocalAccess } from '../cli/local-access';
import { routes } from '../config/routes';
import { formatActionDelivery } from './actions/live-view';
import { defaultActionsNames } from './actions/provision';
import { createLocalActionsRuntime } from './actions/runtime';
import type { FunctionUrlHandler } from './function-url';
import { followRoutes, formatRoutedEvent } from './live-view';
import { defaultModulesNames, provisionModulesLocal } from './modules';
import { EmulatorNotFoundError, emulatorEnvironment, type MotoServer, startMoto } from './moto';
import { clientConfig, defaultLocalNames, provisionLocal } from './provision';
import { startSerializingProxy } from './serializing-proxy';
import { createLocalServer, listen } from './server';

const USAGE = `Usage: npm start -- [options]

  --port <n>            HTTP port on 127.0.0.1 (env PORT, default 3000; 0 picks a free one)
  --token <t>           ingest token Auth0 must send (env INGEST_TOKEN, default: a new random one)
  --management-token <t>
                        token the Action Modules API requires (env A0BRIDGE_MANAGEMENT_TOKEN, default: a new
                        random one); saved in .a0bridge/local-<port>.json for a0bridge
  --aws-endpoint <url>  use this AWS emulator and start none (env AWS_ENDPOINT_URL)
  --bus-name <name>     event bus name (env BUS_NAME, default auth0-events)
  --region <r>          AWS region (env AWS_REGION, default us-east-1)
  --verbose             show the handlers' own JSON logs (info level)
  --help                this text`;

interface Options {
  readonly port: number;
  readonly token: string;
  readonly managementToken: string;
  readonly awsEndpoint?: string;
  readonly busName: string;
  readonly region: string;
  readonly verbose: boolean;
}

function readOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      token: { type: 'string' },
      'management-token': { type: 'string' },
      'aws-endpoint': { type: 'string' },
      'bus-name': { type: 'string' },
      region: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const port = Number(values.port ?? process.env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(
      `--port must be a port number from 0 to 65535, got ${JSON.stringify(values.port ?? process.env.PORT)}`,
    );
  }
  const awsEndpoint = values['aws-endpoint'] ?? process.env.AWS_ENDPOINT_URL;
  const managementToken =
    values['management-token'] ??
    process.env.A0BRIDGE_MANAGEMENT_TOKEN ??
    randomBytes(24).toString('base64url');
  if (!/^[\x21-\x7e]+$/.test(managementToken)) {
    // Not echoed: it is a token.
    throw new Error(
      '--management-token (or A0BRIDGE_MANAGEMENT_TOKEN) must be printable ASCII without spaces, and not empty.',
    );
  }
  return {
    port,
    token: values.token ?? process.env.INGEST_TOKEN ?? randomBytes(24).toString('base64url'),
    managementToken,
    ...(awsEndpoint ? { awsEndpoint } : {}),
    busName: values['bus-name'] ?? process.env.BUS_NAME ?? 'auth0-events',
    region: values.region ?? process.env.AWS_REGION ?? 'us-east-1',
    verbose: values.verbose,
  };
}

async function main(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    throw new Error(
      `Node.js ${process.versions.node} is too old: the handlers run on Node.js 22, as Lambda's nodejs22.x does. ` +
        'On Linux x64, `npm ci` installs it under node_modules/.bin; elsewhere install Node.js 22 or later.',
    );
  }
  const options = readOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return;
  }
  const stack: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stack.reverse()) await stop().catch(() => undefined);
  };

  let moto: MotoServer | undefined;
  if (!options.awsEndpoint) {
    console.log('Starting moto_server (local AWS emulator)…');
    moto = await startMoto();
    stack.push(() => (moto as MotoServer).stop());
  }
  const endpoint = options.awsEndpoint ?? (moto as MotoServer).endpoint;
  try {
    const names = defaultLocalNames(options.busName, process.env.EVENT_SOURCE ?? 'auth0.logs');
    const aws = { endpoint, region: options.region };
    const resources = await provisionLocal(aws, names, routes, options.token);
    const modulesEnvironment = await provisionModulesLocal(aws, defaultModulesNames(names.busName));
    // moto applies concurrent DynamoDB writes without locking; DynamoDB itself is atomic (see local/serializing-proxy.ts).
    const dynamoDbProxy = await startSerializingProxy(endpoint);
    stack.push(() => dynamoDbProxy.close());

    Object.assign(process.env, emulatorEnvironment(endpoint, options.region), modulesEnvironment, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbProxy.endpoint,
      BUS_NAME: names.busName,
      EVENT_SOURCE: names.source,
      TOKEN_SECRET_ID: resources.tokenSecretId,
      DEDUP_TABLE_NAME: names.dedupTableName,
      QUARANTINE_QUEUE_URL: resources.quarantineQueueUrl,
      CLAIM_CHECK_BUCKET: names.claimCheckBucket,
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'INFO' : 'WARN',
      POWERTOOLS_METRICS_DISABLED: options.verbose ? 'false' : 'true',
    });
    // After the environment is set: its logger reads POWERTOOLS_LOG_LEVEL when it is made.
    const actions = await createLocalActionsRuntime(aws, defaultActionsNames(names.busName, names.source), {
      dynamoDbEndpoint: dynamoDbProxy.endpoint,
      onDelivery: (delivery) => console.log(formatActionDelivery(delivery)),
    });
    // Stopped before the DynamoDB proxy and moto: a run killed on the way out still records its execution.
    stack.push(() => actions.stop());

    // Imported only now: the handler reads its configuration and creates its clients at load, as in Lambda.
    const { handler } = await import('../lambdas/ingest/handler');
    const ingest: FunctionUrlHandler = async (event, context) => {
      const result = (await handler(event, context)) as APIGatewayProxyResultV2;
      if (typeof result === 'object' && result.statusCode)
        console.log(`  ingest ${result.statusCode} ${result.body ?? ''}`);
      return result;
    };

    // The management API as Lambda builds it (lambdas/management/wiring.ts), with actions running here.
    const management = await localManagementHandler(actions, names.busName, names.source);
    const { stopEsbuild } = await import('../lambdas/modules/adapters/esbuild-builder');
    stack.push(async () => stopEsbuild());

    const server = createLocalServer(
      {
        ingest,
        management: { handler: management, token: options.managementToken },
      },
      (line) => options.verbose && console.log(line),
    );
    const port = await listen(server, options.port).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        throw new Error(`Port ${options.port} is in use; pick another with --port <n>.`);
      throw error;
    });
    stack.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const accessFile = await saveManagementAccess(port, options.managementToken);
    stack.push(() => removeLocalAccess(port, options.managementToken));

    const sqs = new SQSClient(clientConfig(aws));
    const liveView = new AbortController();
    stack.push(async () => {
      liveView.abort();
      sqs.destroy();
    });
    const url = `http://127.0.0.1:${port}/`;
    // The CLI talks to port 3000 unless told otherwise.
    const cli =
      port === 3000
        ? 'npm run a0bridge -- modules'
        : `A0BRIDGE_ENDPOINT=http://127.0.0.1:${port} npm run a0bridge -- modules`;
    console.log(
      [
        '',
        'Auth0 Event Bridge is running locally.',
        `  Ingest URL     ${url}   (log streams; Actions events: /actions/<trigger>; Event Streams: /events)`,
        `  Token          ${options.token}`,
        `  AWS endpoint   ${endpoint}${moto ? ' (moto_server, started by npm start)' : ''}`,
        `  Event bus      ${names.busName} (source ${names.source})`,
        `  Routes         ${resources.routeQueues.map((q) => q.routeId).join(', ')}`,
        `  Modules API    ${url}api/v2/actions/modules   (${cli} --help)`,
        `  Modules token  ${options.managementToken}   (${accessFile ? `a0bridge reads it from ${accessFile}` : `export A0BRIDGE_TOKEN=${options.managementToken}`})`,
        `  Actions        executions in ${actions.names.executionsTableName}, failed events in ${actions.names.dlqName}`,
        '',
        'Send Auth0 log entries, for example:',
        `  curl -s -X POST ${url} -H 'Authorization: Bearer ${options.token}' -H 'Content-Type: application/json' \\`,
        `    -d '[{"log_id":"90020240101000000000000000000000000000000000000000000001","data":{"type":"f","date":"2026-01-01T00:00:00.000Z","description":"Wrong password","user_name":"jane@example.com","ip":"203.0.113.7"}}]'`,
        '',
        'Routed events and action runs appear below. Ctrl-C stops everything.',
        '',
      ].join('\n'),
    );
    const following = followRoutes(
      sqs,
      resources.routeQueues,
      (event) => console.log(formatRoutedEvent(event)),
      liveView.signal,
    );

    // Ctrl-C reaches every process of the terminal's group (npm relays it once more): listen to every signal,
    // since a second one would otherwise kill the process halfway through stopping, and act on the first.
    await new Promise<void>((resolve) => {
      process.on('SIGINT', () => resolve());
      process.on('SIGTERM', () => resolve());
    });
    console.log('\nStopping…');
    await stopAll();
    await following;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Leaves the endpoint and management token where a0bridge finds them. Without the file (a read-only checkout)
 * everything still works: the banner then shows the token to export.
 */
async function saveManagementAccess(port: number, managementToken: string): Promise<string | undefined> {
  try {
    const file = await writeLocalAccess(port, { endpoint: `http://127.0.0.1:${port}`, managementToken });
    return relative(process.cwd(), file);
  } catch (error) {
    console.warn(
      `Could not save the management token for a0bridge (${(error as NodeJS.ErrnoException).code ?? error}); export A0BRIDGE_TOKEN instead.`,
    );
    return undefined;
  }
}

main().catch((error: unknown) => {
  console.error(
    error instanceof EmulatorNotFoundError ? error.message : `npm start failed: ${(error as Error).message}`,
  );
  process.exitCode = 1;
});

/**
 * The management handler over the emulator, with the local actions runtime as its deployer, and every
 * deployed action started again (an emulator given with --aws-endpoint keeps them across runs).
 */
async function localManagementHandler(
  actions: Awaited<ReturnType<typeof createLocalActionsRuntime>>,
  busName: string,
  eventSource: string,
): Promise<FunctionUrlHandler> {
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { Metrics } = await import('@aws-lambda-powertools/metrics');
  const { loadModulesConfig } = await import('../lambdas/modules/config');
  const { createManagementContext, createManagementHandler } = await import('../lambdas/management/wiring');
  const { DEFAULT_ACTION_TIMEOUT_SECONDS } = await import('../lambdas/actions/aws/config');
  const logger = new Logger({ serviceName: 'auth0-event-bridge-modules' });
  const metrics = new Metrics({ namespace: 'Auth0EventBridge', serviceName: 'modules' });
  const context = createManagementContext(loadModulesConfig(), logger, {
    deployer: actions.deployer,
    executions: actions.executions,
    busName,
    rulePrefix: actions.rulesPrefix,
    eventSource,
    timeoutMs: DEFAULT_ACTION_TIMEOUT_SECONDS * 1000,
  });
  const resumed = await context.actions?.redeployLive();
  if (resumed) console.log(`Started ${resumed} deployed action(s) again.`);
  return createManagementHandler(context, logger, metrics) as unknown as FunctionUrlHandler;
}
