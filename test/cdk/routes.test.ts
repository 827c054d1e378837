import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes as defaultRoutes } from '../../config/routes';
import { eventPatternFor, type RouteDefinition } from '../../lib/routes/route-model';
import { logicalIdOf, type Synthesized, synthesize } from './support';

const SOURCE = 'auth0.logs';
const prefixOf = (routeId: string) => `Routes${routeId.replaceAll('-', '')}`;
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('default routes (config/routes.ts)', () => {
  let synth: Synthesized;
  beforeAll(() => {
    synth = synthesize();
  });

  it('creates one rule per default route on the bus, and no other', () => {
    // GIVEN the default routes / WHEN synthesized / THEN
    expect(defaultRoutes.length).toBeGreaterThanOrEqual(6);
    synth.template.resourceCountIs('AWS::Events::Rule', defaultRoutes.length);
  });

  describe.each(defaultRoutes.map((route) => [route.id, route] as const))('route %s', (routeId, route) => {
    it('matches exactly the pattern the route model (and local mode) builds', () => {
      const ruleId = logicalIdOf(synth.template, 'AWS::Events::Rule', `${prefixOf(routeId)}Rule`);
      const rule = synth.template.toJSON().Resources[ruleId];
      expect(rule.Properties.EventPattern).toEqual(eventPatternFor(route, SOURCE));
      expect(rule.Properties).toMatchObject({
        Name: `auth0-events-${routeId}`,
        State: 'ENABLED',
        EventBusName: { Ref: logicalIdOf(synth.template, 'AWS::Events::EventBus', 'BusEventBus') },
      });
    });

    it('delivers to an encrypted queue of its own, with 185 retries over 24 h and its own DLQ', () => {
      const queueId = logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf(routeId)}queue`);
      const dlqId = logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf(routeId)}DeadLetterQueue`);
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        Name: `auth0-events-${routeId}`,
        Targets: [
          {
            Id: 'Target0',
            Arn: getAtt(queueId),
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: getAtt(dlqId) },
          },
        ],
      });
      const resources = synth.template.toJSON().Resources;
      expect(resources[queueId].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: 10 },
      });
      expect(resources[dlqId].Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
      });
      expect(resources[dlqId].DeletionPolicy).toBe('Retain');
    });

    it('lets EventBridge write to the DLQ only for this rule, and only over TLS', () => {
      const dlqId = logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf(routeId)}DeadLetterQueue`);
      const ruleId = logicalIdOf(synth.template, 'AWS::Events::Rule', `${prefixOf(routeId)}Rule`);
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: dlqId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Allow',
              Action: 'sqs:SendMessage',
              Principal: { Service: 'events.amazonaws.com' },
              Condition: { ArnEquals: { 'aws:SourceArn': getAtt(ruleId) } },
            }),
          ]),
        },
      });
    });
  });

  it('alarms on every route DLQ', () => {
    for (const route of defaultRoutes) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `Test-dlq-${route.id}`,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: {
              'Fn::GetAtt': [
                logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf(route.id)}DeadLetterQueue`),
                'QueueName',
              ],
            },
          },
        ],
      });
    }
  });
});

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:hook-AbCdEf';
const EVERY_TARGET: RouteDefinition[] = [
  {
    id: 'queues',
    description: 'codes or a category',
    match: { codes: ['f', 'fp'], categories: ['user.fail'] },
    targets: [{ type: 'sqs' }, { type: 'sqs', queueArn: 'arn:aws:sqs:eu-west-1:111111111111:theirs' }],
  },
  {
    id: 'topics',
    description: 'created and existing topics',
    match: { codes: ['s'] },
    targets: [
      { type: 'sns' },
      {
        type: 'sns',
        topicArn: 'arn:aws:sns:eu-west-1:111111111111:theirs',
        retryAttempts: 3,
        maxEventAgeHours: 2,
      },
    ],
  },
  {
    id: 'logs',
    description: 'a category narrowed by a raw pattern',
    match: { categories: ['actions'], pattern: { detail: { data: { connection: ['db'] } } } },
    targets: [
      { type: 'logs', retentionDays: 90 },
      { type: 'logs', id: 'existing', logGroupName: '/ops/auth0' },
    ],
  },
  {
    id: 'function',
    description: 'a function',
    match: { codes: ['ss'] },
    targets: [{ type: 'lambda', functionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:handler' }],
  },
  {
    id: 'central-bus',
    description: 'another account and region',
    match: { codes: ['ss'] },
    targets: [{ type: 'eventBus', eventBusArn: 'arn:aws:events:us-east-1:222222222222:event-bus/central' }],
  },
  {
    id: 'webhooks',
    description: 'HTTP endpoints',
    enabled: false,
    match: { codes: ['ss'] },
    targets: [
      {
        type: 'apiDestination',
        endpoint: 'https://hooks.example.com/auth0',
        auth: { kind: 'apiKey', headerName: 'x-api-key', secretArn: SECRET, secretJsonField: 'apiKey' },
      },
      {
        type: 'apiDestination',
        endpoint: 'https://hooks.example.com/basic',
        httpMethod: 'PUT',
        rateLimitPerSecond: 5,
        auth: { kind: 'basic', username: 'bridge', secretArn: SECRET },
      },
      {
        type: 'apiDestination',
        endpoint: 'https://hooks.example.com/oauth',
        auth: {
          kind: 'oauthClientCredentials',
          authorizationEndpoint: 'https://login.example.com/oauth/token',
          clientId: 'bridge',
          secretArn: SECRET,
          secretJsonField: 'clientSecret',
        },
      },
    ],
  },
];

describe('every target type', () => {
  let synth: Synthesized;
  const rule = (routeId: string) => {
    const id = logicalIdOf(synth.template, 'AWS::Events::Rule', `${prefixOf(routeId)}Rule`);
    return { id, properties: synth.template.toJSON().Resources[id].Properties };
  };
  const dlqOf = (routeId: string) =>
    getAtt(logicalIdOf(synth.template, 'AWS::SQS::Queue', `${prefixOf(routeId)}DeadLetterQueue`));
  const DEFAULT_RETRY = { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 };

  beforeAll(() => {
    synth = synthesize({ routes: EVERY_TARGET });
  });

  it('keeps $or (codes OR categories) and nested detail in the rule pattern', () => {
    expect(rule('queues').properties.EventPattern).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 log'],
      $or: [{ detail: { data: { type: ['f', 'fp'] } } }, { detail: { category: ['user.fail'] } }],
    });
    expect(rule('logs').properties.EventPattern).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 log'],
      detail: { category: ['actions'], data: { connection: ['db'] } },
    });
  });

  it('gives every target a retry policy and the route DLQ', () => {
    for (const route of EVERY_TARGET) {
      const { properties } = rule(route.id);
      expect(properties.Targets).toHaveLength(route.targets.length);
      for (const target of properties.Targets) {
        expect(target.DeadLetterConfig).toEqual({ Arn: dlqOf(route.id) });
        // Event bus targets take no retry policy; EventBridge retries them 24 h / 185 times by itself.
        if (route.id !== 'central-bus') expect(target.RetryPolicy).toBeDefined();
      }
    }
  });

  it('sends to an existing queue by ARN and warns that its policy must let EventBridge in', () => {
    expect(rule('queues').properties.Targets[1]).toMatchObject({
      Arn: 'arn:aws:sqs:eu-west-1:111111111111:theirs',
      RetryPolicy: DEFAULT_RETRY,
    });
    Annotations.fromStack(synth.stack).hasWarning(
      '/Test/Routes/queues/queue-2',
      Match.stringLikeRegexp('resource policy must allow events.amazonaws.com to sqs:SendMessage'),
    );
  });

  it('creates a topic encrypted with a rotating key that EventBridge may use, and honours retry overrides', () => {
    const topicId = logicalIdOf(synth.template, 'AWS::SNS::Topic', `${prefixOf('topics')}topic`);
    const keyId = logicalIdOf(synth.template, 'AWS::KMS::Key', 'RoutesTopicKey');
    synth.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(keyId) });
    synth.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ]),
      },
    });
    synth.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } }),
        ]),
      },
    });
    expect(rule('topics').properties.Targets).toEqual([
      expect.objectContaining({ Arn: { Ref: topicId }, RetryPolicy: DEFAULT_RETRY }),
      expect.objectContaining({
        Arn: 'arn:aws:sns:eu-west-1:111111111111:theirs',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 7200 },
      }),
    ]);
  });

  it('writes to log groups through one shared Logs resource policy scoped to the bus rules', () => {
    const groupId = logicalIdOf(synth.template, 'AWS::Logs::LogGroup', `${prefixOf('logs')}loggroup`);
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/events/auth0-events/logs',
      RetentionInDays: 90,
    });
    synth.template.resourceCountIs('AWS::Logs::ResourcePolicy', 1);
    const policy = JSON.stringify(
      Object.values(synth.template.findResources('AWS::Logs::ResourcePolicy'))[0]?.Properties.PolicyDocument,
    );
    expect(policy).toContain(groupId);
    expect(policy).toContain('log-group:/ops/auth0:*');
    expect(policy).toContain(':rule/');
    synth.template.resourceCountIs('Custom::CloudwatchLogResourcePolicy', 0);
    expect(rule('logs').properties.Targets[0].Arn).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:log-group:', { Ref: groupId }],
      ],
    });
  });

  it('lets the rule, and only the rule, invoke a function given by ARN', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: 'arn:aws:lambda:eu-west-1:111111111111:function:handler',
      Principal: 'events.amazonaws.com',
      SourceArn: getAtt(rule('function').id),
    });
  });

  it('puts events on another account’s bus through a role allowed to PutEvents there only', () => {
    const [target] = rule('central-bus').properties.Targets;
    expect(target.Arn).toBe('arn:aws:events:us-east-1:222222222222:event-bus/central');
    expect(target.RoleArn).toBeDefined();
    expect(target.RetryPolicy).toBeUndefined();
    synth.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: 'arn:aws:events:us-east-1:222222222222:event-bus/central',
          },
        ],
      },
    });
  });

  it('builds API destinations whose connections read credentials from Secrets Manager at deploy time', () => {
    synth.template.resourceCountIs('AWS::Events::Connection', 3);
    synth.template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: {
          ApiKeyName: 'x-api-key',
          ApiKeyValue: `{{resolve:secretsmanager:${SECRET}:SecretString:apiKey::}}`,
        },
      },
    });
    synth.template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'BASIC',
      AuthParameters: {
        BasicAuthParameters: {
          Username: 'bridge',
          Password: `{{resolve:secretsmanager:${SECRET}:SecretString:::}}`,
        },
      },
    });
    synth.template.hasResourceProperties('AWS::Events::Connection', {
      AuthorizationType: 'OAUTH_CLIENT_CREDENTIALS',
      AuthParameters: {
        OAuthParameters: Match.objectLike({
          AuthorizationEndpoint: 'https://login.example.com/oauth/token',
          ClientParameters: {
            ClientID: 'bridge',
            ClientSecret: `{{resolve:secretsmanager:${SECRET}:SecretString:clientSecret::}}`,
          },
        }),
      },
    });
    synth.template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://hooks.example.com/basic',
      HttpMethod: 'PUT',
      InvocationRateLimitPerSecond: 5,
    });
    synth.template.hasResourceProperties('AWS::Events::ApiDestination', {
      InvocationEndpoint: 'https://hooks.example.com/auth0',
      HttpMethod: 'POST',
      InvocationRateLimitPerSecond: 10,
    });
    for (const target of rule('webhooks').properties.Targets) expect(target.RoleArn).toBeDefined();
  });

  it('keeps a disabled route as a DISABLED rule with its targets and DLQ', () => {
    expect(rule('webhooks').properties.State).toBe('DISABLED');
  });
});

describe('route validation at synth', () => {
  const route = (overrides: Partial<RouteDefinition>): RouteDefinition => ({
    id: 'my-route',
    description: 'test',
    match: { codes: ['f'] },
    targets: [{ type: 'sqs' }],
    ...overrides,
  });

  it('fails on an unknown log type code, suggesting the closest ones', () => {
    expect(() => synthesize({ routes: [route({ match: { codes: ['fpp'] } })] })).toThrow(
      /route "my-route": unknown log type code "fpp"; did you mean .*"fp"/,
    );
  });

  it('fails on an unknown category, suggesting the closest one first', () => {
    expect(() => synthesize({ routes: [route({ match: { categories: ['auth.login.fial'] } })] })).toThrow(
      /unknown category "auth\.login\.fial"; did you mean "auth\.login\.fail"/,
    );
  });

  it('fails on a retry policy for an event bus target, which EventBridge does not take', () => {
    const targets = [
      { type: 'eventBus' as const, eventBusArn: 'arn:aws:events:eu-west-1:1:event-bus/x', retryAttempts: 3 },
    ];
    expect(() => synthesize({ routes: [route({ targets })] })).toThrow(
      /no retry policy for event bus targets/,
    );
  });

  it('fails on out-of-range retry settings, an http endpoint and a wrong ARN, listing all of them', () => {
    const targets = [
      { type: 'sqs' as const, retryAttempts: 186 },
      { type: 'lambda' as const, functionArn: 'arn:aws:sqs:eu-west-1:1:q', maxEventAgeHours: 48 },
      {
        type: 'apiDestination' as const,
        endpoint: 'http://insecure.example.com',
        auth: { kind: 'apiKey' as const, headerName: 'k', secretArn: SECRET },
      },
    ];
    expect(() => synthesize({ routes: [route({ targets })] })).toThrow(
      /retryAttempts must be a whole number from 0 to 185, got 186[\s\S]*maxEventAgeHours must be a whole number from 1 to 24, got 48[\s\S]*functionArn must be an ARN starting arn:aws:lambda:[\s\S]*endpoint must be an https:\/\/ URL/,
    );
  });

  it('fails when two targets of a route would share an id', () => {
    const targets = [
      { type: 'sqs' as const, id: 'audit' },
      { type: 'sns' as const, id: 'audit' },
    ];
    expect(() => synthesize({ routes: [route({ targets })] })).toThrow(
      /target "audit" \(sns\): another target/,
    );
  });

  it('fails on a function in another region, which EventBridge cannot invoke', () => {
    const targets = [
      { type: 'lambda' as const, functionArn: 'arn:aws:lambda:us-east-1:111111111111:function:f' },
    ];
    expect(() => synthesize({ routes: [route({ targets })] })).toThrow(
      /is in us-east-1, but the stack deploys to eu-west-1/,
    );
  });

  it('fails on a log retention CloudWatch does not offer', () => {
    expect(() => synthesize({ routes: [route({ targets: [{ type: 'logs', retentionDays: 10 }] })] })).toThrow(
      /retentionDays must be one of 1, 3, 5, 7, 14, 30/,
    );
  });
});
