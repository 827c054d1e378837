/**
 * The bridge as `npm start` wires it, in this test process: the real ingest handler and the real management
 * handler (with the operator's routes) on moto, behind the local server with its management token, on a free
 * loopback port. The quarantine redrive posts to this server's ingest URL, as it does under npm start.
 * Call once per test file: the handlers read their environment when first imported.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { CreateQueueCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { routes } from '../../../config/routes';
import type { IngestActivityCounter } from '../../../lambdas/operations/adapters/in-process-status';
import type { FunctionUrlHandler } from '../../../local/function-url';
import { defaultModulesNames, provisionModulesLocal } from '../../../local/modules';
import type { LocalArchive } from '../../../local/operations';
import {
  type AwsTarget,
  clientConfig,
  defaultLocalNames,
  type LocalNames,
  type LocalResources,
  localIngestEnvironment,
  provisionLocal,
} from '../../../local/provision';
import { startSerializingProxy } from '../../../local/serializing-proxy';
import { createLocalServer, listen } from '../../../local/server';
import { runCli } from '../../modules/support/cli-io';
import { uniqueName, useEmulatorEnvironment } from '../../support/aws';

export interface OperationsStack {
  readonly url: string;
  readonly managementToken: string;
  readonly ingestToken: string;
  readonly aws: AwsTarget;
  readonly names: LocalNames;
  readonly resources: LocalResources;
  readonly archive: LocalArchive;
  readonly actionsDlqUrl: string;
  readonly counter: IngestActivityCounter;
  readonly sqs: SQSClient;
  /** The route queue of `routeId` (what the rule delivers to). */
  routeQueue(routeId: string): string;
  /** POSTs a body to the ingest URL with the ingest token, as Auth0 does. */
  post(body: unknown, path?: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** `a0bridge <args>` against this stack; `stdout`/`stderr` kept for leak checks. */
  a0bridge(args: string[]): ReturnType<typeof runCli>;
  purge(...queueUrls: string[]): Promise<void>;
  close(): Promise<void>;
}

export async function startOperationsStack(
  options: { readonly quarantineMaxMessageBytes?: number } = {},
): Promise<OperationsStack> {
  const aws = useEmulatorEnvironment();
  const names = defaultLocalNames(uniqueName('ops'));
  const ingestToken = randomBytes(18).toString('base64url');
  const resources = await provisionLocal(aws, names, routes, ingestToken);
  const modulesEnvironment = await provisionModulesLocal(aws, defaultModulesNames(names.busName));
  const sqs = new SQSClient(clientConfig(aws));
  const { QueueUrl: actionsDlqUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${names.busName}-actions-dlq` }),
  );
  const dynamoDb = await startSerializingProxy(aws.endpoint);
  Object.assign(process.env, modulesEnvironment, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.endpoint,
    ...localIngestEnvironment(names, resources, {
      ...(options.quarantineMaxMessageBytes
        ? { quarantineMaxMessageBytes: options.quarantineMaxMessageBytes }
        : {}),
    }),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });

  // Imported once the environment is set, as npm start does: the clients and handlers read it at load.
  const local = await import('../../../local/operations');
  const { Logger } = await import('@aws-lambda-powertools/logger');
  const { Metrics } = await import('@aws-lambda-powertools/metrics');
  const { loadModulesConfig } = await import('../../../lambdas/modules/config');
  const { createManagementContext, createManagementHandler } = await import(
    '../../../lambdas/management/wiring'
  );
  const { handler: ingestHandler } = await import('../../../lambdas/ingest/handler');

  const archive = await local.provisionArchiveLocal(aws, names);
  const counter = new local.IngestActivityCounter();
  let ingestUrl = '';
  const logger = new Logger({ serviceName: 'operations-test' });
  const operations = local.createLocalOperations(
    {
      archive,
      busName: names.busName,
      quarantineQueueUrl: resources.quarantineQueueUrl,
      claimCheckBucket: names.claimCheckBucket,
      tokenSecretId: resources.tokenSecretId,
      dedupTableName: names.dedupTableName,
      routes,
      ruleNames: new Map(resources.routeQueues.map(({ routeId, ruleName }) => [routeId, ruleName])),
      deadLetterQueues: [{ name: 'actions-dlq', url: actionsDlqUrl as string }],
    },
    counter,
    () => ingestUrl,
    logger,
  );
  const management = createManagementHandler(
    createManagementContext(loadModulesConfig(), logger, undefined, operations),
    logger,
    new Metrics({ namespace: 'Auth0EventBridge', serviceName: 'modules' }),
  ) as unknown as FunctionUrlHandler;
  const ingest = local.countingIngest(ingestHandler as unknown as FunctionUrlHandler, counter);
  const managementToken = randomBytes(18).toString('base64url');
  const server: Server = createLocalServer({
    ingest,
    management: { handler: management, token: managementToken },
  });
  const port = await listen(server, 0);
  const url = `http://127.0.0.1:${port}`;
  ingestUrl = `${url}/`;

  const routeQueues = new Map(resources.routeQueues.map(({ routeId, queueUrl }) => [routeId, queueUrl]));
  return {
    url,
    managementToken,
    ingestToken,
    aws,
    names,
    resources,
    archive,
    actionsDlqUrl: actionsDlqUrl as string,
    counter,
    sqs,
    routeQueue: (routeId) => {
      const queueUrl = routeQueues.get(routeId);
      if (!queueUrl) throw new Error(`no route ${routeId}`);
      return queueUrl;
    },
    post: async (body, path = '/') => {
      const response = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingestToken}`, 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    a0bridge: (args) => runCli(args, { env: { A0BRIDGE_ENDPOINT: url, A0BRIDGE_TOKEN: managementToken } }),
    purge: async (...queueUrls) => {
      for (const queueUrl of queueUrls) await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dynamoDb.close();
      sqs.destroy();
    },
  };
}
