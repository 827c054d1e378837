/**
 * Removes everything the action registry created outside CloudFormation, so that `cdk destroy` is not
 * blocked by it: the binding rules on the bus (a bus with rules cannot be deleted), then every action
 * function and role under the runner's prefixes (a policy in use as a permissions boundary cannot be
 * deleted). Whatever is under a prefix is the runner's: the prefixes are the ownership contract.
 */
import { type IAMClient, paginateListRoles } from '@aws-sdk/client-iam';
import { type LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import { mapWithConcurrency } from '../../shared/concurrency';
import type { LogPort } from '../ports';
import type { CleanupConfig } from './config';
import { LambdaActionResources } from './lambda-deployer';

export interface CleanupPorts {
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
  /** The binding rules adapter (EventBridgeBindingRules) on the runner's bus and rule prefix. */
  readonly rules: { deleteAllManaged(): Promise<void> };
  readonly logger: LogPort;
}

export interface CleanupResult {
  readonly functions: readonly string[];
  readonly roles: readonly string[];
}

/** Control-plane calls in flight at once; Lambda and IAM throttle these at low rates. */
const CONCURRENCY = 4;

export async function removeAllActionResources(
  config: Pick<CleanupConfig, 'functionPrefix' | 'rolePrefix'>,
  ports: CleanupPorts,
): Promise<CleanupResult> {
  // Rules first: once they are gone, nothing invokes the functions being deleted.
  await ports.rules.deleteAllManaged();

  const functions: string[] = [];
  for await (const page of paginateListFunctions({ client: ports.lambda }, {})) {
    for (const fn of page.Functions ?? []) {
      if (fn.FunctionName?.startsWith(config.functionPrefix)) functions.push(fn.FunctionName);
    }
  }
  const roles: string[] = [];
  for await (const page of paginateListRoles({ client: ports.iam }, {})) {
    for (const role of page.Roles ?? []) {
      if (role.RoleName?.startsWith(config.rolePrefix)) roles.push(role.RoleName);
    }
  }

  const resources = new LambdaActionResources(ports.lambda, ports.iam);
  await mapWithConcurrency(functions, CONCURRENCY, (name) => resources.deleteFunction(name));
  await mapWithConcurrency(roles, CONCURRENCY, (name) => resources.deleteRole(name));
  ports.logger.info('Removed the action resources', { functions: functions.length, roles: roles.length });
  return { functions, roles };
}
