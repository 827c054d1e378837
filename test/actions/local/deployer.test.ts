import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExecutionWriter } from '../../../lambdas/actions/ports';
import {
  LocalActionDeployer,
  type LocalActionDeployerOptions,
  queueNameFor,
} from '../../../local/actions/deployer';
import { recordingLogger } from './support';

const ACTION = '0190c3e2-7a1b-7c2d-8e3f-0123456789ab';
const DLQ_ARN = 'arn:aws:sqs:eu-west-1:123456789012:auth0-events-actions-dlq';
const clients = { sqs: new SQSClient({}), eventBridge: new EventBridgeClient({}) };
afterAll(() => {
  for (const client of Object.values(clients)) client.destroy();
});

const unused = () => Promise.reject(new Error('not expected'));
const options: LocalActionDeployerOptions = {
  ...clients,
  artifacts: { get: unused },
  actionSecrets: { readSet: unused },
  moduleSecrets: { readSet: unused },
  executions: { claim: unused, complete: unused, release: unused, put: unused } as ExecutionWriter,
  logger: recordingLogger(),
  busName: 'auth0-events',
  emitSource: 'auth0.actions',
  queuePrefix: 'auth0-events-action-',
  dlqArn: DLQ_ARN,
  bundleDirectory: '/nonexistent',
};

describe('queueNameFor', () => {
  it('joins the prefix and the action id when that is a valid queue name', () => {
    expect(queueNameFor('auth0-events-action-', ACTION)).toBe(`auth0-events-action-${ACTION}`);
  });

  it('hashes ids that are too long or hold other characters, into distinct names of at most 80', () => {
    const long = queueNameFor('auth0-events-action-', 'x'.repeat(70));
    const dotted = queueNameFor('auth0-events-action-', 'a.b');
    const slashed = queueNameFor('auth0-events-action-', 'a/b');

    expect(long).toHaveLength(80);
    expect(long).toMatch(/^auth0-events-action-x+_[0-9a-f]{16}$/);
    expect(dotted).toMatch(/^auth0-events-action-a_b_[0-9a-f]{16}$/);
    expect(dotted).not.toBe(slashed);
    expect(queueNameFor('auth0-events-action-', 'a.b')).toBe(dotted);
  });
});

describe('LocalActionDeployer.targetFor', () => {
  it("targets the action's queue in the DLQ's region and account, with the DLQ and one retry fewer than receives", () => {
    const deployer = new LocalActionDeployer({ ...options, maxReceiveCount: 3 });

    expect(deployer.targetFor(ACTION)).toEqual({
      id: 'local-action-queue',
      arn: `arn:aws:sqs:eu-west-1:123456789012:auth0-events-action-${ACTION}`,
      maxEventAgeSeconds: 3600,
      maxRetryAttempts: 2,
      deadLetterArn: DLQ_ARN,
    });
  });

  it('refuses a DLQ that is not an SQS queue ARN, and a maxReceiveCount SQS would not take', () => {
    expect(() => new LocalActionDeployer({ ...options, dlqArn: 'auth0-events-actions-dlq' })).toThrow(
      /dlqArn must be an SQS queue ARN .*got auth0-events-actions-dlq/,
    );
    expect(() => new LocalActionDeployer({ ...options, maxReceiveCount: 0 })).toThrow(
      /maxReceiveCount must be an integer from 1 to 186, got 0/,
    );
  });
});
