import { beforeAll, describe, expect, it } from 'vitest';
import { logicalIdOf, type Resource, type Synthesized, synthesize } from './support';

describe('ModuleRegistry in the stack', () => {
  let synth: Synthesized;
  let ids: Record<'fn' | 'role' | 'table' | 'bucket' | 'tokenSecret', string>;
  beforeAll(() => {
    synth = synthesize();
    const t = synth.template;
    ids = {
      fn: logicalIdOf(t, 'AWS::Lambda::Function', 'ModulesFunction'),
      role: logicalIdOf(t, 'AWS::IAM::Role', 'ModulesFunctionRole'),
      table: logicalIdOf(t, 'AWS::DynamoDB::GlobalTable', 'ModulesTable'),
      bucket: logicalIdOf(t, 'AWS::S3::Bucket', 'ModulesArtifactsBucket'),
      tokenSecret: logicalIdOf(t, 'AWS::SecretsManager::Secret', 'IngestTokenSecret'),
    };
  });

  const statements = () =>
    Object.values(synth.template.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        ((policy as Resource).Properties.Roles as { Ref: string }[]).some((r) => r.Ref === ids.role),
      )
      .flatMap(
        (policy) =>
          ((policy as Resource).Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
            .Statement,
      );
  const actionsOf = (statement: Record<string, unknown>) => [statement.Action].flat() as string[];

  it('serves the management API through a Function URL that requires SigV4 (AWS_IAM)', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
    });
  });

  it('runs Node.js 22 on arm64 with the settings the handler reads', () => {
    const fn = synth.template.toJSON().Resources[ids.fn].Properties;
    expect(fn).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 90,
      MemorySize: 1024,
    });
    expect(fn.Environment.Variables).toMatchObject({
      MODULES_TABLE_NAME: { Ref: ids.table },
      MODULE_SECRETS_PREFIX: 'auth0-events',
      MODULE_ARTIFACTS_BUCKET: { Ref: ids.bucket },
      MODULE_ARTIFACTS_PREFIX: 'modules/artifacts/',
    });
  });

  it('keeps modules and versions in an on-demand table with point-in-time recovery, retained', () => {
    synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        Replicas: [
          { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, Region: 'eu-west-1' },
        ],
      },
      DeletionPolicy: 'Retain',
    });
  });

  it('stores builds in a private, encrypted, versioned, TLS-only bucket', () => {
    synth.template.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    });
  });

  it("writes only module and action secrets under the stack's prefix, and only reads the ingest token", () => {
    const secretStatements = statements().filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')),
    );
    const writes = secretStatements.filter((s) => actionsOf(s).includes('secretsmanager:PutSecretValue'));
    expect(writes).toHaveLength(1);
    expect(actionsOf(writes[0] ?? {}).sort()).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:TagResource',
    ]);
    const pattern = (collection: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:secret:auth0-events/${collection}/*`,
        ],
      ],
    });
    expect(writes[0]?.Resource).toEqual([pattern('actions'), pattern('modules')]);
    // The quarantine redrive posts to the ingest URL with the ingest token: it may read it, nothing more.
    const token = secretStatements.filter((s) => JSON.stringify(s.Resource).includes(ids.tokenSecret));
    expect(token).toHaveLength(1);
    expect(actionsOf(token[0] ?? {}).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(token[0]?.Resource).toEqual({ Ref: ids.tokenSecret });
  });

  it('reads and writes its own table and writes builds under the artifacts prefix only', () => {
    // Writes: its own table only (the actions' executions table it may only read: action-runner.test.ts).
    const dynamo = statements().filter((s) => actionsOf(s).includes('dynamodb:PutItem'));
    expect(dynamo.flatMap((s) => [s.Resource].flat())).toEqual([{ 'Fn::GetAtt': [ids.table, 'Arn'] }]);
    const s3 = statements().filter((s) => actionsOf(s).includes('s3:PutObject'));
    expect(s3.map((s) => s.Resource)).toEqual([
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, '/modules/artifacts/*']] },
    ]);
    // events:ListRules (for the action binding rules) and cloudwatch:GetMetricData (for a0bridge status) take
    // no resource; nothing else is on "*".
    for (const statement of statements()) {
      if (statement.Resource === '*')
        expect(['events:ListRules', 'cloudwatch:GetMetricData']).toContain(statement.Action);
    }
  });

  it('uses the prefix given by modulesSecretsPrefix', () => {
    const { template } = synthesize({ modulesSecretsPrefix: 'tenant-a' }, 'Prefixed');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { MODULE_SECRETS_PREFIX: 'tenant-a' } },
    });
  });

  it('names the API URL in the outputs', () => {
    expect(Object.keys(synth.template.toJSON().Outputs)).toContain('ModulesApiUrl');
  });
});
