/**
 * The operations' adapters over the shared SDK clients, built the same way in Lambda (from the environment,
 * lambdas/modules/handler.ts) and in local mode (local/operations.ts): locally, only the status source and
 * the ingest URL (known once the server listens) are given.
 */
import { cloudWatch } from '../shared/clients/cloudwatch';
import { dynamoDb } from '../shared/clients/dynamodb';
import { eventBridge } from '../shared/clients/eventbridge';
import { s3 } from '../shared/clients/s3';
import { secretsManager } from '../shared/clients/secrets-manager';
import { sqs } from '../shared/clients/sqs';
import { CloudWatchStatus } from './adapters/cloudwatch-status';
import { DynamoDbDedupMarks } from './adapters/dynamodb-dedup-marks';
import { EventBridgeArchiveReplays } from './adapters/eventbridge-replays';
import { HttpIngest, secretIngestToken } from './adapters/http-ingest';
import { S3StoredRecords } from './adapters/s3-stored-records';
import { SqsQuarantineQueue, SqsQueueDepths } from './adapters/sqs-queues';
import type { OperationsConfig } from './config';
import { BridgeOperations } from './operations';
import type { OperationsLog, StatusPort } from './ports';

export interface OperationsOverrides {
  /** Where the status is read; CloudWatch by default. */
  readonly status?: StatusPort;
  /** The ingest URL, when it is known only later; `config.ingestUrl` by default. */
  readonly ingestUrl?: () => string;
}

export function createBridgeOperations(
  config: OperationsConfig,
  logger: OperationsLog,
  overrides: OperationsOverrides = {},
): BridgeOperations {
  return new BridgeOperations(
    {
      quarantine: new SqsQuarantineQueue(sqs, config.quarantineQueueUrl),
      records: new S3StoredRecords(s3),
      ingest: new HttpIngest({
        url: overrides.ingestUrl ?? (() => config.ingestUrl),
        token: secretIngestToken(secretsManager, config.tokenSecretId),
      }),
      dedup: new DynamoDbDedupMarks(dynamoDb, config.dedupTableName),
      replays: new EventBridgeArchiveReplays(eventBridge, {
        archiveArn: config.archiveArn,
        busArn: config.busArn,
      }),
      status:
        overrides.status ??
        new CloudWatchStatus(cloudWatch, sqs, {
          namespace: config.metricsNamespace,
          alarmNamePrefix: config.alarmNamePrefix,
          alarmNames: config.alarmNames,
          quarantineQueueUrl: config.quarantineQueueUrl,
        }),
      queues: new SqsQueueDepths(sqs),
      logger,
    },
    config,
  );
}
