import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS_ENVIRONMENT } from '../../lambdas/actions/aws/config';
import { ActionRunner, type ActionRunnerProps } from '../../lib/action-runner';
import {
  CDK_JSON_CONTEXT,
  logicalIdOf,
  type Resource,
  type Synthesized,
  synthesize,
  TEST_ENV,
  testApp,
} from './support';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };

/**
 * A template value as text: `<AWS::Partition>` for pseudo parameters, `<Id>` for a Ref, `<Id.Arn>` for a
 * GetAtt (as cdk-nag writes them), joins joined. ARNs then compare as the strings they become at deploy time.
 */
function render(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(render);
  if (value && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Ref' in object) return `<${object.Ref}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, render(inner)]));
  }
  return value;
}

const ARN = 'arn:<AWS::Partition>';
const REGION_ACCOUNT = '<AWS::Region>:<AWS::AccountId>';

describe('ActionRunner in the stack', () => {
  let synth: Synthesized;
  let prefix: string;
  let ids: Record<
    'bus' | 'table' | 'queue' | 'boundary' | 'managementRole' | 'managementFn' | 'artifacts',
    string
  >;
  beforeAll(() => {
    synth = synthesize();
    prefix = synth.stack.actions.namePrefix;
    const t = synth.template;
    ids = {
      bus: logicalIdOf(t, 'AWS::Events::EventBus', 'BusEventBus'),
      table: logicalIdOf(t, 'AWS::DynamoDB::GlobalTable', 'ActionsExecutionsTable'),
      queue: logicalIdOf(t, 'AWS::SQS::Queue', 'ActionsDeadLetterQueue'),
      boundary: logicalIdOf(t, 'AWS::IAM::ManagedPolicy', 'ActionsActionBoundary'),
      managementRole: logicalIdOf(t, 'AWS::IAM::Role', 'ModulesFunctionRole'),
      managementFn: logicalIdOf(t, 'AWS::Lambda::Function', 'ModulesFunction'),
      artifacts: logicalIdOf(t, 'AWS::S3::Bucket', 'ModulesArtifactsBucket'),
    };
  });

  /** Every statement of every IAM::Policy on the management function's role, rendered. */
  const managementStatements = (): Statement[] =>
    Object.values(synth.template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        ((policy as Resource).Properties.Roles as { Ref: string }[]).some(
          (r) => r.Ref === ids.managementRole,
        ),
      )
      .flatMap(
        (policy) =>
          (render((policy as Resource).Properties.PolicyDocument) as { Statement: Statement[] }).Statement,
      );
  const bySid = (statements: Statement[], sid: string) =>
    statements.find((statement) => statement.Sid === sid);

  it('keeps executions in an on-demand, encrypted table keyed pk/sk, with TTL on expires_at and PITR, retained', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('dead-letters into an encrypted, TLS-only queue that only the bus’s binding rules may send to', () => {
    synth.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 86_400,
    });
    const policy = Object.values(synth.template.findResources('AWS::SQS::QueuePolicy')).find((resource) =>
      JSON.stringify(resource).includes(ids.queue),
    ) as Resource;
    const statements = (render(policy.Properties.PolicyDocument) as { Statement: Statement[] }).Statement;
    expect(statements).toEqual([
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
      {
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: `<${ids.queue}.Arn>`,
        Condition: {
          ArnLike: { 'aws:SourceArn': `${ARN}:events:${REGION_ACCOUNT}:rule/<${ids.bus}>/${prefix}*` },
        },
      },
    ]);
  });

  it('lets the management function touch only functions, roles and rules under its prefix, roles only with the boundary', () => {
    const statements = managementStatements();
    const functions = `${ARN}:lambda:${REGION_ACCOUNT}:function:${prefix}*`;
    const roles = `${ARN}:iam::<AWS::AccountId>:role/${prefix}*`;
    expect(bySid(statements, 'ActionFunctions')).toEqual({
      Sid: 'ActionFunctions',
      Effect: 'Allow',
      Action: [
        'lambda:AddPermission',
        'lambda:CreateAlias',
        'lambda:CreateFunction',
        'lambda:DeleteFunction',
        'lambda:GetFunction',
        'lambda:PublishVersion',
        'lambda:PutFunctionEventInvokeConfig',
        'lambda:RemovePermission',
        'lambda:UpdateAlias',
        'lambda:UpdateFunctionCode',
        'lambda:UpdateFunctionConfiguration',
      ],
      Resource: functions,
    });
    expect(bySid(statements, 'ActionRolesUnderTheBoundary')).toEqual({
      Sid: 'ActionRolesUnderTheBoundary',
      Effect: 'Allow',
      Action: ['iam:CreateRole', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'],
      Resource: roles,
      Condition: { StringEquals: { 'iam:PermissionsBoundary': `<${ids.boundary}>` } },
    });
    expect(bySid(statements, 'ActionRoles')).toMatchObject({
      Action: ['iam:DeleteRole', 'iam:GetRole'],
      Resource: roles,
    });
    expect(bySid(statements, 'PassActionRolesToLambda')).toEqual({
      Sid: 'PassActionRolesToLambda',
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: roles,
      Condition: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
    });
    expect(bySid(statements, 'BindingRules')).toMatchObject({
      Action: [
        'events:DeleteRule',
        'events:DescribeRule',
        'events:ListTargetsByRule',
        'events:PutRule',
        'events:PutTargets',
        'events:RemoveTargets',
        'events:TagResource',
      ],
      Resource: `${ARN}:events:${REGION_ACCOUNT}:rule/<${ids.bus}>/${prefix}*`,
    });
    expect(bySid(statements, 'ListRules')).toMatchObject({ Action: 'events:ListRules', Resource: '*' });
    // AND it reads (never writes) the executions and the DLQ's depth
    const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes(ids.table));
    expect(
      onTable
        .flatMap((s) => [s.Action].flat())
        .every((a) => /^dynamodb:(Get|Query|Scan|Batch(Get)|Describe|ConditionCheck)/.test(a)),
    ).toBe(true);
    expect(statements.filter((s) => JSON.stringify(s.Resource).includes(ids.queue))).toContainEqual(
      expect.objectContaining({ Action: 'sqs:GetQueueAttributes', Resource: `<${ids.queue}.Arn>` }),
    );
    // (a0bridge status also finds the DLQ by name and reads its depth: still reads only)
    expect(
      statements
        .filter((s) => JSON.stringify(s.Resource).includes(ids.queue))
        .flatMap((s) => [s.Action].flat())
        .every((a) => a === 'sqs:GetQueueAttributes' || a === 'sqs:GetQueueUrl'),
    ).toBe(true);
    // AND no lambda:, iam: or events: action on anything else (the archive replays of a0bridge replay aside:
    // test/cdk/management-operations.test.ts)
    for (const statement of statements) {
      const actions = [statement.Action].flat();
      if (actions.every((a) => /^events:(StartReplay|DescribeReplay)$/.test(a))) continue;
      if (actions.some((a) => /^(lambda|iam|events):/.test(a))) {
        expect([
          functions,
          roles,
          `${ARN}:events:${REGION_ACCOUNT}:rule/<${ids.bus}>/${prefix}*`,
          '*',
        ]).toContain(statement.Resource);
      }
    }
  });

  it('caps every action role with a boundary: its secrets, the executions table, emitting with its source, the DLQ, its logs', () => {
    const boundary = synth.template.toJSON().Resources[ids.boundary] as Resource;
    const document = render(boundary.Properties.PolicyDocument) as { Statement: Statement[] };
    expect(document.Statement).toEqual([
      {
        Sid: 'ActionAndModuleSecrets',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: [
          `${ARN}:secretsmanager:${REGION_ACCOUNT}:secret:auth0-events/actions/*`,
          `${ARN}:secretsmanager:${REGION_ACCOUNT}:secret:auth0-events/modules/*`,
        ],
      },
      {
        Sid: 'Executions',
        Effect: 'Allow',
        Action: [
          'dynamodb:BatchWriteItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
        ],
        Resource: `<${ids.table}.Arn>`,
      },
      {
        Sid: 'EmitEvents',
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: `<${ids.bus}.Arn>`,
        Condition: { StringEquals: { 'events:source': 'auth0.actions' } },
      },
      {
        Sid: 'DeadLetters',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: `<${ids.queue}.Arn>`,
      },
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: `${ARN}:logs:${REGION_ACCOUNT}:log-group:/aws/lambda/${prefix}*`,
      },
    ]);
    expect(JSON.stringify(document)).not.toContain('ingest');
  });

  it('gives the management function the whole actions environment, and the cleanup its part', () => {
    const variables = synth.template.toJSON().Resources[ids.managementFn].Properties.Environment.Variables;
    const expected = Object.values(ACTIONS_ENVIRONMENT).filter(
      (name) => name !== ACTIONS_ENVIRONMENT.secretsKmsKeyArn,
    );
    expect(Object.keys(variables)).toEqual(expect.arrayContaining(expected));
    expect(variables).toMatchObject({
      ACTIONS_FUNCTION_PREFIX: prefix,
      ACTIONS_ROLE_PREFIX: prefix,
      ACTIONS_RULE_PREFIX: prefix,
      ACTIONS_EMIT_SOURCE: 'auth0.actions',
      ACTIONS_LOG_EVENT_SOURCE: 'auth0.logs',
      ACTIONS_TIMEOUT_SECONDS: '20',
      ACTIONS_EXECUTION_TTL_DAYS: '10',
      ACTIONS_SECRETS_PREFIX: 'auth0-events',
      ACTIONS_PERMISSIONS_BOUNDARY_ARN: { Ref: ids.boundary },
      ACTIONS_EXECUTIONS_TABLE: { Ref: ids.table },
      ACTIONS_DLQ_ARN: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      ACTIONS_BUS_NAME: { Ref: ids.bus },
    });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          ACTIONS_FUNCTION_PREFIX: prefix,
          ACTIONS_ROLE_PREFIX: prefix,
          ACTIONS_RULE_PREFIX: prefix,
          ACTIONS_BUS_NAME: { Ref: ids.bus },
          NODE_OPTIONS: '--enable-source-maps',
        },
      },
    });
    // The host asset's object, exactly, is what the management function may read of the assets bucket.
    const host = bySid(managementStatements(), 'ReadActionHost');
    expect(host).toMatchObject({ Action: 's3:GetObject' });
    // (`.zip` here, where bundling is skipped; `.mjs` once bundled, below.)
    expect(host?.Resource).toMatch(/^arn:<AWS::Partition>:s3:::[^*]+\/[0-9a-f]{64}\.(mjs|zip)$/);
  });

  it('cleans up on stack deletion, before the bus, the boundary and the DLQ go', () => {
    const resources = synth.template.findResources('Custom::ActionRunnerCleanup');
    expect(Object.keys(resources)).toHaveLength(1);
    const cleanup = Object.values(resources)[0] as Resource & { DependsOn: string[] };
    expect(cleanup.DependsOn).toEqual(expect.arrayContaining([ids.bus, ids.boundary, ids.queue]));
    expect(cleanup.Properties).toMatchObject({ Prefix: prefix, BusName: { Ref: ids.bus } });
  });

  it('alarms on any event in the actions DLQ', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-actions-dlq',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
    });
  });

  it('puts no secret value anywhere: secrets are named by prefix, never read or resolved at deploy', () => {
    const json = JSON.stringify(synth.template.toJSON());
    expect(json).not.toMatch(/"SecretString"/);
    expect(json).not.toContain('{{resolve:');
    const variables = synth.template.toJSON().Resources[ids.managementFn].Properties.Environment.Variables;
    for (const [name, value] of Object.entries(variables)) {
      if (name.startsWith('ACTIONS_') && typeof value === 'string') {
        expect(value, name).toMatch(/^[A-Za-z0-9._:/*-]+$/);
        expect(value.length, name).toBeLessThan(80);
      }
    }
  });

  it('takes the timeout and execution retention from the stack props', () => {
    const { template } = synthesize({ actionTimeoutSeconds: 5, actionExecutionTtlDays: 30 }, 'Tuned');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { ACTIONS_TIMEOUT_SECONDS: '5', ACTIONS_EXECUTION_TTL_DAYS: '30' } },
    });
  });
});

/** The runner alone, with a plain management function: no NodejsFunction to bundle but its own. */
function runnerStack(props: Partial<ActionRunnerProps> = {}, app: App = testApp()) {
  const stack = new Stack(app, 'Runner', { env: TEST_ENV });
  const bus = new EventBus(stack, 'Bus', { eventBusName: 'auth0-events' });
  const artifactsBucket = new Bucket(stack, 'Artifacts');
  const fn = new LambdaFunction(stack, 'Management', {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler = async () => {};'),
  });
  const runner = new ActionRunner(stack, 'Actions', {
    eventBus: bus,
    management: {
      function: fn,
      artifactsBucket,
      grantReadArtifacts: (grantee) => artifactsBucket.grantRead(grantee),
    },
    secretsPrefix: 'tenant-a',
    ...props,
  });
  return { stack, runner };
}

describe('ActionRunner props', () => {
  it('lets action roles decrypt secrets with the given key, through Secrets Manager only', () => {
    const app = testApp();
    const keyStack = new Stack(app, 'Keys', { env: TEST_ENV });
    const key = new Key(keyStack, 'SecretsKey', { enableKeyRotation: true });
    const { stack } = runnerStack({ secretsKey: key }, app);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'DecryptSecrets',
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: Match.anyValue(),
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                },
              },
            },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { ACTIONS_SECRETS_KMS_KEY_ARN: Match.anyValue() } },
    });
    // AND cdk-nag finds nothing in the runner (the plain management function of this test aside)
    const report = new AwsSolutionsChecks().validateScope(stack);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`),
    );
    expect(findings.filter((finding) => finding.includes('Runner/Actions/'))).toEqual([]);
    expect(findings.length).toBeGreaterThan(0);
  });

  it('gives two stacks different name prefixes, and takes an explicit one', () => {
    const a = runnerStack({}, testApp()).runner.namePrefix;
    const b = synthesize({}, 'Other').stack.actions.namePrefix;
    expect(a).toMatch(/^a0b-[0-9a-f]{8}-$/);
    expect(b).not.toBe(a);
    expect(runnerStack({ namePrefix: 'acme-act-' }).runner.namePrefix).toBe('acme-act-');
  });

  it.each<[Partial<ActionRunnerProps>, RegExp]>([
    [{ emitSource: 'auth0.logs' }, /emitSource must differ from the log source "auth0.logs"/],
    [{ namePrefix: 'a'.repeat(29) }, /namePrefix must be 1-28 letters/],
    [{ timeoutSeconds: 0 }, /timeoutSeconds must be a whole number from 1 to 890/],
    [{ maxRetryAttempts: 186 }, /maxRetryAttempts must be a whole number from 0 to 185/],
    [{ executionTtlDays: 0 }, /executionTtlDays must be a whole number from 1 to 365/],
  ])('rejects %j at synth, naming the prop', (props, message) => {
    expect(() => runnerStack(props)).toThrow(message);
  });
});

describe('the action host asset', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'action-host-asset-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('is one ESM file exporting handler, which fails fast naming the first missing variable', {
    timeout: 60_000,
  }, () => {
    // GIVEN an app that bundles
    const app = new App({ outdir, context: { ...CDK_JSON_CONTEXT }, builtinCloudFormationValidation: false });
    const { runner, stack } = runnerStack({}, app);

    // WHEN it is synthesized
    const assembly = app.synth();

    // THEN the host is a single host.mjs-style file with the handler exported and its source map inline
    const file = join(outdir, `asset.${runner.hostAsset.assetHash}.mjs`);
    expect(readdirSync(outdir)).toContain(`asset.${runner.hostAsset.assetHash}.mjs`);
    const text = readFileSync(file, 'utf8');
    expect(/export\s*\{[^}]*\bas handler\b[^}]*\}/.test(text)).toBe(true);
    expect(text.includes('sourceMappingURL=data:application/json')).toBe(true);
    expect(/from\s*["']@aws-sdk\//.test(text)).toBe(false);
    // AND the management function is told where it is
    const resources = Object.values<Resource>(assembly.getStackByName(stack.stackName).template.Resources);
    const management = resources.find(
      (r) => r.Type === 'AWS::Lambda::Function' && JSON.stringify(r).includes('ACTIONS_HOST_KEY'),
    );
    const variables = (
      management?.Properties.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables;
    expect(variables?.ACTIONS_HOST_KEY).toBe(`${runner.hostAsset.assetHash}.mjs`);
    // AND Node loads it, and it refuses to start without its contract
    const run = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `await import(${JSON.stringify(file)})`],
      {
        env: { PATH: process.env.PATH ?? '' },
        encoding: 'utf8',
      },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('ACTION_ID is not set');
  });
});
