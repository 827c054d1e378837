/**
 * The management function's share of the operator's routes (a0bridge quarantine, replay, status): its
 * environment, and grants that reach exactly the quarantine, the quarantine's records, the ingest token, one
 * key at a time of the dedup table, this archive's replays, the dead-letter queues, this stack's alarms and the
 * ingest metrics.
 */
import type { CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnRule } from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, type Resource, type Synthesized, synthesize } from './support';

const alarmNameOf = (alarm: { node: { defaultChild?: unknown } }) =>
  (alarm.node.defaultChild as CfnAlarm).alarmName as string;

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

describe('the management function serves the operator’s routes', () => {
  let synth: Synthesized;
  let ids: Record<
    'fn' | 'role' | 'quarantine' | 'bucket' | 'token' | 'dedup' | 'archive' | 'url' | 'bus',
    string
  >;
  beforeAll(() => {
    synth = synthesize();
    const t = synth.template;
    ids = {
      fn: logicalIdOf(t, 'AWS::Lambda::Function', 'ModulesFunction'),
      role: logicalIdOf(t, 'AWS::IAM::Role', 'ModulesFunctionRole'),
      quarantine: logicalIdOf(t, 'AWS::SQS::Queue', 'IngestQuarantineQueue'),
      bucket: logicalIdOf(t, 'AWS::S3::Bucket', 'IngestClaimCheckBucket'),
      token: logicalIdOf(t, 'AWS::SecretsManager::Secret', 'IngestTokenSecret'),
      dedup: logicalIdOf(t, 'AWS::DynamoDB::GlobalTable', 'IngestDedupTable'),
      archive: logicalIdOf(t, 'AWS::Events::Archive', 'BusArchive'),
      url: logicalIdOf(t, 'AWS::Lambda::Url', 'IngestFunctionFunctionUrl'),
      bus: logicalIdOf(t, 'AWS::Events::EventBus', 'BusEventBus'),
    };
  });

  const statements = (): Statement[] =>
    Object.values(synth.template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        ((policy as Resource).Properties.Roles as { Ref: string }[]).some((r) => r.Ref === ids.role),
      )
      .flatMap(
        (policy) => ((policy as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
  const actionsOf = (statement: Statement) => [statement.Action].flat();
  const on = (id: string) => statements().filter((s) => JSON.stringify(s.Resource).includes(`"${id}"`));
  const arnPattern = (service: string, resource: string) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  });

  it('is told where everything is, and which rule each route has', () => {
    const variables = synth.template.toJSON().Resources[ids.fn].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      OPERATIONS_QUARANTINE_QUEUE_URL: { Ref: ids.quarantine },
      OPERATIONS_CLAIM_CHECK_BUCKET: { Ref: ids.bucket },
      OPERATIONS_INGEST_URL: { 'Fn::GetAtt': [ids.url, 'FunctionUrl'] },
      OPERATIONS_TOKEN_SECRET_ID: { Ref: ids.token },
      OPERATIONS_DEDUP_TABLE: { Ref: ids.dedup },
      OPERATIONS_BUS_ARN: { 'Fn::GetAtt': [ids.bus, 'Arn'] },
      OPERATIONS_ARCHIVE_ARN: { 'Fn::GetAtt': [ids.archive, 'Arn'] },
      OPERATIONS_ARCHIVE_RETENTION_DAYS: '30',
      OPERATIONS_REPLAY_PREFIX: 'auth0-events-replay-',
      OPERATIONS_ALARM_PREFIX: 'Test-',
      OPERATIONS_ALARMS: synth.stack.operations.alarms
        .map((alarm) => alarmNameOf(alarm).slice('Test-'.length))
        .join(','),
      OPERATIONS_METRICS_NAMESPACE: 'Auth0EventBridge',
    });
    // Every alarm of the stack, those the stack added after the operations' own too
    expect(variables.OPERATIONS_ALARMS.split(',')).toEqual(
      expect.arrayContaining([
        'ingest-errors',
        'quarantine-depth',
        'dlq-failed-logins',
        'modules-errors',
        'actions-dlq',
      ]),
    );
    // Every rule has its usual name, <bus name>-<route id>, which the function derives: none is spelt out.
    expect(variables.OPERATIONS_ROUTE_RULES).toBe(','.repeat(synth.stack.routes.routes.length - 1));
    for (const route of synth.stack.routes.routes) {
      expect((route.rule.node.defaultChild as CfnRule).name).toBe(`auth0-events-${route.definition.id}`);
    }
  });

  it('names each rule CloudFormation names itself, when the usual name would pass 64 characters', () => {
    const long = synthesize({ busName: 'b'.repeat(60) }, 'LongBus');
    const fn = logicalIdOf(long.template, 'AWS::Lambda::Function', 'ModulesFunction');
    const rules =
      long.template.toJSON().Resources[fn].Properties.Environment.Variables.OPERATIONS_ROUTE_RULES;
    const text = JSON.stringify(rules);
    for (const route of long.stack.routes.routes) {
      const ref = JSON.stringify({ Ref: long.stack.getLogicalId(route.rule.node.defaultChild as CfnRule) });
      // `<60 b>-mfa` is 64 characters, its usual name; the others are CloudFormation's
      if (route.definition.id === 'mfa') expect(text).not.toContain(ref);
      else expect(text).toContain(ref);
    }
  });

  it('keeps its environment within the 4 KB Lambda allows, counting every reference at its longest', () => {
    const template = synth.template.toJSON();
    const variables = template.Resources[ids.fn as string].Properties.Environment.Variables as Record<
      string,
      unknown
    >;
    // Pseudo parameters, and what a Ref or GetAtt of each resource type resolves to, at their longest
    // (names CloudFormation generates are at most 64 to 128 characters).
    const pseudo: Record<string, number> = { 'AWS::Partition': 10, 'AWS::Region': 14, 'AWS::AccountId': 12 };
    const byType: Record<string, number> = {
      'AWS::Events::Rule': 64,
      'AWS::SQS::Queue': 140,
      'AWS::S3::Bucket': 63,
      'AWS::SecretsManager::Secret': 150,
      'AWS::DynamoDB::GlobalTable': 128,
      'AWS::DynamoDB::Table': 128,
      'AWS::Events::EventBus': 120,
      'AWS::Events::Archive': 110,
      'AWS::Lambda::Url': 80,
      'AWS::IAM::ManagedPolicy': 160,
    };
    const longestOf = (id: string) => {
      const type = template.Resources[id]?.Type as string;
      const length = byType[type];
      if (length === undefined) throw new Error(`no longest length for ${type}`);
      return length;
    };
    const size = (value: unknown): number => {
      if (typeof value === 'string') return Buffer.byteLength(value);
      const v = value as Record<string, unknown>;
      if ('Ref' in v) return pseudo[v.Ref as string] ?? longestOf(v.Ref as string);
      if ('Fn::GetAtt' in v) return longestOf((v['Fn::GetAtt'] as string[])[0] as string);
      if ('Fn::Join' in v) {
        const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
        return parts.reduce<number>(
          (total, part) => total + size(part),
          separator.length * (parts.length - 1),
        );
      }
      throw new Error(`unexpected ${JSON.stringify(value)}`);
    };
    const total = Object.entries(variables).reduce(
      (sum, [name, value]) => sum + name.length + size(value),
      0,
    );
    expect(total).toBeLessThan(4096);
  });

  it('receives, hides and deletes quarantine messages, and reads their records under quarantine/ only', () => {
    expect(on(ids.quarantine).flatMap(actionsOf).sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:ReceiveMessage',
    ]);
    expect(on(ids.bucket)).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/quarantine/*']] },
      },
    ]);
  });

  it('reads the ingest token, and on the dedup table reads and deletes single keys only', () => {
    expect(on(ids.token).flatMap(actionsOf).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(on(ids.dedup).flatMap(actionsOf).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem']);
  });

  it('starts replays of this archive under its prefix only, and reads only those', () => {
    const replays = arnPattern('events', 'replay/auth0-events-replay-*');
    const start = statements().filter((s) => actionsOf(s).includes('events:StartReplay'));
    const describe = statements().filter((s) => actionsOf(s).includes('events:DescribeReplay'));
    expect(start).toEqual([
      {
        Effect: 'Allow',
        Action: 'events:StartReplay',
        Resource: [{ 'Fn::GetAtt': [ids.archive, 'Arn'] }, replays],
      },
    ]);
    expect(describe).toEqual([{ Effect: 'Allow', Action: 'events:DescribeReplay', Resource: replays }]);
    // No other replay, archive or bus action (no CancelReplay, no PutEvents)
    const eventsActions = statements()
      .flatMap(actionsOf)
      .filter((a) => /Replay|Archive|PutEvents/.test(a));
    expect(eventsActions.sort()).toEqual(['events:DescribeReplay', 'events:StartReplay']);
  });

  it('reads this stack’s alarms, the ingest metrics, and the depth of every dead-letter queue', () => {
    expect(statements().filter((s) => actionsOf(s).some((a) => a.startsWith('cloudwatch:')))).toEqual([
      {
        Effect: 'Allow',
        Action: 'cloudwatch:DescribeAlarms',
        Resource: arnPattern('cloudwatch', 'alarm:Test-*'),
      },
      { Effect: 'Allow', Action: 'cloudwatch:GetMetricData', Resource: '*' },
    ]);
    const dlqs = [
      ...[...synth.stack.routes.deadLetterQueues.values()].map((queue) => queue.node.defaultChild),
      synth.stack.actions.deadLetterQueue.node.defaultChild,
    ].map((queue) => ({ 'Fn::GetAtt': [synth.stack.getLogicalId(queue as never), 'Arn'] }));
    const depth = statements().filter(
      (s) => actionsOf(s).includes('sqs:GetQueueUrl') && !JSON.stringify(s).includes(ids.quarantine),
    );
    expect(depth).toHaveLength(1);
    expect(actionsOf(depth[0] as Statement).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl']);
    expect(depth[0]?.Resource).toEqual(expect.arrayContaining(dlqs));
    expect(depth[0]?.Resource).toHaveLength(dlqs.length);
  });
});
