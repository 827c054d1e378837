import { describe, expect, it } from 'vitest';
import {
  ACTIONS_ENVIRONMENT,
  type ActionsConfig,
  actionsEnvironment,
  loadActionsConfig,
  loadCleanupConfig,
} from '../../../lambdas/actions/aws/config';
import {
  HOST_ENVIRONMENT,
  HostEnvironmentTooLargeError,
  readHostEnvironment,
  toHostEnvironment,
} from '../../../lambdas/actions/host/contract';
import type { ActionDeployment } from '../../../lambdas/actions/model';
import { secretNameFor } from '../../../lambdas/lifecycle/secret-sets';

const DEPLOYMENT: ActionDeployment = {
  actionId: '0199a3f0-0000-7000-8000-000000000001',
  actionName: 'notify-slack',
  versionId: '0199a3f0-0000-7000-8000-000000000002',
  versionNumber: 4,
  bundle: { bucket: 'artifacts', key: 'actions/bundles/x.js', sha256: 'a'.repeat(64), bytes: 1234 },
  triggers: [{ id: 'auth0-log', version: 'v1' }],
  secretsSetId: 'set-1',
  moduleSecretSets: [
    { moduleId: 'm1', moduleName: 'slack', setId: 'ms-1' },
    { moduleId: 'm2', moduleName: 'format' },
  ],
  timeoutMs: 20_000,
};
const SHARED = {
  executionsTable: 'executions',
  busName: 'auth0-events',
  emitSource: 'auth0.actions',
  secretsPrefix: 'auth0-events',
  executionTtlDays: 10,
};

describe('the action host environment contract', () => {
  it('reads back exactly the deployment and settings it was written from', () => {
    expect(readHostEnvironment(toHostEnvironment(DEPLOYMENT, SHARED))).toEqual({
      deployment: DEPLOYMENT,
      shared: SHARED,
    });
    const { secretsSetId: _none, ...withoutSecrets } = DEPLOYMENT;
    expect(readHostEnvironment(toHostEnvironment(withoutSecrets, SHARED)).deployment).toEqual(withoutSecrets);
  });

  it('names secrets by prefix, kind and id, and holds no value', () => {
    const variables = toHostEnvironment(DEPLOYMENT, SHARED);
    expect(Object.keys(variables).sort()).toEqual(
      [...Object.values(HOST_ENVIRONMENT), 'NODE_OPTIONS'].sort(),
    );
    expect(secretNameFor('auth0-events/', 'actions', 'a1')).toBe('auth0-events/actions/a1');
    expect(secretNameFor('auth0-events', 'modules', 'm1')).toBe('auth0-events/modules/m1');
  });

  it('names the variable that is missing or malformed', () => {
    const variables = toHostEnvironment(DEPLOYMENT, SHARED);
    const without = (name: string) =>
      Object.fromEntries(Object.entries(variables).filter(([k]) => k !== name));
    expect(() => readHostEnvironment(without(HOST_ENVIRONMENT.busName))).toThrow(
      'ACTION_BUS_NAME is not set',
    );
    expect(() =>
      readHostEnvironment({ ...variables, [HOST_ENVIRONMENT.triggers]: '[{"id":"nope"}]' }),
    ).toThrow(/ACTION_TRIGGERS holds \{"id":"nope"\}/);
    expect(() => readHostEnvironment({ ...variables, [HOST_ENVIRONMENT.timeoutMs]: '0' })).toThrow(
      'ACTION_TIMEOUT_MS must be a positive integer, got "0"',
    );
  });

  it("refuses a deployment that would pass Lambda's 4 KB of variables", () => {
    const many = Array.from({ length: 40 }, (_, i) => ({
      moduleId: `module-${i}`,
      moduleName: `a-module-with-a-rather-long-name-${i}`,
      setId: `set-${i}`,
    }));
    expect(() => toHostEnvironment({ ...DEPLOYMENT, moduleSecretSets: many }, SHARED)).toThrow(
      HostEnvironmentTooLargeError,
    );
  });
});

describe('the management function’s actions environment', () => {
  const config: ActionsConfig = {
    partition: 'aws',
    region: 'eu-west-1',
    accountId: '111111111111',
    functionPrefix: 'a0b-1-',
    rolePrefix: 'a0b-1-',
    rulePrefix: 'a0b-1-',
    permissionsBoundaryArn: 'arn:aws:iam::111111111111:policy/boundary',
    hostBucket: 'assets',
    hostKey: 'host.mjs',
    executionsTable: 'executions',
    executionTtlDays: 10,
    busName: 'auth0-events',
    logEventSource: 'auth0.logs',
    emitSource: 'auth0.actions',
    deadLetterArn: 'arn:aws:sqs:eu-west-1:111111111111:dlq',
    maxRetryAttempts: 0,
    maxEventAgeSeconds: 3600,
    secretsPrefix: 'auth0-events',
    timeoutSeconds: 20,
    memorySize: 256,
  };

  it('reads back what CDK writes, and the cleanup reads its part', () => {
    const env = actionsEnvironment(config);
    expect(loadActionsConfig(env)).toEqual(config);
    expect(loadActionsConfig({ ...env, ACTIONS_SECRETS_KMS_KEY_ARN: 'arn:aws:kms:k' }).secretsKmsKeyArn).toBe(
      'arn:aws:kms:k',
    );
    expect(loadCleanupConfig(env)).toEqual({
      functionPrefix: 'a0b-1-',
      rolePrefix: 'a0b-1-',
      rulePrefix: 'a0b-1-',
      busName: 'auth0-events',
    });
  });

  it('names the missing variable', () => {
    const { [ACTIONS_ENVIRONMENT.hostKey]: _gone, ...env } = actionsEnvironment(config);
    expect(() => loadActionsConfig(env)).toThrow('ACTIONS_HOST_KEY is not set');
  });
});
