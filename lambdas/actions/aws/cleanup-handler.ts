/**
 * The CloudFormation custom resource (Provider framework) that cleans up after the action registry when the
 * stack is deleted. Create and Update do nothing and keep the same physical id, so that no update can turn
 * into a Delete of the old resource, which would remove every action.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { eventBridge } from '../../shared/clients/eventbridge';
import { iam } from '../../shared/clients/iam';
import { lambda } from '../../shared/clients/lambda';
import { EventBridgeBindingRules } from '../bindings/rules';
import { removeAllActionResources } from './cleanup';
import { loadCleanupConfig } from './config';

const config = loadCleanupConfig();
const logger = new Logger({ serviceName: 'auth0-event-bridge-action-cleanup' });
const PHYSICAL_ID = 'action-runner-cleanup';

export async function handler(
  event: CloudFormationCustomResourceEvent,
): Promise<{ PhysicalResourceId: string }> {
  const physicalId = 'PhysicalResourceId' in event ? event.PhysicalResourceId : PHYSICAL_ID;
  if (event.RequestType !== 'Delete') return { PhysicalResourceId: physicalId };
  await removeAllActionResources(config, {
    lambda,
    iam,
    rules: new EventBridgeBindingRules(eventBridge, {
      busName: config.busName,
      prefix: config.rulePrefix,
      tags: {},
    }),
    logger,
  });
  return { PhysicalResourceId: physicalId };
}
