import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Validations } from 'aws-cdk-lib';
import { CfnQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { Auth0EventBridgeStack } from '../../lib/auth0-event-bridge-stack';
import type { RouteDefinition } from '../../lib/routes/route-model';
import { TEST_ENV, testApp } from './support';

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hook-AbCdEf';
/** A route per target type, so every construct the routes can create is checked. */
const EVERY_TARGET: RouteDefinition[] = [
  {
    id: 'q',
    description: 'q',
    match: { codes: ['f'] },
    targets: [{ type: 'sqs' }, { type: 'sqs', queueArn: 'arn:aws:sqs:eu-west-1:111111111111:x' }],
  },
  { id: 't', description: 't', match: { codes: ['f'] }, targets: [{ type: 'sns' }] },
  { id: 'l', description: 'l', match: { codes: ['f'] }, targets: [{ type: 'logs' }] },
  {
    id: 'f',
    description: 'f',
    match: { codes: ['f'] },
    targets: [{ type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:x' }],
  },
  {
    id: 'b',
    description: 'b',
    match: { codes: ['f'] },
    targets: [{ type: 'eventBus', eventBusArn: 'arn:aws:events:us-east-1:222222222222:event-bus/x' }],
  },
  {
    id: 'a',
    description: 'a',
    match: { codes: ['f'] },
    targets: [
      {
        type: 'apiDestination',
        endpoint: 'https://example.com/x',
        auth: { kind: 'basic', username: 'u', secretArn: SECRET },
      },
    ],
  },
];

const newApp = () => testApp();

function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  const found: { path: string; id: string; reason: string }[] = [];
  const visit = (construct: IConstruct) => {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
    for (const child of construct.node.children) visit(child);
  };
  visit(root);
  return found;
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning in the default stack', () => {
    const stack = new Auth0EventBridgeStack(newApp(), 'Nag', { env: TEST_ENV });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('finds none with every target type and an alarm email either', () => {
    const stack = new Auth0EventBridgeStack(newApp(), 'NagAll', {
      env: TEST_ENV,
      routes: EVERY_TARGET,
      alarmEmail: 'ops@example.com',
    });
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(
      report.violations.map((v) => `${v.severity} ${v.ruleName} ${v.violatingResources[0]?.constructPath}`),
    ).toEqual([]);
  });

  it('passes synth as bin/app.ts runs it: cdk-nag plus CloudFormation schema validation as errors', () => {
    const app = testApp({ cfnValidation: true });
    new Auth0EventBridgeStack(app, 'NagApp', {
      env: TEST_ENV,
      routes: EVERY_TARGET,
      alarmEmail: 'ops@example.com',
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const assembly = app.synth();
    const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((plugin: { violations: unknown[] }) => plugin.violations)).toEqual(
      [],
    );
  });

  it('does fail synth on a cdk-nag finding or a schema error, so the checks above can fail', () => {
    const nagApp = newApp();
    new Queue(new Stack(nagApp, 'Bad', { env: TEST_ENV }), 'Plain');
    Validations.of(nagApp).addPlugins(new AwsSolutionsChecks(nagApp));
    expect(() => nagApp.synth()).toThrow(/AwsSolutions-SQS3/);

    const schemaApp = testApp({ cfnValidation: true });
    new CfnQueue(new Stack(schemaApp, 'Bad', { env: TEST_ENV }), 'TooLong', {
      messageRetentionPeriod: 15 * 86_400,
    });
    expect(() => schemaApp.synth()).toThrow(/MessageRetentionPeriod/);
  });

  it('acknowledges only known findings, each on its own resource, each with a specific reason', () => {
    const stack = new Auth0EventBridgeStack(newApp(), 'NagAcks', { env: TEST_ENV, routes: EVERY_TARGET });
    const acks = acknowledgements(stack);
    const prefix = stack.actions.namePrefix;
    const arn = (service: string, resource: string) =>
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:${service}:${service === 'iam' ? '' : '<AWS::Region>'}:<AWS::AccountId>:${resource}]`;
    const rules = arn('events', `rule/<BusEventBus016AB1B4>/${prefix}*`);
    for (const ack of acks) {
      expect(ack.path, ack.id).not.toBe('NagAcks');
      expect(ack.reason.length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(80);
    }
    expect(
      acks
        .map((ack) => `${ack.path.replace('NagAcks/', '')} ${ack.id.replace(/<\w+\.Arn>/, '<bucket>')}`)
        .sort(),
    ).toEqual(
      [
        // The action runner: functions, roles and rules it creates at run time under its prefix.
        `Actions/ActionBoundary ${arn('logs', `log-group:/aws/lambda/${prefix}*`)}`,
        `Actions/ActionBoundary ${arn('secretsmanager', 'secret:auth0-events/actions/*')}`,
        `Actions/ActionBoundary ${arn('secretsmanager', 'secret:auth0-events/modules/*')}`,
        'Actions/Cleanup/Function AwsSolutions-L1',
        'Actions/Cleanup/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
        `Actions/Cleanup/FunctionRole/DefaultPolicy ${rules}`,
        `Actions/Cleanup/FunctionRole/DefaultPolicy ${arn('iam', `role/${prefix}*`)}`,
        `Actions/Cleanup/FunctionRole/DefaultPolicy ${arn('lambda', `function:${prefix}*`)}`,
        'Actions/Cleanup/ProviderRole/DefaultPolicy AwsSolutions-IAM5[Resource::<bucket>:*]',
        'Actions/DeadLetterQueue AwsSolutions-SQS3',
        'Actions/ManagementPolicy AwsSolutions-IAM5[Resource::*]',
        `Actions/ManagementPolicy ${rules}`,
        `Actions/ManagementPolicy ${arn('iam', `role/${prefix}*`)}`,
        `Actions/ManagementPolicy ${arn('lambda', `function:${prefix}*`)}`,
        'Modules/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::<bucket>/*]',
        'Ingest/ClaimCheckBucket AwsSolutions-S1',
        'Ingest/Function AwsSolutions-L1',
        'Ingest/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Action::s3:Abort*]',
        'Ingest/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::<bucket>/claim-check/*]',
        'Ingest/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::<bucket>/quarantine/*]',
        'Ingest/QuarantineQueue AwsSolutions-SQS3',
        'Ingest/TokenSecret AwsSolutions-SMG4',
        'Modules/ArtifactsBucket AwsSolutions-S1',
        'Modules/Function AwsSolutions-L1',
        'Modules/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Action::s3:Abort*]',
        'Modules/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::<bucket>/modules/artifacts/*]',
        'Modules/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:auth0-events/actions/*]',
        'Modules/FunctionRole/DefaultPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:auth0-events/modules/*]',
        // The operator's routes on the management function (a0bridge quarantine, replay, status).
        'Modules/OperationsPolicy AwsSolutions-IAM5[Resource::*]',
        'Modules/OperationsPolicy AwsSolutions-IAM5[Resource::<bucket>/quarantine/*]',
        `Modules/OperationsPolicy ${arn('cloudwatch', 'alarm:NagAcks-*')}`,
        `Modules/OperationsPolicy ${arn('events', 'replay/auth0-events-replay-*')}`,
        // Routes whose targets include no created queue: their DLQ is no queue's redrive target.
        ...['a', 'b', 'f', 'l', 't'].map((route) => `Routes/${route}/DeadLetterQueue AwsSolutions-SQS3`),
      ].sort(),
    );
  });
});
