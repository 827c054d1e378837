/**
 * Actions in local mode, assembled: the executions table and actions DLQ on the emulator, the
 * `LocalActionDeployer` (a queue, a child process and a poller per deployed action) and the executions
 * adapter the management API reads. The registry's management handler takes `deployer`, `executions` and
 * `rulesPrefix` from here; `stop()` ends every child and poller.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbExecutions } from '../../lambdas/actions/adapters/dynamodb-executions';
import type { ExecutionReader, ExecutionWriter, LogPort } from '../../lambdas/actions/ports';
import { readArtifact } from '../../lambdas/modules/adapters/s3-artifacts';
import { SecretsManagerModuleSecrets } from '../../lambdas/modules/adapters/secrets-manager-secrets';
import { type AwsTarget, clientConfig } from '../provision';
import { LocalActionDeployer, type LocalActionDeployerOptions } from './deployer';
import type { ActionDelivery } from './poller';
import { type LocalActionsNames, provisionActionsLocal } from './provision';

export interface LocalActionsRuntimeOptions {
  /**
   * DynamoDB's endpoint when it differs from `aws.endpoint`: npm start sends DynamoDB requests through its
   * serializing proxy, so that run claims are as atomic as in DynamoDB (local/serializing-proxy.ts).
   */
  readonly dynamoDbEndpoint?: string;
  /** Every delivery's outcome: npm start prints them. */
  readonly onDelivery?: (delivery: ActionDelivery) => void;
  /** @default a Powertools logger, at POWERTOOLS_LOG_LEVEL */
  readonly logger?: LogPort;
  /** @default a new directory under the OS temporary directory, removed by stop() */
  readonly bundleDirectory?: string;
  /** How long a run claim blocks another delivery of its event. @default 120 */
  readonly leaseSeconds?: number;
  /** @default 3 */
  readonly maxReceiveCount?: number;
  /** @default 2 */
  readonly visibilityMarginSeconds?: number;
  /** @default 2 */
  readonly waitTimeSeconds?: number;
  readonly process?: LocalActionDeployerOptions['process'];
}

export interface LocalActionsRuntime {
  readonly deployer: LocalActionDeployer;
  readonly executions: ExecutionWriter & ExecutionReader;
  /** The prefix of the binding rules on the bus (for `EventBridgeBindingRules`). */
  readonly rulesPrefix: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly names: LocalActionsNames;
  /** Kills every child, stops every poller, removes the bundle directory it made. Queues stay. */
  stop(): Promise<void>;
}

export async function createLocalActionsRuntime(
  aws: AwsTarget,
  names: LocalActionsNames,
  options: LocalActionsRuntimeOptions = {},
): Promise<LocalActionsRuntime> {
  const { dlqUrl, dlqArn } = await provisionActionsLocal(aws, names);
  const config = clientConfig(aws);
  const dynamoDb = new DynamoDBClient({ ...config, endpoint: options.dynamoDbEndpoint ?? aws.endpoint });
  const documents = DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const sqs = new SQSClient(config);
  const s3 = new S3Client({ ...config, forcePathStyle: true });
  const eventBridge = new EventBridgeClient(config);
  const secretsManager = new SecretsManagerClient(config);
  const ownDirectory = options.bundleDirectory
    ? undefined
    : await mkdtemp(join(tmpdir(), 'a0bridge-action-bundles-'));
  const logger = options.logger ?? new Logger({ serviceName: 'auth0-event-bridge-actions-local' });

  const executions = new DynamoDbExecutions(documents, {
    tableName: names.executionsTableName,
    ...(options.leaseSeconds !== undefined ? { leaseSeconds: options.leaseSeconds } : {}),
  });
  const deployer = new LocalActionDeployer({
    sqs,
    artifacts: { get: (ref) => readArtifact(s3, ref) },
    eventBridge,
    actionSecrets: new SecretsManagerModuleSecrets(secretsManager, {
      prefix: names.secretsPrefix,
      collection: 'actions',
    }),
    moduleSecrets: new SecretsManagerModuleSecrets(secretsManager, {
      prefix: names.secretsPrefix,
      collection: 'modules',
    }),
    executions,
    logger,
    busName: names.busName,
    emitSource: names.emitSource,
    queuePrefix: names.queuePrefix,
    dlqArn,
    bundleDirectory: options.bundleDirectory ?? (ownDirectory as string),
    ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
    ...(options.maxReceiveCount !== undefined ? { maxReceiveCount: options.maxReceiveCount } : {}),
    ...(options.visibilityMarginSeconds !== undefined
      ? { visibilityMarginSeconds: options.visibilityMarginSeconds }
      : {}),
    ...(options.waitTimeSeconds !== undefined ? { waitTimeSeconds: options.waitTimeSeconds } : {}),
    ...(options.process ? { process: options.process } : {}),
  });

  let stopping: Promise<void> | undefined;
  return {
    deployer,
    executions,
    rulesPrefix: names.rulesPrefix,
    dlqUrl,
    dlqArn,
    names,
    stop: () => {
      stopping ??= (async () => {
        await deployer.stop();
        for (const client of [dynamoDb, sqs, s3, eventBridge, secretsManager]) client.destroy();
        if (ownDirectory) await rm(ownDirectory, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
