import { RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { auth0LogEventSchema } from '../../lib/schema';
import { logicalIdOf, type Resource, type Synthesized, synthesize } from './support';

describe('Auth0EventBridgeStack with defaults', () => {
  let synth: Synthesized;
  let ids: Record<'bus' | 'secret' | 'table' | 'queue' | 'bucket' | 'fn' | 'url', string>;
  beforeAll(() => {
    synth = synthesize();
    const t = synth.template;
    ids = {
      bus: logicalIdOf(t, 'AWS::Events::EventBus', 'BusEventBus'),
      secret: logicalIdOf(t, 'AWS::SecretsManager::Secret', 'IngestTokenSecret'),
      table: logicalIdOf(t, 'AWS::DynamoDB::GlobalTable', 'IngestDedupTable'),
      queue: logicalIdOf(t, 'AWS::SQS::Queue', 'IngestQuarantineQueue'),
      bucket: logicalIdOf(t, 'AWS::S3::Bucket', 'IngestClaimCheckBucket'),
      fn: logicalIdOf(t, 'AWS::Lambda::Function', 'IngestFunction'),
      url: logicalIdOf(t, 'AWS::Lambda::Url', 'IngestFunctionFunctionUrl'),
    };
  });

  describe('bus', () => {
    it('creates the custom bus auth0-events', () => {
      synth.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'auth0-events' });
    });

    it('archives events from our source for 30 days, and keeps the archive on destroy', () => {
      synth.template.hasResource('AWS::Events::Archive', {
        Properties: {
          SourceArn: { 'Fn::GetAtt': [ids.bus, 'Arn'] },
          EventPattern: { source: ['auth0.logs'] },
          RetentionDays: 30,
        },
        DeletionPolicy: 'Retain',
      });
    });
  });

  describe('ingest function', () => {
    it('runs Node.js 22 on arm64, from the ESM bundle, with a 30 s timeout and no reserved concurrency', () => {
      const fn = synth.template.toJSON().Resources[ids.fn].Properties;
      expect(fn).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 30,
        MemorySize: 512,
      });
      expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    });

    it('gets every setting the handler reads, with a dedup lease longer than its timeout', () => {
      const { Variables } = synth.template.toJSON().Resources[ids.fn].Properties.Environment;
      expect(Variables).toEqual({
        BUS_NAME: { Ref: ids.bus },
        EVENT_SOURCE: 'auth0.logs',
        TOKEN_SECRET_ID: { Ref: ids.secret },
        DEDUP_TABLE_NAME: { Ref: ids.table },
        DEDUP_TTL_DAYS: '7',
        DEDUP_LEASE_SECONDS: '120',
        QUARANTINE_QUEUE_URL: { Ref: ids.queue },
        CLAIM_CHECK_BUCKET: { Ref: ids.bucket },
        MAX_BODY_BYTES: String(5 * 1024 * 1024),
        PUT_EVENTS_MAX_BYTES: String(256 * 1024),
        POWERTOOLS_METRICS_NAMESPACE: 'Auth0EventBridge',
        // No NODE_OPTIONS=--enable-source-maps: reading the source map slows every cold start (lib/ingest.ts).
      });
      expect(Number(Variables.DEDUP_LEASE_SECONDS)).toBeGreaterThan(30);
    });

    it('is reached through a Function URL with auth type NONE (Auth0 sends the token)', () => {
      // The other URL is the Action Modules API's, which takes AWS_IAM (module-registry.test.ts).
      synth.template.resourceCountIs('AWS::Lambda::Url', 2);
      synth.template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        InvokeMode: 'BUFFERED',
        TargetFunctionArn: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
      });
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      });
    });

    it('reserves concurrency only when asked to', () => {
      const { template } = synthesize({ reservedConcurrency: 50 });
      template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 50 });
    });

    it('writes its logs to a log group of its own, kept for a month', () => {
      const logGroup = logicalIdOf(synth.template, 'AWS::Logs::LogGroup', 'IngestFunctionLogs');
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        LoggingConfig: { LogGroup: { Ref: logGroup } },
      });
      synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });
  });

  describe('least privilege', () => {
    /** Statements of the policies on roles whose logical id starts with `rolePrefix` (all roles by default). */
    const statementsOf = (template: Synthesized['template'], rolePrefix = '') =>
      Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) =>
          ((policy as Resource).Properties.Roles as { Ref: string }[]).some(({ Ref }) =>
            Ref.startsWith(rolePrefix),
          ),
        )
        .flatMap(
          (policy) =>
            (policy as Resource).Properties.PolicyDocument as { Statement: Record<string, unknown>[] },
        )
        .flatMap((document) => document.Statement);
    const actionsOf = (statement: Record<string, unknown>) => [statement.Action].flat() as string[];

    it('grants PutEvents on the bus, the dedup writes on the table and the token read on the secret, nothing wider', () => {
      const statements = statementsOf(synth.template, 'IngestFunctionRole');
      const scoped: [RegExp, unknown][] = [
        [/^events:/, { 'Fn::GetAtt': [ids.bus, 'Arn'] }],
        [/^dynamodb:/, { 'Fn::GetAtt': [ids.table, 'Arn'] }],
        [/^secretsmanager:/, { Ref: ids.secret }],
        [/^sqs:/, { 'Fn::GetAtt': [ids.queue, 'Arn'] }],
      ];
      for (const [action, resource] of scoped) {
        const matching = statements.filter((statement) => actionsOf(statement).some((a) => action.test(a)));
        expect(matching, `statements for ${action}`).toHaveLength(1);
        expect(matching[0]?.Resource).toEqual(resource);
        expect(actionsOf(matching[0] ?? {}).every((a) => !a.endsWith(':*'))).toBe(true);
      }
      expect(statements.find((s) => actionsOf(s).includes('dynamodb:PutItem'))?.Action).toEqual([
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:PartiQLInsert',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ]);
      expect(statements.find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))?.Action).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
    });

    it('limits S3 writes to the claim-check and quarantine prefixes of its bucket', () => {
      const s3 = statementsOf(synth.template, 'IngestFunctionRole').filter((s) =>
        actionsOf(s).includes('s3:PutObject'),
      );
      expect(s3).toHaveLength(1);
      expect(s3[0]?.Resource).toEqual(
        ['claim-check/*', 'quarantine/*'].map((prefix) => ({
          'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.bucket, 'Arn'] }, `/${prefix}`]],
        })),
      );
    });

    it('has no statement on Resource "*" and no AWS managed policy on the function role', () => {
      // Only list actions that support no resource-level permission may be on "*" (the action runner's), and
      // CloudWatch's GetMetricData (a0bridge status reads the ingest metrics).
      const unscopable = [
        'events:ListRules',
        'iam:ListRoles',
        'lambda:ListFunctions',
        'cloudwatch:GetMetricData',
      ];
      for (const statement of statementsOf(synth.template)) {
        if (statement.Resource === '*')
          expect(unscopable).toEqual(expect.arrayContaining(actionsOf(statement)));
      }
      synth.template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        }),
        ManagedPolicyArns: Match.absent(),
      });
    });
  });

  describe('token', () => {
    it('is generated at deploy time in Secrets Manager as {"token": …}, long and without punctuation', () => {
      synth.template.hasResourceProperties('AWS::SecretsManager::Secret', {
        GenerateSecretString: {
          SecretStringTemplate: '{}',
          GenerateStringKey: 'token',
          ExcludePunctuation: true,
          IncludeSpace: false,
          PasswordLength: 64,
        },
        SecretString: Match.absent(),
      });
    });

    it('appears nowhere in the template: no secret string, no dynamic reference, no token-like literal', () => {
      const json = JSON.stringify(synth.template.toJSON());
      expect(json).not.toMatch(/"SecretString"/);
      expect(json).not.toContain('{{resolve:');
      expect(json).not.toMatch(/"token"\s*:\s*"/);
      // A generated token is a 64-character alphanumeric literal; logical ids, statement ids and hashes aside.
      const template = synth.template.toJSON();
      const logicalIds = new Set(Object.keys(template.Resources));
      const literals: string[] = [];
      const walk = (value: unknown, key = ''): void => {
        if (typeof value === 'string') {
          const random =
            /^[A-Za-z0-9]{40,}$/.test(value) &&
            /\d/.test(value) &&
            /[A-Z]/.test(value) &&
            /[a-z]/.test(value);
          if (random && key !== 'Sid' && !logicalIds.has(value)) literals.push(value);
        } else if (Array.isArray(value)) for (const item of value) walk(item);
        else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
      };
      walk(template);
      expect(literals).toEqual([]);
    });

    it('is read with a command printed as an output, never as an output value itself', () => {
      const outputs = synth.template.toJSON().Outputs;
      const command = JSON.stringify(outputs.ReadTokenCommand.Value);
      expect(command).toContain('aws secretsmanager get-secret-value');
      expect(command).toContain(`{"Ref":"${ids.secret}"}`);
      expect(command).toContain('.token');
      expect(outputs.Auth0WebhookAuthorization.Value).toBe('Bearer <the token printed by ReadTokenCommand>');
    });
  });

  describe('data stores', () => {
    it('keeps log_ids in an on-demand table with TTL on expires_at and point-in-time recovery, retained', () => {
      synth.template.hasResource('AWS::DynamoDB::GlobalTable', {
        Properties: {
          KeySchema: [{ AttributeName: 'log_id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'log_id', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
          TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
          Replicas: [
            Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
          ],
        },
        DeletionPolicy: 'Retain',
      });
    });

    it('quarantines into an encrypted, TLS-only queue kept 14 days, retained', () => {
      synth.template.hasResource('AWS::SQS::Queue', {
        Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 },
        DeletionPolicy: 'Retain',
      });
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    });

    it('claim-checks into an encrypted, private, TLS-only bucket whose objects expire, retained', () => {
      const bucket = synth.template.toJSON().Resources[ids.bucket];
      expect(bucket.DeletionPolicy).toBe('Retain');
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LifecycleConfiguration: {
          Rules: [
            expect.objectContaining({
              ExpirationInDays: 90,
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            }),
          ],
        },
      });
      synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.bucket },
        PolicyDocument: {
          Statement: [
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ],
        },
      });
    });

    it('deletes the data stores on destroy only when asked to', () => {
      const { template } = synthesize({ dataRemovalPolicy: RemovalPolicy.DESTROY });
      for (const type of [
        'AWS::DynamoDB::GlobalTable',
        'AWS::S3::Bucket',
        'AWS::SecretsManager::Secret',
        'AWS::Events::Archive',
      ]) {
        for (const resource of Object.values(template.findResources(type)))
          expect(resource.DeletionPolicy).toBe('Delete');
      }
    });
  });

  describe('schema registry', () => {
    it('registers the Auth0 log event as a draft-4 JSON Schema, generated from the ingest zod schema', () => {
      synth.template.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'auth0-events' });
      const schema = Object.values(synth.template.findResources('AWS::EventSchemas::Schema'))[0] as Resource;
      expect(schema.Properties).toMatchObject({
        Type: 'JSONSchemaDraft4',
        SchemaName: 'auth0.logs@Auth0Log',
      });
      const content = JSON.parse(schema.Properties.Content as string);
      expect(content).toEqual(auth0LogEventSchema('auth0.logs'));
      expect(content.$schema).toBe('http://json-schema.org/draft-04/schema#');
      expect(content.properties['detail-type'].enum).toEqual(['Auth0 log']);
      const detail = content.definitions.Auth0LogDetail;
      expect(detail.required).toEqual(['log_id', 'data', 'category']);
      expect(detail.properties.category.enum).toContain('auth.login.fail');
      expect(detail.properties.category.enum).toContain('unknown');
      // Fields real tenants send: scope as string or array, client_id null.
      const record = content.definitions.LogRecord;
      expect(record.required).toEqual(['type', 'date']);
      expect(JSON.stringify(record.properties.scope)).toContain('"array"');
      expect(record.properties.client_id.type).toEqual(['string', 'null']);
    });
  });

  describe('outputs', () => {
    it('prints the ingest URL, the bus, the token command and the Auth0 Custom Webhook settings', () => {
      const outputs = synth.template.toJSON().Outputs;
      const url = { 'Fn::GetAtt': [ids.url, 'FunctionUrl'] };
      expect(outputs.IngestUrl.Value).toEqual(url);
      expect(outputs.Auth0WebhookPayloadUrl.Value).toEqual(url);
      expect(outputs.EventBusName.Value).toEqual({ Ref: ids.bus });
      expect(outputs.EventBusArn.Value).toEqual({ 'Fn::GetAtt': [ids.bus, 'Arn'] });
      expect(outputs.Auth0WebhookContentFormat.Value).toMatch(/^JSON Array/);
      expect(outputs.Auth0WebhookContentType.Value).toBe('application/json');
      expect(JSON.stringify(outputs.ReplayCommand.Value)).toContain('aws events start-replay');
    });
  });
});

describe('stack props', () => {
  it('renames the bus, source and archive retention, and follows them everywhere', () => {
    const { template } = synthesize({
      busName: 'tenant-a',
      eventSource: 'acme.auth0',
      archiveRetentionDays: 0,
    });
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'tenant-a' });
    template.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { source: ['acme.auth0'] },
      RetentionDays: 0, // keep forever
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'tenant-a-failed-logins',
      EventPattern: Match.objectLike({ source: ['acme.auth0'] }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EVENT_SOURCE: 'acme.auth0' }) },
    });
    template.hasResourceProperties('AWS::EventSchemas::Schema', { SchemaName: 'acme.auth0@Auth0Log' });
  });

  it('warns when replayable events could outlive their claim-check objects', () => {
    const { stack } = synthesize({ archiveRetentionDays: 365, claimCheckRetentionDays: 90 });
    Annotations.fromStack(stack).hasWarning(
      '/Test',
      Match.stringLikeRegexp('claim-check objects expire after 90 days'),
    );
    Annotations.fromStack(synthesize().stack).hasNoWarning('*', Match.stringLikeRegexp('claim-check'));
    const forever = synthesize({ archiveRetentionDays: 0, claimCheckRetentionDays: 0 });
    Annotations.fromStack(forever.stack).hasNoWarning('*', Match.stringLikeRegexp('claim-check'));
    forever.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: Match.absent() })] },
    });
  });

  it.each([
    [{ busName: 'default' }, /busName must be 1-64 letters.*not "default", got "default"/],
    [{ eventSource: 'aws.events' }, /eventSource must be .*not starting with "aws\."/],
    [
      { archiveRetentionDays: -1 },
      /archiveRetentionDays must be a whole number from 0 to 36500 \(0 keeps events forever\), got -1/,
    ],
    [{ reservedConcurrency: 0 }, /reservedConcurrency must be a whole number from 1 to 10000, got 0/],
    [{ dedupTtlDays: 0.5 }, /dedupTtlDays must be a whole number from 1 to 365, got 0.5/],
    [{ maxBodyBytes: 7 * 1024 * 1024 }, /a Function URL takes at most 6 MiB/],
    [{ queueRetentionDays: 15 }, /queueRetentionDays must be a whole number from 1 to 14, got 15/],
    [{ alarmEmail: 'ops' }, /alarmEmail must be an email address, got "ops"/],
  ])('rejects %j at synth, naming the prop and the value', (props, message) => {
    expect(() => synthesize(props)).toThrow(message);
  });
});
