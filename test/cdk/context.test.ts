import { readFileSync } from 'node:fs';
import { App, RemovalPolicy } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, settingsFromContext } from '../../lib/context';
import { CDK_JSON_CONTEXT } from './support';

const settings = (context: Record<string, unknown>) =>
  settingsFromContext(new App({ context: { ...CDK_JSON_CONTEXT, ...context } }).node);

describe('app context (npx cdk deploy -c key=value)', () => {
  it('leaves every prop at its default when no key is given', () => {
    const { stackName, props } = settings({});
    expect(stackName).toBe('Auth0EventBridge');
    expect(Object.values(props).filter((value) => value !== undefined)).toEqual([]);
  });

  it('maps -c strings and cdk.json values to typed props', () => {
    const { stackName, props } = settings({
      stackName: 'Auth0Prod',
      busName: 'prod-auth0',
      archiveRetentionDays: '90',
      reservedConcurrency: 20,
      dataRemovalPolicy: 'destroy',
      logRetentionDays: '365',
      alarmEmail: 'ops@example.com',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ops',
    });
    expect(stackName).toBe('Auth0Prod');
    expect(props).toMatchObject({
      busName: 'prod-auth0',
      archiveRetentionDays: 90,
      reservedConcurrency: 20,
      dataRemovalPolicy: RemovalPolicy.DESTROY,
      logRetention: 365,
      alarmEmail: 'ops@example.com',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:ops',
    });
  });

  it.each([
    [
      { archiveRetentionDays: 'thirty' },
      'Context "archiveRetentionDays" must be a whole number, got "thirty"',
    ],
    [{ reservedConcurrency: '-5' }, 'Context "reservedConcurrency" must be a whole number, got "-5"'],
    [{ dataRemovalPolicy: 'keep' }, 'Context "dataRemovalPolicy" must be "retain" or "destroy", got "keep"'],
    [{ logRetentionDays: '10' }, 'Context "logRetentionDays" must be one of 1, 3, 5, 7, 14, 30'],
    [{ busname: 'x' }, 'Unknown context key "busname"; did you mean "busName"?'],
    [{ alarmEmial: 'x' }, 'Unknown context key "alarmEmial"; did you mean "alarmEmail"?'],
  ])('rejects %j with a message naming the key', (context, message) => {
    expect(() => settings(context)).toThrow(message);
  });

  it('ignores context keys that belong to the CDK or to someone else', () => {
    expect(() =>
      settings({ 'aws:cdk:bundling-stacks': [], '@aws-cdk/core:foo': true, team: 'identity' }),
    ).not.toThrow();
  });

  it('reads only keys that the README documents', () => {
    const docs = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const key of Object.keys(CONTEXT_KEYS))
      expect(docs, key).toMatch(new RegExp(`^\\| \`${key}\` +\\|`, 'm'));
  });
});
