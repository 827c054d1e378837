/**
 * `npm start`: the whole bridge on this machine. Starts moto_server (unless an endpoint is given), creates the
 * bus, table, secret, queues, bucket and route rules on it, serves the real Lambda handlers over HTTP with
 * Function URL semantics, runs deployed actions (a queue, a child process and a poller each: local/actions/),
 * and shows routed events and action runs as they happen. Ctrl-C, SIGTERM (to npm or to node) or npm's exit
 * stops everything it started.
 */
import { relative } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { removeLocalAccess, writeLocalAccess } from '../cli/local-access';
import { routes } from '../config/routes';
import type { BridgeOperations } from '../lambdas/operations/operations';
import type { OperationsLog } from '../lambdas/operations/ports';
import { formatActionDelivery } from './actions/live-view';
import { defaultActionsNames } from './actions/provision';
import { createLocalActionsRuntime } from './actions/runtime';
import type { FunctionUrlHandler } from './function-url';
import { followRoutes, formatRoutedEvent } from './live-view';
import { defaultModulesNames, provisionModulesLocal } from './modules';
import { EmulatorNotFoundError, emulatorEnvironment, type MotoServer, startMoto } from './moto';
import { parseStartOptions, StartOptionsError, USAGE } from './options';
import { clientConfig, defaultLocalNames, localIngestEnvironment, provisionLocal } from './provision';
import { startSerializingProxy } from './serializing-proxy';
import { createLocalServer, listen } from './server';
import { StopRequestedError, watchForShutdown } from './shutdown';

async function main(): Promise<void> {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    throw new Error(
      `Node.js ${process.versions.node} is too old: the handlers run on Node.js 22, as Lambda's nodejs22.x does. ` +
        'On Linux x64, `npm ci` installs it under node_modules/.bin; elsewhere install Node.js 22 or later.',
    );
  }
  const request = parseStartOptions(process.argv.slice(2), process.env);
  if (request.help) {
    console.log(USAGE);
    return;
  }
  const { options } = request;
  // From here on a signal stops what was started so far, and npm's death too (see local/shutdown.ts).
  const shutdown = watchForShutdown({ watchParent: process.env.npm_lifecycle_event === 'start' });
  const stack: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= (async () => {
      shutdown.stopWatchingParent();
      for (const stop of stack.reverse()) await stop().catch(() => undefined);
    })();
    return stopping;
  };

  let moto: MotoServer | undefined;
  if (!options.awsEndpoint) {
    console.log('Starting moto_server (local AWS emulator)…');
    moto = await startMoto();
    stack.push(() => (moto as MotoServer).stop());
  }
  const endpoint = options.awsEndpoint ?? (moto as MotoServer).endpoint;
  try {
    shutdown.throwIfRequested();
    const names = defaultLocalNames(options.busName, process.env.EVENT_SOURCE ?? 'auth0.logs');
    const aws = { endpoint, region: options.region };
    const resources = await provisionLocal(aws, names, routes, options.token);
    const modulesEnvironment = await provisionModulesLocal(aws, defaultModulesNames(names.busName));
    shutdown.throwIfRequested();
    // DynamoDB applies each write atomically; plain moto does not. moto-launcher.py does, and then this is a
    // pass-through (see local/serializing-proxy.ts).
    const dynamoDbProxy = await startSerializingProxy(endpoint);
    stack.push(() => dynamoDbProxy.close());

    Object.assign(process.env, emulatorEnvironment(endpoint, options.region), modulesEnvironment, {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbProxy.endpoint,
      ...localIngestEnvironment(names, resources),
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
    shutdown.throwIfRequested();

    // The operator's routes (a0bridge quarantine, replay, status): an archive of the bus, and the ingest's
    // answers counted here, since there is no CloudWatch. Imported now, once the clients' environment is set.
    const local = await import('./operations');
    const archive = await local.provisionArchiveLocal(aws, names);
    const activity = new local.IngestActivityCounter();
    let ingestUrl = '';
    const operations = (logger: OperationsLog) =>
      local.createLocalOperations(
        {
          archive,
          busName: names.busName,
          quarantineQueueUrl: resources.quarantineQueueUrl,
          claimCheckBucket: names.claimCheckBucket,
          tokenSecretId: resources.tokenSecretId,
          dedupTableName: names.dedupTableName,
          routes,
          ruleNames: new Map(resources.routeQueues.map(({ routeId, ruleName }) => [routeId, ruleName])),
          deadLetterQueues: [{ name: 'actions-dlq', url: actions.dlqUrl }],
        },
        activity,
        () => ingestUrl,
        logger,
      );

    // Imported only now: the handler reads its configuration and creates its clients at load, as in Lambda.
    const { handler } = await import('../lambdas/ingest/handler');
    const counted = local.countingIngest(handler as unknown as FunctionUrlHandler, activity);
    const ingest: FunctionUrlHandler = async (event, context) => {
      const result = (await counted(event, context)) as APIGatewayProxyResultV2;
      if (typeof result === 'object' && result.statusCode)
        console.log(`  ingest ${result.statusCode} ${result.body ?? ''}`);
      return result;
    };

    // The management API as Lambda builds it (lambdas/management/wiring.ts), with actions running here.
    const management = await localManagementHandler(actions, names.busName, names.source, operations);
    const { stopEsbuild } = await import('../lambdas/modules/adapters/esbuild-builder');
    stack.push(async () => stopEsbuild());
    shutdown.throwIfRequested();

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
    ingestUrl = `http://127.0.0.1:${port}/`;
    const accessFile = await saveManagementAccess(port, options.managementToken, options.token);
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
        `  Operations     ${cli.replace(/ modules$/, '')} status | quarantine list | replay --from <t> --to <t>   (archive ${archive.archiveArn.split('/').at(-1)})`,
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

    const reason = await shutdown.requested;
    console.log(`\nStopping (${reason})…`);
    exitIfStillRunningAfter(10_000);
    await stopAll();
    await following;
  } catch (error) {
    exitIfStillRunningAfter(10_000);
    await stopAll();
    if (error instanceof StopRequestedError) {
      console.log(error.message);
      return;
    }
    throw error;
  }
}

/**
 * A last resort once stopping has begun: should anything still hold this process open `ms` later (a child
 * that ignores SIGTERM, a socket left open), exit anyway. Unref'd, so that it never holds the process itself.
 */
function exitIfStillRunningAfter(ms: number): void {
  setTimeout(() => {
    console.error(`npm start was still stopping after ${ms / 1000} s; exiting.`);
    process.exit(process.exitCode ?? 1);
  }, ms).unref();
}

/**
 * Leaves the endpoint and management token, and the ingest URL and token (for `a0bridge auth0 connect`), where
 * a0bridge finds them. Without the file (a read-only checkout) everything still works: the banner then shows
 * the token to export.
 */
async function saveManagementAccess(
  port: number,
  managementToken: string,
  ingestToken: string,
): Promise<string | undefined> {
  try {
    const file = await writeLocalAccess(port, {
      endpoint: `http://127.0.0.1:${port}`,
      managementToken,
      ingestUrl: `http://127.0.0.1:${port}/`,
      ingestToken,
    });
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
    error instanceof EmulatorNotFoundError || error instanceof StartOptionsError
      ? error.message
      : `npm start failed: ${(error as Error).message}`,
  );
  process.exitCode = error instanceof StartOptionsError ? 2 : 1;
});

/**
 * The management handler over the emulator, with the local actions runtime as its deployer, and every
 * deployed action started again (an emulator given with --aws-endpoint keeps them across runs).
 */
async function localManagementHandler(
  actions: Awaited<ReturnType<typeof createLocalActionsRuntime>>,
  busName: string,
  eventSource: string,
  operations: (logger: OperationsLog) => BridgeOperations,
): Promise<FunctionUrlHandler> {
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { Metrics } = await import('@aws-lambda-powertools/metrics');
  const { loadModulesConfig } = await import('../lambdas/modules/config');
  const { createManagementContext, createManagementHandler } = await import('../lambdas/management/wiring');
  const { DEFAULT_ACTION_TIMEOUT_SECONDS } = await import('../lambdas/actions/aws/config');
  const logger = new Logger({ serviceName: 'auth0-event-bridge-modules' });
  const metrics = new Metrics({ namespace: 'Auth0EventBridge', serviceName: 'modules' });
  const context = createManagementContext(
    loadModulesConfig(),
    logger,
    {
      deployer: actions.deployer,
      executions: actions.executions,
      busName,
      rulePrefix: actions.rulesPrefix,
      eventSource,
      timeoutMs: DEFAULT_ACTION_TIMEOUT_SECONDS * 1000,
    },
    operations(logger),
  );
  const resumed = await context.actions?.redeployLive();
  if (resumed) console.log(`Started ${resumed} deployed action(s) again.`);
  return createManagementHandler(context, logger, metrics) as unknown as FunctionUrlHandler;
}
