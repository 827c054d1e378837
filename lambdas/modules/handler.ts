/**
 * Lambda Function URL (payload format 2.0, AWS_IAM auth) entry point for Auth0's Management API paths this
 * stack serves: `/api/v2/actions/modules…`, and, when the stack runs actions (the ACTIONS_* variables of
 * lambdas/actions/aws/config.ts are set), `/api/v2/actions/actions…`, triggers, bindings and executions; and,
 * when the OPERATIONS_* variables of lambdas/operations/config.ts are set, the operator's `/api/v2/bridge/…`
 * (quarantine, replay, status).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDbExecutions } from '../actions/adapters/dynamodb-executions';
import { ACTIONS_ENVIRONMENT, loadActionsConfig } from '../actions/aws/config';
import { LambdaActionDeployer, s3HostSource } from '../actions/aws/lambda-deployer';
import { type ActionsWiring, createManagementContext, createManagementHandler } from '../management/wiring';
import { hasOperationsEnvironment, loadOperationsConfig } from '../operations/config';
import { createBridgeOperations } from '../operations/wiring';
import { dynamoDb } from '../shared/clients/dynamodb';
import { iam } from '../shared/clients/iam';
import { lambda } from '../shared/clients/lambda';
import { s3 } from '../shared/clients/s3';
import { S3ArtifactStore } from './adapters/s3-artifacts';
import { loadModulesConfig } from './config';

const config = loadModulesConfig();
const logger = new Logger({ serviceName: 'auth0-event-bridge-modules' });
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Auth0EventBridge',
  serviceName: 'modules',
});

function actionsWiring(): ActionsWiring | undefined {
  if (!process.env[ACTIONS_ENVIRONMENT.functionPrefix]) return undefined;
  const actions = loadActionsConfig();
  const deployer = new LambdaActionDeployer(
    {
      lambda,
      iam,
      artifacts: new S3ArtifactStore(s3, { bucket: config.artifactsBucket, prefix: config.artifactsPrefix }),
      host: s3HostSource(s3, actions.hostBucket, actions.hostKey),
      logger,
    },
    actions,
  );
  return {
    deployer,
    executions: new DynamoDbExecutions(dynamoDb, {
      tableName: actions.executionsTable,
      ttlDays: actions.executionTtlDays,
    }),
    busName: actions.busName,
    rulePrefix: actions.rulePrefix,
    eventSource: actions.logEventSource,
    timeoutMs: actions.timeoutSeconds * 1000,
  };
}

const operations = hasOperationsEnvironment()
  ? createBridgeOperations(loadOperationsConfig(), logger)
  : undefined;

export const handler = createManagementHandler(
  createManagementContext(config, logger, actionsWiring(), operations),
  logger,
  metrics,
);
