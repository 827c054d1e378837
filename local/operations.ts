/**
 * Local mode for the operator's routes (a0bridge quarantine, replay, status): an archive of the local bus, so
 * that replays work as on AWS, the same `OperationsConfig` the Lambda reads from its environment, and, where
 * there is no CloudWatch, a count of the ingest's answers kept by this process (local/start.ts wraps the
 * ingest handler with `countingIngest`, outside lambdas/ingest).
 */
import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  DescribeEventBusCommand,
  EventBridgeClient,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-eventbridge';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { IngestActivityCounter, InProcessStatus } from '../lambdas/operations/adapters/in-process-status';
import {
  decodeRoutes,
  encodeRoutes,
  type OperationsConfig,
  replayPrefixFor,
} from '../lambdas/operations/config';
import type { BridgeOperations } from '../lambdas/operations/operations';
import type { OperationsLog, WatchedQueue } from '../lambdas/operations/ports';
import { createBridgeOperations } from '../lambdas/operations/wiring';
import { isEnabled, type RouteDefinition } from '../lib/routes/route-model';
import type { FunctionUrlHandler } from './function-url';
import { type AwsTarget, clientConfig } from './provision';

export interface LocalArchive {
  readonly busArn: string;
  readonly archiveArn: string;
}

/** Creates the local bus's archive of every event from `source` (kept forever) unless it exists. */
export async function provisionArchiveLocal(
  aws: AwsTarget,
  names: { readonly busName: string; readonly source: string },
): Promise<LocalArchive> {
  const eventBridge = new EventBridgeClient(clientConfig(aws));
  try {
    const bus = await eventBridge.send(new DescribeEventBusCommand({ Name: names.busName }));
    if (!bus.Arn) throw new Error(`DescribeEventBus returned no ARN for ${names.busName}`);
    const archiveName = `${names.busName}-archive`.slice(0, 48);
    try {
      const created = await eventBridge.send(
        new CreateArchiveCommand({
          ArchiveName: archiveName,
          EventSourceArn: bus.Arn,
          EventPattern: JSON.stringify({ source: [names.source] }),
          Description: `Auth0 events from ${names.source}, kept for replay (local mode)`,
          RetentionDays: 0,
        }),
      );
      if (!created.ArchiveArn) throw new Error(`CreateArchive returned no ARN for ${archiveName}`);
      return { busArn: bus.Arn, archiveArn: created.ArchiveArn };
    } catch (error) {
      if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      const existing = await eventBridge.send(new DescribeArchiveCommand({ ArchiveName: archiveName }));
      if (!existing.ArchiveArn) throw new Error(`DescribeArchive returned no ARN for ${archiveName}`);
      return { busArn: bus.Arn, archiveArn: existing.ArchiveArn };
    }
  } finally {
    eventBridge.destroy();
  }
}

export interface LocalOperationsInput {
  readonly archive: LocalArchive;
  readonly busName: string;
  readonly quarantineQueueUrl: string;
  readonly claimCheckBucket: string;
  readonly tokenSecretId: string;
  readonly dedupTableName: string;
  /** The routes of config/routes.ts, and the rule local mode made for each enabled one. */
  readonly routes: readonly RouteDefinition[];
  readonly ruleNames: ReadonlyMap<string, string>;
  /** The queues whose depth the status shows (locally: the actions DLQ; routes have no DLQ locally). */
  readonly deadLetterQueues: readonly WatchedQueue[];
}

/** The same configuration the management Lambda reads from its environment, for the local stack. */
export function localOperationsConfig(input: LocalOperationsInput): OperationsConfig {
  const encoded = encodeRoutes(
    input.routes.map((route) => ({
      id: route.id,
      // A disabled route has no local rule; it is never replayed to.
      ruleName: input.ruleNames.get(route.id) ?? `${input.busName}-${route.id}`.slice(0, 64),
      match: route.match,
      enabled: isEnabled(route) && input.ruleNames.has(route.id),
    })),
  );
  return {
    quarantineQueueUrl: input.quarantineQueueUrl,
    claimCheckBucket: input.claimCheckBucket,
    // Known once the server listens: see `createLocalOperations`.
    ingestUrl: 'http://127.0.0.1/',
    tokenSecretId: input.tokenSecretId,
    dedupTableName: input.dedupTableName,
    busArn: input.archive.busArn,
    archiveArn: input.archive.archiveArn,
    archiveRetentionDays: 0,
    replayPrefix: replayPrefixFor(input.busName),
    routes: decodeRoutes(encoded.routes, encoded.routeRules, input.archive.busArn),
    alarmNamePrefix: `${input.busName}-`,
    alarmNames: [],
    metricsNamespace: 'Auth0EventBridge',
  };
}

/**
 * The operations over the emulator, with the status this process counts and the ingest URL given once the
 * server listens (`ingestUrl`).
 */
export function createLocalOperations(
  input: LocalOperationsInput,
  counter: IngestActivityCounter,
  ingestUrl: () => string,
  logger: OperationsLog,
): BridgeOperations {
  return createBridgeOperations(localOperationsConfig(input), logger, {
    status: new InProcessStatus(counter, input.deadLetterQueues),
    ingestUrl,
  });
}

/** The ingest handler, each answer counted (its body holds the counts), as the EMF metrics count on AWS. */
export function countingIngest(
  handler: FunctionUrlHandler,
  counter: IngestActivityCounter,
): FunctionUrlHandler {
  return async (event, context) => {
    const result: APIGatewayProxyResultV2 = await handler(event, context);
    if (typeof result === 'object' && result.statusCode !== undefined) {
      counter.recordResponse(result.statusCode, typeof result.body === 'string' ? result.body : undefined);
    }
    return result;
  };
}

export { IngestActivityCounter };
