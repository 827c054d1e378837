import {
  Annotations,
  Arn,
  ArnFormat,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import {
  ApiDestination,
  Authorization,
  Connection,
  EventBus,
  type EventPattern,
  HttpMethod,
  type IEventBus,
  type IRule,
  type IRuleTarget,
  Rule,
  type RuleTargetConfig,
} from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, LogGroup, ResourcePolicy, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_SOURCE } from '../lambdas/ingest/config';
import {
  type ApiDestinationTarget,
  type ConnectionAuth,
  eventPatternFor,
  isEnabled,
  type RouteDefinition,
  RouteDefinitionError,
  type RouteTarget,
  validateRoutes,
} from './routes/route-model';
import { checkInteger } from './validation';

export const DEFAULT_RETRY_ATTEMPTS = 185;
export const DEFAULT_MAX_EVENT_AGE_HOURS = 24;

/** Retention values CloudWatch Logs accepts (RetentionDays without INFINITE). */
const LOG_RETENTION_DAYS = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

const DEFAULT_TARGET_IDS: Record<RouteTarget['type'], string> = {
  sqs: 'queue',
  sns: 'topic',
  logs: 'log-group',
  lambda: 'function',
  eventBus: 'event-bus',
  apiDestination: 'api-destination',
};

export interface RoutesProps {
  /** The bus the rules listen on. */
  readonly eventBus: IEventBus;
  /** The routes, usually `config/routes.ts`. Checked with `validateRoutes` before anything is built. */
  readonly routes: readonly RouteDefinition[];
  /**
   * The `source` the ingest function publishes with; every rule matches only it.
   * @default 'auth0.logs'
   */
  readonly eventSource?: string;
  /**
   * Rules are named `<ruleNamePrefix>-<route id>`, as local mode names them, when that fits in 64 characters.
   * @default - CloudFormation generates rule names
   */
  readonly ruleNamePrefix?: string;
  /**
   * Names created log groups `/aws/events/<logGroupPrefix>/<route id>`.
   * @default 'auth0-events'
   */
  readonly logGroupPrefix?: string;
  /**
   * How many days a dead-letter queue (and a created target queue) keeps messages (SQS allows at most 14).
   * @default 14
   */
  readonly queueRetentionDays?: number;
  /**
   * How many times a consumer may receive a message from a created target queue before SQS moves it to the
   * route's dead-letter queue.
   * @default 10
   */
  readonly maxReceiveCount?: number;
  /**
   * What happens to the dead-letter queues and created queues and log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** What one route built: its rule, its dead-letter queue, and the targets it created (imported ones aside). */
export interface RouteResources {
  readonly definition: RouteDefinition;
  readonly rule: Rule;
  readonly deadLetterQueue: IQueue;
  readonly createdQueues: ReadonlyMap<string, IQueue>;
  readonly createdTopics: ReadonlyMap<string, ITopic>;
  readonly createdLogGroups: ReadonlyMap<string, ILogGroup>;
}

/**
 * One EventBridge rule per route in `config/routes.ts`, each matching its log type codes and categories,
 * Actions triggers and Event Streams types (`eventPatternFor`, the same function local mode uses) and
 * delivering to its targets with a retry policy and a dead-letter queue of its own.
 */
export class Routes extends Construct {
  public readonly routes: readonly RouteResources[];
  private readonly props: RoutesProps;
  private readonly removalPolicy: RemovalPolicy;
  private topicKeyInstance?: Key;
  private logsPolicyStatement?: PolicyStatement;

  public constructor(scope: Construct, id: string, props: RoutesProps) {
    super(scope, id);
    const where = `Routes ${this.node.path}`;
    checkInteger(where, 'queueRetentionDays', props.queueRetentionDays, 1, 14);
    checkInteger(where, 'maxReceiveCount', props.maxReceiveCount, 1, 1000);
    // A typo in a code, category, trigger or event type fails here, at synth, with the closest valid names.
    validateRoutes(props.routes);
    for (const route of props.routes) validateTargets(route);

    this.props = props;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.routes = props.routes.map((route) => this.addRoute(route));
  }

  /** The dead-letter queues, one per route, keyed by route id (for alarms). */
  public get deadLetterQueues(): ReadonlyMap<string, IQueue> {
    return new Map(this.routes.map((route) => [route.definition.id, route.deadLetterQueue]));
  }

  private addRoute(route: RouteDefinition): RouteResources {
    const scope = new Construct(this, route.id);
    const source = this.props.eventSource ?? DEFAULT_SOURCE;
    const ruleName = this.props.ruleNamePrefix ? `${this.props.ruleNamePrefix}-${route.id}` : undefined;

    const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(this.props.queueRetentionDays ?? 14),
      removalPolicy: this.removalPolicy,
    });

    const rule = new Rule(scope, 'Rule', {
      eventBus: this.props.eventBus,
      ...(ruleName && ruleName.length <= 64 ? { ruleName } : {}),
      description: `${route.description} (route "${route.id}")`.slice(0, 512),
      eventPattern: toEventPattern(eventPatternFor(route, source)),
      enabled: isEnabled(route),
    });

    const resources = {
      definition: route,
      rule,
      deadLetterQueue,
      createdQueues: new Map<string, IQueue>(),
      createdTopics: new Map<string, ITopic>(),
      createdLogGroups: new Map<string, ILogGroup>(),
    };
    for (const [targetId, target] of targetIds(route)) {
      rule.addTarget(this.ruleTarget(new Construct(scope, targetId), route, target, resources));
    }

    // cdk-nag recognises a DLQ only as the redrive target of another queue or of a function.
    if (resources.createdQueues.size === 0) {
      Validations.of(deadLetterQueue).acknowledge({
        id: 'AwsSolutions-SQS3',
        reason: `The dead-letter queue of the EventBridge rule targets of route "${route.id}" (Targets[].DeadLetterConfig), which cdk-nag does not recognise as a DLQ.`,
      });
    }
    return resources;
  }

  private ruleTarget(
    scope: Construct,
    route: RouteDefinition,
    target: RouteTarget,
    created: {
      deadLetterQueue: IQueue;
      createdQueues: Map<string, IQueue>;
      createdTopics: Map<string, ITopic>;
      createdLogGroups: Map<string, ILogGroup>;
    },
  ): IRuleTarget {
    const base = {
      deadLetterQueue: created.deadLetterQueue,
      retryAttempts: target.retryAttempts ?? DEFAULT_RETRY_ATTEMPTS,
      maxEventAge: Duration.hours(target.maxEventAgeHours ?? DEFAULT_MAX_EVENT_AGE_HOURS),
    };
    switch (target.type) {
      case 'sqs': {
        if (target.queueArn) {
          mustAllowEventBridge(scope, `Queue ${target.queueArn}`, 'sqs:SendMessage');
          return new targets.SqsQueue(Queue.fromQueueArn(scope, 'Imported', target.queueArn), base);
        }
        const queue = new Queue(scope, 'Resource', {
          encryption: QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(this.props.queueRetentionDays ?? 14),
          // A message no consumer can process ends in the route's DLQ too, where the DLQ alarm sees it.
          deadLetterQueue: {
            queue: created.deadLetterQueue,
            maxReceiveCount: this.props.maxReceiveCount ?? 10,
          },
          removalPolicy: this.removalPolicy,
        });
        created.createdQueues.set(scope.node.id, queue);
        return new targets.SqsQueue(queue, base);
      }
      case 'sns': {
        if (target.topicArn) {
          mustAllowEventBridge(scope, `Topic ${target.topicArn}`, 'sns:Publish');
          return new targets.SnsTopic(Topic.fromTopicArn(scope, 'Imported', target.topicArn), base);
        }
        const topic = new Topic(scope, 'Resource', {
          displayName: `Auth0 events: ${route.id}`,
          masterKey: this.topicKey(),
          enforceSSL: true,
        });
        created.createdTopics.set(scope.node.id, topic);
        // grantPublish (in the target) also allows EventBridge to use the key.
        return new targets.SnsTopic(topic, base);
      }
      case 'logs': {
        const logGroup = target.logGroupName
          ? LogGroup.fromLogGroupName(scope, 'Imported', target.logGroupName)
          : new LogGroup(scope, 'Resource', {
              logGroupName: `/aws/events/${this.props.logGroupPrefix ?? 'auth0-events'}/${route.id}${
                scope.node.id === DEFAULT_TARGET_IDS.logs ? '' : `/${scope.node.id}`
              }`,
              retention: (target.retentionDays ?? RetentionDays.ONE_MONTH) as RetentionDays,
              removalPolicy: this.removalPolicy,
            });
        if (!target.logGroupName) created.createdLogGroups.set(scope.node.id, logGroup);
        this.allowEventsToWriteTo(logGroup);
        return new LogGroupTarget(logGroup, base);
      }
      case 'lambda':
        return new targets.LambdaFunction(this.importFunction(scope, target.functionArn), base);
      case 'eventBus':
        // EventBridge takes no retry policy for event bus targets: it retries them for 24 h / 185 attempts.
        return new targets.EventBus(EventBus.fromEventBusArn(scope, 'Imported', target.eventBusArn), {
          deadLetterQueue: created.deadLetterQueue,
        });
      case 'apiDestination':
        return new targets.ApiDestination(apiDestination(scope, route, target), base);
    }
  }

  /** One customer managed key for every topic the routes create: the AWS managed SNS key cannot let EventBridge in. */
  private topicKey(): Key {
    this.topicKeyInstance ??= new Key(this, 'TopicKey', {
      description: 'Encrypts the SNS topics created for Auth0 event routes',
      enableKeyRotation: true,
      removalPolicy: this.removalPolicy,
    });
    return this.topicKeyInstance;
  }

  /**
   * One CloudWatch Logs resource policy for every log group the routes write to. (The stock target creates a
   * custom resource and a policy per rule, and an account has only 10 policies per region.)
   */
  private allowEventsToWriteTo(logGroup: ILogGroup): void {
    if (!this.logsPolicyStatement) {
      const stack = Stack.of(this);
      this.logsPolicyStatement = new PolicyStatement({
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'events',
              resource: 'rule',
              resourceName: `${this.props.eventBus.eventBusName}/*`,
            }),
          },
        },
      });
      new ResourcePolicy(this, 'EventsToLogsPolicy', { policyStatements: [this.logsPolicyStatement] });
    }
    this.logsPolicyStatement.addResources(logGroup.logGroupArn);
  }

  private importFunction(scope: Construct, functionArn: string) {
    const stack = Stack.of(this);
    const { account, region } = Arn.split(functionArn, ArnFormat.COLON_RESOURCE_NAME);
    const known = (value: string | undefined) => value !== undefined && !Token.isUnresolved(value);
    if (known(region) && known(stack.region) && region !== stack.region) {
      throw new RouteDefinitionError(
        `Lambda target ${functionArn} is in ${region}, but the stack deploys to ${stack.region}; EventBridge invokes functions in its own region only. Route through an eventBus target in ${region} instead.`,
      );
    }
    const sameAccount = !known(account) || !known(stack.account) || account === stack.account;
    if (!sameAccount) {
      Annotations.of(scope).addWarningV2(
        'auth0-event-bridge:crossAccountLambda',
        `Function ${functionArn} is in another account: its owner must allow events.amazonaws.com to invoke it (lambda add-permission with --source-arn of this rule).`,
      );
    }
    // Assume the stack's own account when it is not known at synth, so EventBridge gets invoke permission.
    return LambdaFunction.fromFunctionAttributes(scope, 'Imported', {
      functionArn,
      sameEnvironment: sameAccount,
      skipPermissions: !sameAccount,
    });
  }
}

/**
 * CloudFormation can only replace a queue's or topic's whole policy, so a target this stack did not create keeps
 * its own: say at synth what it must allow.
 */
function mustAllowEventBridge(scope: Construct, what: string, action: string): void {
  Annotations.of(scope).addWarningV2(
    'auth0-event-bridge:importedTargetPolicy',
    `${what} is not managed by this stack: its resource policy must allow events.amazonaws.com to ${action} (condition aws:SourceArn = this rule's ARN), and a KMS key on it must let EventBridge use it.`,
  );
}

/**
 * A CloudWatch Logs group as a rule target, with the retry policy and DLQ of every other target; the resource
 * policy letting EventBridge write is shared (see `Routes.allowEventsToWriteTo`).
 */
class LogGroupTarget implements IRuleTarget {
  public constructor(
    private readonly logGroup: ILogGroup,
    private readonly props: targets.TargetBaseProps,
  ) {}

  public bind(rule: IRule): RuleTargetConfig {
    if (this.props.deadLetterQueue)
      targets.addToDeadLetterQueueResourcePolicy(rule, this.props.deadLetterQueue);
    return {
      ...targets.bindBaseTargetConfig(this.props),
      arn: Stack.of(this.logGroup).formatArn({
        service: 'logs',
        resource: 'log-group',
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        resourceName: this.logGroup.logGroupName,
      }),
      targetResource: this.logGroup,
    };
  }
}

function apiDestination(
  scope: Construct,
  route: RouteDefinition,
  target: ApiDestinationTarget,
): ApiDestination {
  const connection = new Connection(scope, 'Connection', {
    description: `Auth0 event route "${route.id}" to ${target.endpoint}`.slice(0, 512),
    authorization: connectionAuthorization(target.auth),
  });
  return new ApiDestination(scope, 'Resource', {
    description: `Auth0 event route "${route.id}"`,
    connection,
    endpoint: target.endpoint,
    httpMethod: HttpMethod[target.httpMethod ?? 'POST'],
    rateLimitPerSecond: target.rateLimitPerSecond ?? 10,
  });
}

/** Connection credentials as `{{resolve:secretsmanager:…}}` references: resolved at deploy time, never in the template. */
function connectionAuthorization(auth: ConnectionAuth): Authorization {
  const secret = SecretValue.secretsManager(auth.secretArn, {
    ...(auth.secretJsonField ? { jsonField: auth.secretJsonField } : {}),
  });
  switch (auth.kind) {
    case 'apiKey':
      return Authorization.apiKey(auth.headerName, secret);
    case 'basic':
      return Authorization.basic(auth.username, secret);
    case 'oauthClientCredentials':
      return Authorization.oauth({
        authorizationEndpoint: auth.authorizationEndpoint,
        clientId: auth.clientId,
        clientSecret: secret,
        httpMethod: HttpMethod[auth.httpMethod ?? 'POST'],
      });
  }
}

/** The route model's pattern, with `detail-type` under the key the L2 rule renames; `$or` passes through. */
function toEventPattern(pattern: Record<string, unknown>): EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...rest, ...(detailType !== undefined ? { detailType } : {}) } as EventPattern;
}

/** The construct id of each target: its `id`, or its type numbered from the second of that type on. */
export function targetIds(route: RouteDefinition): [string, RouteTarget][] {
  const counts = new Map<string, number>();
  return route.targets.map((target) => {
    if (target.id) return [target.id, target];
    const base = DEFAULT_TARGET_IDS[target.type];
    const count = (counts.get(base) ?? 0) + 1;
    counts.set(base, count);
    return [count === 1 ? base : `${base}-${count}`, target];
  });
}

const TARGET_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

/** What the route model leaves to the stack: target ids, ARNs, retry limits, endpoints. */
function validateTargets(route: RouteDefinition): void {
  const where = `route "${route.id}"`;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [id, target] of targetIds(route)) {
    const what = `${where} target "${id}" (${target.type})`;
    if (!TARGET_ID.test(id)) problems.push(`${what}: the id must be lower-case letters, digits or dashes`);
    if (seen.has(id))
      problems.push(`${what}: another target of the route has the same id; give each an "id"`);
    seen.add(id);
    if (
      target.retryAttempts !== undefined &&
      (!Number.isInteger(target.retryAttempts) || target.retryAttempts < 0 || target.retryAttempts > 185)
    ) {
      problems.push(
        `${what}: retryAttempts must be a whole number from 0 to 185, got ${target.retryAttempts}`,
      );
    }
    if (
      target.maxEventAgeHours !== undefined &&
      (!Number.isInteger(target.maxEventAgeHours) ||
        target.maxEventAgeHours < 1 ||
        target.maxEventAgeHours > 24)
    ) {
      problems.push(
        `${what}: maxEventAgeHours must be a whole number from 1 to 24, got ${target.maxEventAgeHours}`,
      );
    }
    const arn = (value: string | undefined, service: string, label: string) => {
      if (value !== undefined && !new RegExp(`^arn:aws[a-z-]*:${service}:`).test(value)) {
        problems.push(
          `${what}: ${label} must be an ARN starting arn:aws:${service}:, got ${JSON.stringify(value)}`,
        );
      }
    };
    switch (target.type) {
      case 'sqs':
        arn(target.queueArn, 'sqs', 'queueArn');
        break;
      case 'sns':
        arn(target.topicArn, 'sns', 'topicArn');
        break;
      case 'lambda':
        arn(target.functionArn, 'lambda', 'functionArn');
        break;
      case 'eventBus':
        arn(target.eventBusArn, 'events', 'eventBusArn');
        if (target.retryAttempts !== undefined || target.maxEventAgeHours !== undefined) {
          problems.push(
            `${what}: EventBridge takes no retry policy for event bus targets (it retries them for 24 h, 185 attempts); remove retryAttempts and maxEventAgeHours`,
          );
        }
        break;
      case 'logs':
        if (target.retentionDays !== undefined && !LOG_RETENTION_DAYS.includes(target.retentionDays)) {
          problems.push(
            `${what}: retentionDays must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${target.retentionDays}`,
          );
        }
        if (target.logGroupName !== undefined && !/^[\w./#-]{1,512}$/.test(target.logGroupName)) {
          problems.push(
            `${what}: logGroupName is not a CloudWatch Logs group name: ${JSON.stringify(target.logGroupName)}`,
          );
        }
        break;
      case 'apiDestination':
        if (!/^https:\/\/[^\s]+$/.test(target.endpoint)) {
          problems.push(`${what}: endpoint must be an https:// URL, got ${JSON.stringify(target.endpoint)}`);
        }
        if (
          target.rateLimitPerSecond !== undefined &&
          (!Number.isInteger(target.rateLimitPerSecond) ||
            target.rateLimitPerSecond < 1 ||
            target.rateLimitPerSecond > 300)
        ) {
          problems.push(
            `${what}: rateLimitPerSecond must be a whole number from 1 to 300, got ${target.rateLimitPerSecond}`,
          );
        }
        arn(target.auth.secretArn, 'secretsmanager', 'auth.secretArn');
        if (
          target.auth.kind === 'oauthClientCredentials' &&
          !/^https:\/\/[^\s]+$/.test(target.auth.authorizationEndpoint)
        ) {
          problems.push(`${what}: auth.authorizationEndpoint must be an https:// URL`);
        }
        break;
    }
  }
  if (problems.length > 0) {
    throw new RouteDefinitionError(`Invalid routes in config/routes.ts:\n  - ${problems.join('\n  - ')}`);
  }
}
