import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEFAULT_METRICS_NAMESPACE, INGEST_METRICS_SERVICE } from './ingest';
import { checkName, InvalidPropsError } from './validation';

export interface OperationsProps {
  /** The ingest function: its Errors and Throttles are alarmed on. */
  readonly ingestFunction: IFunction;
  /** Records that can never be published; any message here needs a person. */
  readonly quarantineQueue: IQueue;
  /** The dead-letter queue of each route, keyed by route id. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  /**
   * CloudWatch namespace of the ingest function's EMF metrics.
   * @default 'Auth0EventBridge'
   */
  readonly metricsNamespace?: string;
  /**
   * An existing topic every alarm notifies (on ALARM and on OK).
   * @default - none, or a new topic when `alarmEmail` is set
   */
  readonly alarmTopic?: ITopic;
  /**
   * An email address subscribed to the alarm topic (a new encrypted topic unless `alarmTopic` is given).
   * AWS sends a confirmation mail first; nothing arrives until it is confirmed.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Prefix of the alarm names, e.g. `<prefix>-ingest-errors`.
   * @default the stack name
   */
  readonly alarmNamePrefix?: string;
  /**
   * The dashboard name.
   * @default the stack name
   */
  readonly dashboardName?: string;
  /**
   * What happens to the alarm topic's key when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Alarms on everything that means a log record is late, stuck or lost, and a dashboard of the ingest flow.
 * Every alarm reads "something needs a person": no alarm fires on normal traffic.
 */
export class Operations extends Construct {
  public readonly alarmTopic?: ITopic;
  public readonly dashboard: Dashboard;
  private readonly alarmList: Alarm[] = [];
  private readonly actions: IAlarmAction[];
  /** Every alarm is named `<alarmNamePrefix>-<name>`: what `a0bridge status` looks alarms up by. */
  public readonly alarmNamePrefix: string;

  public constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const where = `Operations ${this.node.path}`;
    if (props.alarmEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.alarmEmail)) {
      throw new InvalidPropsError(
        `${where}: alarmEmail must be an email address, got ${JSON.stringify(props.alarmEmail)}`,
      );
    }
    checkName(
      where,
      'dashboardName',
      props.dashboardName,
      /^[A-Za-z0-9_-]{1,255}$/,
      '1-255 letters, digits, "_" or "-"',
    );

    const stackName = Stack.of(this).stackName;
    this.alarmNamePrefix = props.alarmNamePrefix ?? stackName;
    const namespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    const ingestMetric = (metricName: string, statistic = 'Sum', period = Duration.minutes(1)) =>
      new Metric({
        namespace,
        metricName,
        dimensionsMap: { service: INGEST_METRICS_SERVICE },
        statistic,
        period,
      });

    this.alarmTopic = props.alarmTopic ?? (props.alarmEmail ? this.createAlarmTopic(props) : undefined);
    if (props.alarmEmail && this.alarmTopic) {
      this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    }
    this.actions = this.alarmTopic ? [new SnsAction(this.alarmTopic)] : [];

    const fiveMinutes = Duration.minutes(5);
    this.addAlarm(
      'IngestErrors',
      'ingest-errors',
      props.ingestFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      'The ingest function threw (Lambda Errors). Auth0 gets a 5xx and retries the batch; read the function logs.',
    );
    this.addAlarm(
      'IngestServerErrors',
      'ingest-5xx',
      ingestMetric('ServerErrors', 'Sum', fiveMinutes),
      'The ingest function answered Auth0 with 5xx: some records were not safe yet, and Auth0 retries. After 7 days of failures Auth0 pauses the stream.',
    );
    this.addAlarm(
      'IngestThrottles',
      'ingest-throttles',
      props.ingestFunction.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      'Lambda throttled the ingest function: Auth0 gets 429/5xx and retries. Raise reserved concurrency or the account limit.',
    );
    this.addAlarm(
      'PublishFailures',
      'publish-failures',
      ingestMetric('Failed', 'Sum', fiveMinutes),
      'Records EventBridge did not accept after retries (metric Failed). They were not acknowledged to Auth0, which will retry them.',
    );
    this.alarmOnQueueDepth(
      'QuarantineDepth',
      'quarantine-depth',
      props.quarantineQueue,
      'Records in the quarantine queue: unusable (no type or log_id) or refused by EventBridge. Each message says why; they are not published until someone acts.',
    );
    for (const [routeId, queue] of props.deadLetterQueues) {
      this.alarmOnQueueDepth(
        `DeadLetters-${routeId}`,
        `dlq-${routeId}`,
        queue,
        `Events of route "${routeId}" that could not be delivered (EventBridge gave up) or processed (a consumer failed too often); they sit in the route's dead-letter queue.`,
      );
    }

    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName ?? stackName,
      defaultInterval: Duration.hours(3),
    });
    const perMinute = (metricName: string, label: string) =>
      ingestMetric(metricName).with({ label, period: Duration.minutes(1) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# Auth0 Event Bridge\nAuth0 log records received by the ingest function and published on the bus. Metrics namespace \`${namespace}\`.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Records per minute',
        width: 12,
        left: [
          perMinute('Received', 'received'),
          perMinute('Published', 'published'),
          perMinute('Duplicates', 'duplicates'),
          perMinute('Quarantined', 'quarantined'),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        title: 'Published per category, per minute',
        width: 12,
        left: [
          new MathExpression({
            expression: `SEARCH('{${namespace},Category,service} MetricName="PublishedByCategory" service="${INGEST_METRICS_SERVICE}"', 'Sum', 60)`,
            label: '',
            period: Duration.minutes(1),
            usingMetrics: {},
          }),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Ingest latency (ms)',
        width: 12,
        left: ['p50', 'p90', 'p99'].map((statistic) =>
          ingestMetric('IngestLatency', statistic).with({ label: statistic }),
        ),
        leftYAxis: { min: 0, showUnits: false },
      }),
      new GraphWidget({
        title: 'Trouble per minute',
        width: 12,
        left: [
          perMinute('Failed', 'failed (not published, Auth0 retries)'),
          perMinute('ServerErrors', '5xx responses'),
          perMinute('Unauthorized', '401 responses'),
          perMinute('PublishRetries', 'PutEvents retries'),
          perMinute('DedupWriteFailures', 'dedup write failures'),
          perMinute('SchemaWarnings', 'schema warnings'),
        ],
        right: [
          props.ingestFunction.metricErrors({ period: Duration.minutes(1), label: 'Lambda errors' }),
          props.ingestFunction.metricThrottles({ period: Duration.minutes(1), label: 'Lambda throttles' }),
        ],
        leftYAxis: { min: 0, showUnits: false },
        rightYAxis: { min: 0, showUnits: false },
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Quarantine and dead-letter queues (messages)',
        width: 12,
        left: [
          queueDepth(props.quarantineQueue, Duration.minutes(1)).with({ label: 'quarantine' }),
          ...[...props.deadLetterQueues].map(([routeId, queue]) =>
            queueDepth(queue, Duration.minutes(1)).with({ label: `dlq ${routeId}` }),
          ),
        ],
        leftYAxis: { min: 0, showUnits: false },
      }),
      // The same array: alarms added later (addAlarm) show up too, since widgets render at synth.
      new AlarmStatusWidget({ title: 'Alarms', width: 12, alarms: this.alarmList }),
    );
  }

  /** The alarms so far. */
  public get alarms(): readonly Alarm[] {
    return [...this.alarmList];
  }

  /**
   * An alarm that fires when `metric` reaches 1 in one period (missing data is fine), notifies the alarm topic
   * on ALARM and OK, and shows on the dashboard. `name` is appended to the alarm name prefix.
   */
  public addAlarm(id: string, name: string, metric: IMetric, description: string): Alarm {
    const alarm = new Alarm(this, id, {
      alarmName: `${this.alarmNamePrefix}-${name}`,
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(...this.actions);
    alarm.addOkAction(...this.actions);
    this.alarmList.push(alarm);
    return alarm;
  }

  /** An alarm on any message waiting in `queue` (a dead-letter or quarantine queue should stay empty). */
  public alarmOnQueueDepth(id: string, name: string, queue: IQueue, description: string): Alarm {
    return this.addAlarm(id, name, queueDepth(queue, Duration.minutes(5)), description);
  }

  /** A topic CloudWatch can publish to: SNS encryption needs a customer managed key whose policy lets it in. */
  private createAlarmTopic(props: OperationsProps): ITopic {
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the Auth0 Event Bridge alarm topic',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Auth0 Event Bridge alarms',
      masterKey: key,
      enforceSSL: true,
    });
    topic.grantPublish(new ServicePrincipal('cloudwatch.amazonaws.com'));
    return topic;
  }
}

function queueDepth(queue: IQueue, period: Duration): Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period });
}
