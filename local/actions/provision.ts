/**
 * What local mode needs for actions on an emulator: the executions table (`pk`/`sk`, TTL `expires_at`) and
 * the one actions DLQ where events land once their action has failed `maxReceiveCount` times. Each action's
 * own queue is created by `LocalActionDeployer` when the action is deployed. Whatever exists is reused.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULT_EMIT_SOURCE } from '../../lambdas/actions/aws/config';
import { type AwsTarget, clientConfig, createQueue, createTable, queueArnOf } from '../provision';

export interface LocalActionsNames {
  readonly busName: string;
  /** The `source` of Auth0 log events on the bus: what binding rules match. */
  readonly source: string;
  /** The `source` of the events actions publish with `api.emit`; never `source`, so no rule loops them back. */
  readonly emitSource: string;
  readonly executionsTableName: string;
  readonly dlqName: string;
  /** Each action's queue is `<queuePrefix><actionId>` (hashed when that is not a valid queue name). */
  readonly queuePrefix: string;
  /** The binding rules' name prefix, which `EventBridgeBindingRules` owns on the bus. */
  readonly rulesPrefix: string;
  /** Action secrets are `<secretsPrefix>/actions/<id>`, module secrets `<secretsPrefix>/modules/<id>`. */
  readonly secretsPrefix: string;
}

export const DEFAULT_RULES_PREFIX = 'a0b-action-';

/** Names derived from the local bus name, like the ingest and modules resources' names. */
export function defaultActionsNames(busName: string, source = 'auth0.logs'): LocalActionsNames {
  const safe = busName.replace(/[^-_A-Za-z0-9]/g, '-');
  return {
    busName,
    source,
    // The source deployed actions emit with, so that rules written against a deployed stack match locally.
    emitSource: DEFAULT_EMIT_SOURCE,
    executionsTableName: `${busName}-action-executions`,
    dlqName: `${safe.slice(0, 68)}-actions-dlq`,
    queuePrefix: `${safe.slice(0, 30)}-action-`,
    rulesPrefix: DEFAULT_RULES_PREFIX,
    // The same prefix the local modules registry uses (local/modules.ts), so both kinds sit side by side.
    secretsPrefix: busName,
  };
}

export interface LocalActionsResources {
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/** Creates the executions table (with TTL) and the actions DLQ unless they exist; idempotent. */
export async function provisionActionsLocal(
  aws: AwsTarget,
  names: LocalActionsNames,
): Promise<LocalActionsResources> {
  const config = clientConfig(aws);
  const dynamoDb = new DynamoDBClient(config);
  const sqs = new SQSClient(config);
  try {
    await createTable(dynamoDb, names.executionsTableName, {
      keys: ['pk', 'sk'],
      ttlAttribute: 'expires_at',
    });
    const dlqUrl = await createQueue(sqs, names.dlqName);
    return { dlqUrl, dlqArn: await queueArnOf(sqs, dlqUrl) };
  } finally {
    dynamoDb.destroy();
    sqs.destroy();
  }
}
