import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { dynamoDb } from '../shared/clients/dynamodb';
import { eventBridge } from '../shared/clients/eventbridge';
import { secretsManager } from '../shared/clients/secrets-manager';
import { once } from '../shared/concurrency';
import { lazyModuleUrl } from '../shared/lazy-module';
import { DynamoDbDedupStore } from './adapters/dynamodb-dedup';
import { EventBridgeSink } from './adapters/eventbridge-sink';
import { SecretTokenSource } from './adapters/secret-tokens';
import { loadIngestConfig } from './config';
import { type IngestStats, ingest } from './ingest';
import type { ClaimCheckStore, IngestPorts, Quarantine } from './ports';

const config = loadIngestConfig();
const logger = new Logger({ serviceName: 'auth0-event-bridge-ingest' });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Auth0EventBridge',
  serviceName: 'ingest',
});

/**
 * The claim-check store and the quarantine serve rare records (too large for an event, unusable): they and
 * their S3 and SQS clients are a file of their own beside the bundle (./rare.ts), loaded on first use, so that
 * a cold start neither loads nor compiles them; each adapter is created once.
 */
const rare = once((): Promise<typeof import('./rare')> => import(lazyModuleUrl('rare', import.meta.url)));
const claimCheckStore = once(async () => {
  const { s3, S3ClaimCheckStore } = await rare();
  return new S3ClaimCheckStore(s3, config.claimCheckBucket);
});
const claimChecks: ClaimCheckStore = {
  put: async (key, body) => (await claimCheckStore()).put(key, body),
};
const quarantineStore = once(async () => {
  const { sqs, SqsQuarantine } = await rare();
  return new SqsQuarantine(sqs, claimChecks, {
    queueUrl: config.quarantineQueueUrl,
    maxMessageBytes: config.quarantineMaxMessageBytes,
  });
});
const quarantine: Quarantine = {
  send: async (records, requestId) => (await quarantineStore()).send(records, requestId),
};

const ports: IngestPorts = {
  tokens: new SecretTokenSource(secretsManager, {
    secretId: config.tokenSecretId,
    cacheSeconds: config.tokenCacheSeconds,
    minRefreshIntervalMs: config.tokenRefreshIntervalSeconds * 1000,
  }),
  dedup: new DynamoDbDedupStore(dynamoDb, {
    tableName: config.dedupTableName,
    ttlSeconds: config.dedupTtlSeconds,
    leaseSeconds: config.dedupLeaseSeconds,
  }),
  sink: new EventBridgeSink(eventBridge),
  quarantine,
  claimChecks,
  logger,
};

/**
 * Lambda Function URL (payload format 2.0) entry point for Auth0's Custom Webhook log stream (`/`), Actions
 * events (`/actions/<trigger>`) and Event Streams (`/events`).
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  // The event holds the Authorization token and the records: never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler(async (event) => {
    const started = performance.now();
    const { response, stats } = await ingest(
      {
        method: event.requestContext.http.method,
        path: event.rawPath,
        headers: event.headers ?? {},
        body: event.body,
        isBase64Encoded: event.isBase64Encoded,
      },
      ports,
      config.settings,
    );
    recordMetrics(stats, response.statusCode, performance.now() - started);
    return response;
  });

function recordMetrics(stats: IngestStats, statusCode: number, latencyMs: number): void {
  metrics.addMetric('Received', MetricUnit.Count, stats.received);
  metrics.addMetric('Published', MetricUnit.Count, stats.published);
  metrics.addMetric('Duplicates', MetricUnit.Count, stats.duplicates);
  metrics.addMetric('Quarantined', MetricUnit.Count, stats.quarantined);
  metrics.addMetric('Failed', MetricUnit.Count, stats.failed);
  metrics.addMetric('PublishRetries', MetricUnit.Count, stats.publishRetries);
  metrics.addMetric('ClaimChecked', MetricUnit.Count, stats.claimChecked);
  metrics.addMetric('SchemaWarnings', MetricUnit.Count, stats.schemaWarnings);
  metrics.addMetric('DedupWriteFailures', MetricUnit.Count, stats.dedupWriteFailures);
  metrics.addMetric('Unauthorized', MetricUnit.Count, statusCode === 401 ? 1 : 0);
  metrics.addMetric('ServerErrors', MetricUnit.Count, statusCode >= 500 ? 1 : 0);
  metrics.addMetric('IngestLatency', MetricUnit.Milliseconds, latencyMs);
  for (const [category, count] of Object.entries(stats.publishedByCategory)) {
    const single = metrics.singleMetric();
    single.addDimension('Category', category);
    single.addMetric('PublishedByCategory', MetricUnit.Count, count);
  }
}
