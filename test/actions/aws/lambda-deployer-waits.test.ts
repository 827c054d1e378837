import { createHash } from 'node:crypto';
import {
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  InvalidParameterValueException,
  LambdaClient,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  ActionDeployError,
  LambdaActionDeployer,
  type LambdaActionDeployerProps,
} from '../../../lambdas/actions/aws/lambda-deployer';
import type { ActionDeployment } from '../../../lambdas/actions/model';

/** What moto cannot show: IAM propagation and Lambda's Pending / InProgress states. */
const lambdaMock = mockClient(LambdaClient);
const iamMock = mockClient(IAMClient);

const BUNDLE = Buffer.from('exports.onExecuteAuth0Log = async () => {};');
const DEPLOYMENT: ActionDeployment = {
  actionId: '0199a3f0-0000-7000-8000-000000000001',
  actionName: 'notify',
  versionId: 'v-1',
  versionNumber: 1,
  bundle: {
    bucket: 'artifacts',
    key: 'bundle.js',
    sha256: createHash('sha256').update(BUNDLE).digest('hex'),
    bytes: BUNDLE.length,
  },
  triggers: [{ id: 'auth0-log', version: 'v1' }],
  moduleSecretSets: [],
  timeoutMs: 20_000,
};
const PROPS: LambdaActionDeployerProps = {
  partition: 'aws',
  region: 'eu-west-1',
  accountId: '111111111111',
  functionPrefix: 'a0b-test-',
  rolePrefix: 'a0b-test-',
  rulePrefix: 'a0b-test-',
  permissionsBoundaryArn: 'arn:aws:iam::111111111111:policy/boundary',
  executionsTable: 'executions',
  executionTtlDays: 10,
  busName: 'auth0-events',
  emitSource: 'auth0.actions',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:111111111111:dlq',
  maxRetryAttempts: 8,
  maxEventAgeSeconds: 3600,
  secretsPrefix: 'auth0-events',
  memorySize: 256,
  maxWaitMs: 30_000,
};

function deployer(clock: { now: number; sleeps: number[] }) {
  return new LambdaActionDeployer(
    {
      lambda: new LambdaClient({ region: 'eu-west-1' }),
      iam: new IAMClient({ region: 'eu-west-1' }),
      artifacts: { get: async () => BUNDLE },
      host: async () => Buffer.from('export const handler = 1;'),
      now: () => clock.now,
      sleep: async (ms) => {
        clock.sleeps.push(ms);
        clock.now += ms;
      },
    },
    PROPS,
  );
}

describe('LambdaActionDeployer waits', () => {
  beforeEach(() => {
    lambdaMock.reset();
    iamMock.reset();
    iamMock.on(GetRoleCommand).rejects(new NoSuchEntityException({ message: 'no role', $metadata: {} }));
    iamMock.on(CreateRoleCommand).resolves({
      Role: {
        RoleName: 'r',
        Arn: 'arn:aws:iam::111111111111:role/a0b-test-x',
        Path: '/',
        RoleId: 'id',
        CreateDate: new Date(),
      },
    });
    iamMock.on(PutRolePolicyCommand).resolves({});
    lambdaMock.on(PublishVersionCommand).resolves({ Version: '1' });
    lambdaMock.on(CreateAliasCommand).resolves({});
    lambdaMock.on(PutFunctionEventInvokeConfigCommand).resolves({});
    lambdaMock.on(AddPermissionCommand).resolves({});
  });

  it('retries CreateFunction while the new role propagates, then waits for Pending to end before publishing', async () => {
    // GIVEN a role Lambda cannot assume at first, and a function that is Pending twice
    const clock = { now: 0, sleeps: [] as number[] };
    lambdaMock
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'none', $metadata: {} }))
      .resolvesOnce({ Configuration: { State: 'Pending' } })
      .resolvesOnce({ Configuration: { State: 'Pending' } })
      .resolves({ Configuration: { State: 'Active', LastUpdateStatus: 'Successful' } });
    lambdaMock
      .on(CreateFunctionCommand)
      .rejectsOnce(
        new InvalidParameterValueException({
          message: 'The role defined for the function cannot be assumed by Lambda.',
          $metadata: {},
        }),
      )
      .resolves({});

    // WHEN it is deployed
    await deployer(clock).deploy(DEPLOYMENT);

    // THEN CreateFunction was tried again, Pending was waited out, and only then a version published
    expect(lambdaMock.commandCalls(CreateFunctionCommand)).toHaveLength(2);
    expect(lambdaMock.commandCalls(GetFunctionCommand)).toHaveLength(4);
    expect(clock.sleeps).toEqual([1000, 250, 500]);
    expect(lambdaMock.commandCalls(PublishVersionCommand)).toHaveLength(1);
  });

  it('gives up, naming the state, when the function stays Pending past the deadline', async () => {
    const clock = { now: 0, sleeps: [] as number[] };
    lambdaMock
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'none', $metadata: {} }))
      .resolves({ Configuration: { State: 'Pending' } });
    lambdaMock.on(CreateFunctionCommand).resolves({});

    await expect(deployer(clock).deploy(DEPLOYMENT)).rejects.toThrow(
      new ActionDeployError(
        'The function a0b-test-0199a3f0-0000-7000-8000-000000000001 was still Pending when the deploy gave up waiting; deploy again',
      ),
    );
    expect(clock.now).toBeGreaterThanOrEqual(30_000);
    expect(Math.max(...clock.sleeps)).toBe(2000);
    expect(lambdaMock.commandCalls(PublishVersionCommand)).toHaveLength(0);
  });

  it('reports a function Lambda could not prepare, with its reason', async () => {
    const clock = { now: 0, sleeps: [] as number[] };
    lambdaMock
      .on(GetFunctionCommand)
      .rejectsOnce(new ResourceNotFoundException({ message: 'none', $metadata: {} }))
      .resolves({
        Configuration: { State: 'Failed', StateReasonCode: 'InternalError', StateReason: 'oops' },
      });
    lambdaMock.on(CreateFunctionCommand).resolves({});

    await expect(deployer(clock).deploy(DEPLOYMENT)).rejects.toThrow(
      /could not prepare .* \(InternalError: oops\)/,
    );
  });
});
