import { Annotations, Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { routes as configuredRoutes } from '../config/routes';
import { ActionRunner } from './action-runner';
import { Auth0EventBus, DEFAULT_ARCHIVE_RETENTION_DAYS } from './bus';
import type { DedupCapacityProps } from './dedup-capacity';
import { DEFAULT_CLAIM_CHECK_RETENTION_DAYS, Ingest } from './ingest';
import { ModuleRegistry } from './module-registry';
import { Operations } from './operations';
import { Routes } from './routes';
import type { RouteDefinition } from './routes/route-model';
import { LogEventSchema } from './schema';
import { checkInteger, InvalidPropsError } from './validation';

/** `DedupCapacityProps`: the dedup table's billing, on-demand (the default) or provisioned with auto scaling. */
export interface Auth0EventBridgeStackProps extends StackProps, DedupCapacityProps {
  /**
   * The custom event bus name.
   * @default 'auth0-events'
   */
  readonly busName?: string;
  /**
   * The `source` of the published events (Auth0's own EventBridge integration uses a partner source instead).
   * @default 'auth0.logs'
   */
  readonly eventSource?: string;
  /**
   * Days the archive keeps events for replay; 0 keeps them forever.
   * @default 30
   */
  readonly archiveRetentionDays?: number;
  /**
   * The routes: which log types go to which targets.
   * @default the `routes` export of config/routes.ts
   */
  readonly routes?: readonly RouteDefinition[];
  /**
   * Reserved concurrency of the ingest function. Accounts with the default 10 concurrent executions cannot
   * reserve any (Lambda keeps 10 unreserved); raise the quota before setting this.
   * @default - not reserved
   */
  readonly reservedConcurrency?: number;
  /**
   * Memory of the ingest function, in MB.
   * @default 512
   */
  readonly ingestMemorySize?: number;
  /**
   * Days a log_id is remembered to drop Auth0's redeliveries.
   * @default 7
   */
  readonly dedupTtlDays?: number;
  /**
   * Largest request body the ingest function accepts, in bytes.
   * @default 5 MiB
   */
  readonly maxBodyBytes?: number;
  /**
   * The PutEvents request size limit, in bytes (256 KiB historically, 1 MiB in regions that have raised it).
   * @default 256 KiB
   */
  readonly putEventsMaxBytes?: number;
  /**
   * Days the claim-check bucket keeps records too large for one event; 0 keeps them forever. Keep it at least
   * the archive retention (synth warns otherwise).
   * @default 90
   */
  readonly claimCheckRetentionDays?: number;
  /**
   * Days the quarantine queue and the dead-letter queues keep messages (at most 14).
   * @default 14
   */
  readonly queueRetentionDays?: number;
  /**
   * Retention of the ingest function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * CloudWatch namespace of the ingest metrics.
   * @default 'Auth0EventBridge'
   */
  readonly metricsNamespace?: string;
  /**
   * What happens to everything holding data (token secret, dedup table, queues, bucket, log groups, archive, keys)
   * when it leaves the stack, `cdk destroy` included. RETAIN loses nothing; DESTROY suits test stacks.
   * @default RemovalPolicy.RETAIN
   */
  readonly dataRemovalPolicy?: RemovalPolicy;
  /**
   * An existing SNS topic every alarm notifies.
   * @default - none (a new one if `alarmEmail` or `alarmTopicArn` is set)
   */
  readonly alarmTopic?: ITopic;
  /**
   * The ARN of an existing SNS topic every alarm notifies; for the app's context, where no ITopic exists.
   * Prefer `alarmTopic` in code.
   * @default - none
   */
  readonly alarmTopicArn?: string;
  /**
   * An email address that receives the alarms (confirm the subscription mail first).
   * @default - no email
   */
  readonly alarmEmail?: string;
  /**
   * The EventBridge schema registry holding the `Auth0 log` event schema.
   * @default the bus name
   */
  readonly schemaRegistryName?: string;
  /**
   * Action Module secrets are named `<modulesSecretsPrefix>/modules/<module id>` in Secrets Manager.
   * @default the bus name
   */
  readonly modulesSecretsPrefix?: string;
  /**
   * How long an action may run on one event, in seconds; a longer run fails and is retried.
   * @default 20
   */
  readonly actionTimeoutSeconds?: number;
  /**
   * Days action executions are kept.
   * @default 10
   */
  readonly actionExecutionTtlDays?: number;
}

/**
 * The whole bridge in one stack: the bus and its archive, the ingest function Auth0 posts to, the routes from
 * config/routes.ts, the event schema, and the alarms and dashboard.
 */
export class Auth0EventBridgeStack extends Stack {
  public readonly bus: Auth0EventBus;
  public readonly ingest: Ingest;
  public readonly routes: Routes;
  public readonly schema: LogEventSchema;
  public readonly operations: Operations;
  public readonly modules: ModuleRegistry;
  public readonly actions: ActionRunner;

  public constructor(scope: Construct, id: string, props: Auth0EventBridgeStackProps = {}) {
    super(scope, id, {
      description:
        'Auth0 Event Bridge: Auth0 log streams onto Amazon EventBridge, exactly once, routed by log type, Actions trigger or event type',
      ...props,
    });
    const where = `Auth0EventBridgeStack ${this.node.path}`;
    if (props.alarmTopic && props.alarmTopicArn) {
      throw new InvalidPropsError(`${where}: set alarmTopic or alarmTopicArn, not both`);
    }
    checkInteger(where, 'queueRetentionDays', props.queueRetentionDays, 1, 14);
    const dataRemovalPolicy = props.dataRemovalPolicy ?? RemovalPolicy.RETAIN;
    const archiveDays = props.archiveRetentionDays ?? DEFAULT_ARCHIVE_RETENTION_DAYS;
    const claimCheckDays = props.claimCheckRetentionDays ?? DEFAULT_CLAIM_CHECK_RETENTION_DAYS;
    if (claimCheckDays > 0 && (archiveDays === 0 || archiveDays > claimCheckDays)) {
      Annotations.of(this).addWarningV2(
        'auth0-event-bridge:claimCheckRetention',
        `The archive keeps events ${archiveDays === 0 ? 'forever' : `${archiveDays} days`} but claim-check objects expire after ${claimCheckDays} days: replayed pointer events (detail.claim_check) older than that point at deleted objects. Raise claimCheckRetentionDays to keep them.`,
      );
    }

    // Construct ids below are a contract: renaming one replaces its resources (and the data in them).
    this.bus = new Auth0EventBus(this, 'Bus', {
      busName: props.busName,
      eventSource: props.eventSource,
      archiveRetentionDays: props.archiveRetentionDays,
      archiveRemovalPolicy: dataRemovalPolicy,
    });
    const { eventBus, eventSource, busName } = this.bus;

    this.ingest = new Ingest(this, 'Ingest', {
      eventBus,
      eventSource,
      reservedConcurrency: props.reservedConcurrency,
      memorySize: props.ingestMemorySize,
      dedupTtlDays: props.dedupTtlDays,
      dedupBilling: props.dedupBilling,
      dedupMinWriteCapacity: props.dedupMinWriteCapacity,
      dedupMaxWriteCapacity: props.dedupMaxWriteCapacity,
      dedupTargetUtilization: props.dedupTargetUtilization,
      maxBodyBytes: props.maxBodyBytes,
      putEventsMaxBytes: props.putEventsMaxBytes,
      quarantineRetentionDays: props.queueRetentionDays,
      claimCheckRetentionDays: props.claimCheckRetentionDays,
      logRetention: props.logRetention,
      metricsNamespace: props.metricsNamespace,
      removalPolicy: dataRemovalPolicy,
    });

    this.routes = new Routes(this, 'Routes', {
      eventBus,
      eventSource,
      routes: props.routes ?? configuredRoutes,
      ruleNamePrefix: busName,
      logGroupPrefix: busName,
      queueRetentionDays: props.queueRetentionDays,
      removalPolicy: dataRemovalPolicy,
    });

    this.schema = new LogEventSchema(this, 'Schema', {
      registryName: props.schemaRegistryName ?? busName,
      eventSource,
    });

    this.modules = new ModuleRegistry(this, 'Modules', {
      secretsPrefix: props.modulesSecretsPrefix ?? busName,
      logRetention: props.logRetention,
      metricsNamespace: this.ingest.metricsNamespace,
      removalPolicy: dataRemovalPolicy,
    });

    // Actions' secrets sit beside their modules' secrets: `<prefix>/actions/<id>`.
    this.actions = new ActionRunner(this, 'Actions', {
      eventBus,
      logEventSource: eventSource,
      management: this.modules,
      secretsPrefix: props.modulesSecretsPrefix ?? busName,
      timeoutSeconds: props.actionTimeoutSeconds,
      executionTtlDays: props.actionExecutionTtlDays,
      deadLetterRetentionDays: props.queueRetentionDays,
      logRetention: props.logRetention,
      removalPolicy: dataRemovalPolicy,
    });

    const alarmTopic =
      props.alarmTopic ??
      (props.alarmTopicArn ? Topic.fromTopicArn(this, 'ImportedAlarmTopic', props.alarmTopicArn) : undefined);
    this.operations = new Operations(this, 'Operations', {
      ingestFunction: this.ingest.function,
      quarantineQueue: this.ingest.quarantineQueue,
      deadLetterQueues: this.routes.deadLetterQueues,
      metricsNamespace: this.ingest.metricsNamespace,
      alarmTopic,
      alarmEmail: props.alarmEmail,
      removalPolicy: dataRemovalPolicy,
    });

    this.operations.addAlarm(
      'ModulesErrors',
      'modules-errors',
      this.modules.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      'The Action Modules management function threw: a request failed with 502. Read its log group.',
    );
    this.operations.alarmOnQueueDepth(
      'ActionsDeadLetters',
      'actions-dlq',
      this.actions.deadLetterQueue,
      'Events an action failed on after every retry (or that EventBridge could not deliver to it) sit in the actions dead-letter queue; the executions say why.',
    );

    // The operator's routes on the management API: a0bridge quarantine, replay and status.
    this.modules.serveOperations({
      quarantineQueue: this.ingest.quarantineQueue,
      claimCheckBucket: this.ingest.claimCheckBucket,
      ingestUrl: this.ingest.functionUrl.url,
      tokenSecret: this.ingest.tokenSecret,
      dedupTable: this.ingest.dedupTable,
      eventBus,
      archive: this.bus.archive,
      archiveRetentionDays: archiveDays,
      busName,
      routes: this.routes.routes,
      deadLetterQueues: [...this.routes.deadLetterQueues.values(), this.actions.deadLetterQueue],
      alarmNamePrefix: this.operations.alarmNamePrefix,
      alarms: () => this.operations.alarms,
      metricsNamespace: this.ingest.metricsNamespace,
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const { eventBus } = this.bus;
    const url = this.ingest.functionUrl.url;
    const secretArn = this.ingest.tokenSecret.secretArn;
    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });

    output('IngestUrl', url, 'The Function URL Auth0 posts log batches to');
    output('EventBusName', eventBus.eventBusName, 'The event bus every Auth0 log record is published on');
    output('EventBusArn', eventBus.eventBusArn, 'The event bus ARN');
    output('ArchiveArn', this.bus.archive.archiveArn, 'The archive to replay from (aws events start-replay)');
    output(
      'ReadTokenCommand',
      `aws secretsmanager get-secret-value --region ${Aws.REGION} --secret-id ${secretArn} --query SecretString --output text | node -p "JSON.parse(require('fs').readFileSync(0, 'utf8')).token"`,
      'Prints the ingest token (it is never in the template or the outputs)',
    );
    output('Auth0WebhookPayloadUrl', url, 'Auth0 > Monitoring > Streams > Custom Webhook: Payload URL');
    output(
      'Auth0WebhookAuthorization',
      'Bearer <the token printed by ReadTokenCommand>',
      'Auth0 Custom Webhook: Authorization Token',
    );
    output('Auth0WebhookContentType', 'application/json', 'Auth0 Custom Webhook: Content Type');
    output(
      'Auth0WebhookContentFormat',
      'JSON Array (JSON Lines and JSON Object work too)',
      'Auth0 Custom Webhook: Content Format',
    );
    output(
      'ReplayCommand',
      `aws events start-replay --region ${Aws.REGION} --replay-name auth0-replay-<name> --event-source-arn ${this.bus.archive.archiveArn} --destination Arn=${eventBus.eventBusArn} --event-start-time <from, ISO 8601> --event-end-time <to, ISO 8601>`,
      'Replays a time window from the archive onto the bus (starts after about 10 minutes, not in order)',
    );
    output(
      'ModulesApiUrl',
      `${this.modules.functionUrl.url}api/v2/actions/modules`,
      'Action Modules management API (AWS_IAM auth: a0bridge modules … --endpoint <this URL without the path>)',
    );
    output('DashboardName', this.operations.dashboard.dashboardName, 'The CloudWatch dashboard');
    output(
      'SchemaRegistryName',
      this.schema.registry.attrRegistryName,
      'EventBridge schema registry with the "Auth0 log" event schema (download code bindings)',
    );
    if (this.operations.alarmTopic) {
      output('AlarmTopicArn', this.operations.alarmTopic.topicArn, 'The SNS topic the alarms notify');
    }
    for (const route of this.routes.routes) {
      const name = pascalCase(route.definition.id);
      for (const [targetId, queue] of route.createdQueues) {
        output(
          `Route${name}${pascalCase(targetId)}Url`,
          queue.queueUrl,
          `Queue of route "${route.definition.id}"`,
        );
      }
      for (const [targetId, topic] of route.createdTopics) {
        output(
          `Route${name}${pascalCase(targetId)}Arn`,
          topic.topicArn,
          `Topic of route "${route.definition.id}"`,
        );
      }
      for (const [targetId, logGroup] of route.createdLogGroups) {
        output(
          `Route${name}${pascalCase(targetId)}Name`,
          logGroup.logGroupName,
          `Log group of route "${route.definition.id}"`,
        );
      }
    }
  }
}

function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
