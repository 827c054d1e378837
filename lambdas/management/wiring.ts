/**
 * The management function's registries and its HTTP handler, built the same way in Lambda (from its
 * environment, lambdas/modules/handler.ts) and in local mode (local/start.ts): only where actions run
 * differs, and the caller gives that as `ActionsWiring`.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DynamoDbActionStore } from '../actions/adapters/dynamodb-store';
import { EsbuildActionBuilder } from '../actions/adapters/esbuild-action-builder';
import { EventBridgeBindingRules } from '../actions/bindings/rules';
import { ACTION_ROUTES } from '../actions/http';
import type { ActionDeployer, ExecutionReader } from '../actions/ports';
import { ActionRegistry } from '../actions/registry';
import { DynamoDbModuleStore } from '../modules/adapters/dynamodb-store';
import { EsbuildModuleBuilder } from '../modules/adapters/esbuild-builder';
import { NpmInstaller } from '../modules/adapters/npm-installer';
import { NpmDependencyResolver, pacoteOptions } from '../modules/adapters/npm-registry';
import { S3ArtifactStore } from '../modules/adapters/s3-artifacts';
import { SecretsManagerModuleSecrets } from '../modules/adapters/secrets-manager-secrets';
import type { ModulesConfig } from '../modules/config';
import { MODULE_ROUTES } from '../modules/http';
import { ModuleRegistry } from '../modules/registry';
import { OPERATIONS_ROUTES } from '../operations/http';
import type { BridgeOperations } from '../operations/operations';
import { dynamoDb } from '../shared/clients/dynamodb';
import { eventBridge } from '../shared/clients/eventbridge';
import { s3 } from '../shared/clients/s3';
import { secretsManager } from '../shared/clients/secrets-manager';
import { describeError } from '../shared/errors';
import type { ManagementContext } from './context';
import { errorResponse, fromFunctionUrlEvent, handleManagementRequest } from './http';

/** Where actions run, and what their binding rules match. */
export interface ActionsWiring {
  readonly deployer: ActionDeployer;
  readonly executions: ExecutionReader;
  readonly busName: string;
  /** Binding rules are `<rulePrefix>…`; the registry touches no other rule. */
  readonly rulePrefix: string;
  /** The `source` of Auth0 log events (the ingest's `EVENT_SOURCE`). */
  readonly eventSource: string;
  /** How long one run may take. */
  readonly timeoutMs: number;
}

const ROUTES = [...MODULE_ROUTES, ...ACTION_ROUTES, ...OPERATIONS_ROUTES];

export function createManagementContext(
  config: ModulesConfig,
  logger: Logger,
  actions?: ActionsWiring,
  operations?: BridgeOperations,
): ManagementContext {
  const npm = pacoteOptions({ timeoutMs: config.npmTimeoutMs });
  const builder = new EsbuildModuleBuilder(
    new NpmInstaller({ pacote: npm, maxPackages: config.buildMaxPackages }),
    {
      target: config.buildTarget,
    },
  );
  const resolver = new NpmDependencyResolver({ timeoutMs: config.npmTimeoutMs });
  const artifacts = new S3ArtifactStore(s3, {
    bucket: config.artifactsBucket,
    prefix: config.artifactsPrefix,
  });
  const kms = config.secretsKmsKeyId ? { kmsKeyId: config.secretsKmsKeyId } : {};
  const moduleStore = new DynamoDbModuleStore(dynamoDb, { tableName: config.tableName });
  const lifecycle = { leaseMs: config.lockSeconds * 1000, publishLeaseMs: config.publishLockSeconds * 1000 };
  const modules = new ModuleRegistry(
    {
      store: moduleStore,
      secrets: new SecretsManagerModuleSecrets(secretsManager, { prefix: config.secretsPrefix, ...kms }),
      resolver,
      builder,
      artifacts,
      logger,
    },
    lifecycle,
  );
  if (!actions) return { modules, ...(operations ? { operations } : {}) };
  const registry = new ActionRegistry(
    {
      store: new DynamoDbActionStore(dynamoDb, { tableName: config.tableName }),
      secrets: new SecretsManagerModuleSecrets(secretsManager, {
        prefix: config.secretsPrefix,
        collection: 'actions',
        ...kms,
      }),
      resolver,
      builder: new EsbuildActionBuilder(builder),
      artifacts,
      modules: moduleStore,
      deployer: actions.deployer,
      rules: new EventBridgeBindingRules(eventBridge, {
        busName: actions.busName,
        prefix: actions.rulePrefix,
        tags: {},
      }),
      executions: actions.executions,
      logger,
    },
    {
      ...lifecycle,
      eventSource: actions.eventSource,
      rulePrefix: actions.rulePrefix,
      limits: { timeoutMs: actions.timeoutMs },
    },
  );
  return { modules, actions: registry, ...(operations ? { operations } : {}) };
}

/**
 * Lambda Function URL (payload format 2.0) handler for the management API: modules, and actions and the
 * operator's routes when wired.
 */
export function createManagementHandler(context: ManagementContext, logger: Logger, metrics: Metrics) {
  return (
    middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
      // Bodies carry secret values: the event is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
      .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
      .use(logMetrics(metrics, { captureColdStartMetric: true }))
      .handler(async (event, lambdaContext) => {
        const request = fromFunctionUrlEvent(event);
        try {
          const { response, outcome } = await handleManagementRequest(request, ROUTES, context, logger);
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
          // An unexpected failure: logged for the operator, answered without details (they are not ours to
          // vouch for). Nothing is left half-done that a retry of the request would not finish.
          logger.error('A management request failed', {
            method: request.method,
            path: request.path,
            error: describeError(error),
          });
          metrics.addMetric('ServerErrors', MetricUnit.Count, 1);
          return errorResponse(
            500,
            'internal_error',
            `The request failed inside the registry; try again. Request id ${lambdaContext.awsRequestId}.`,
          );
        }
      })
  );
}
