import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { errorResponse, fromFunctionUrlEvent, handleManagementRequest } from '../management/http';
import { dynamoDb } from '../shared/clients/dynamodb';
import { s3 } from '../shared/clients/s3';
import { secretsManager } from '../shared/clients/secrets-manager';
import { describeError } from '../shared/errors';
import { DynamoDbModuleStore } from './adapters/dynamodb-store';
import { EsbuildModuleBuilder } from './adapters/esbuild-builder';
import { NpmInstaller } from './adapters/npm-installer';
import { NpmDependencyResolver, pacoteOptions } from './adapters/npm-registry';
import { S3ArtifactStore } from './adapters/s3-artifacts';
import { SecretsManagerModuleSecrets } from './adapters/secrets-manager-secrets';
import { loadModulesConfig } from './config';
import { type ManagementContext, MODULE_ROUTES } from './http';
import { ModuleRegistry } from './registry';

const config = loadModulesConfig();
const logger = new Logger({ serviceName: 'auth0-event-bridge-modules' });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Auth0EventBridge',
  serviceName: 'modules',
});

const npm = pacoteOptions({ timeoutMs: config.npmTimeoutMs });
const registry = new ModuleRegistry(
  {
    store: new DynamoDbModuleStore(dynamoDb, { tableName: config.tableName }),
    secrets: new SecretsManagerModuleSecrets(secretsManager, {
      prefix: config.secretsPrefix,
      ...(config.secretsKmsKeyId ? { kmsKeyId: config.secretsKmsKeyId } : {}),
    }),
    resolver: new NpmDependencyResolver({ timeoutMs: config.npmTimeoutMs }),
    builder: new EsbuildModuleBuilder(
      new NpmInstaller({ pacote: npm, maxPackages: config.buildMaxPackages }),
      {
        target: config.buildTarget,
      },
    ),
    artifacts: new S3ArtifactStore(s3, { bucket: config.artifactsBucket, prefix: config.artifactsPrefix }),
    logger,
  },
  { leaseMs: config.lockSeconds * 1000, publishLeaseMs: config.publishLockSeconds * 1000 },
);

const management: ManagementContext = { modules: registry };

/**
 * Lambda Function URL (payload format 2.0, AWS_IAM auth) entry point for Auth0's Action Modules
 * Management API: `/api/v2/actions/modules…`.
 */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  // Bodies carry secret values: the event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics, { captureColdStartMetric: true }))
  .handler(async (event, context) => {
    const request = fromFunctionUrlEvent(event);
    try {
      const { response, outcome } = await handleManagementRequest(request, MODULE_ROUTES, management, logger);
      logger.info('Served a management request', {
        method: request.method,
        path: request.path,
        route: outcome.route,
        statusCode: response.statusCode,
      });
      metrics.addMetric('ClientErrors', MetricUnit.Count, response.statusCode >= 400 ? 1 : 0);
      metrics.addMetric('ServerErrors', MetricUnit.Count, 0);
      if (outcome.published) {
        metrics.addMetric('VersionsPublished', MetricUnit.Count, 1);
        metrics.addMetric('PublishLatency', MetricUnit.Milliseconds, outcome.published.latencyMs);
        metrics.addMetric('BuildDuration', MetricUnit.Milliseconds, outcome.published.buildMs);
      }
      return response;
    } catch (error) {
      // An unexpected failure: logged for the operator, answered without details (they are not ours to vouch
      // for). Nothing is left half-done that a retry of the request would not finish.
      logger.error('A management request failed', {
        method: request.method,
        path: request.path,
        error: describeError(error),
      });
      metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
      return errorResponse(
        500,
        'internal_error',
        `The request failed inside the registry; try again. Request id ${context.awsRequestId}.`,
      );
    }
  });
