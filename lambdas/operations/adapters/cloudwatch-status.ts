import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type DescribeAlarmsCommandOutput,
  GetMetricDataCommand,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FiringAlarm, IngestActivity, StatusPort, WatchedQueue } from '../ports';

export interface CloudWatchStatusProps {
  /** The ingest's EMF namespace; its metrics carry the one dimension `service=ingest`. */
  readonly namespace: string;
  /** The stack's alarms are `<alarmNamePrefix><name>`, e.g. `Auth0EventBridge-dlq-failed-logins`. */
  readonly alarmNamePrefix: string;
  /**
   * The stack's alarms by name, so that another stack's alarms with the same prefix are left out.
   * @default every alarm of the prefix
   */
  readonly alarmNames?: readonly string[];
  /** The quarantine's queue URL: its alarm is not a dead-letter queue. */
  readonly quarantineQueueUrl: string;
}

const COUNTS = ['Received', 'Published', 'Duplicates', 'Quarantined', 'Failed'] as const;
const MAX_PAGES = 10;
const SERVICE = 'ingest';

/**
 * A deployed stack's state from CloudWatch: the ingest's EMF metrics (GetMetricData), and its alarms
 * (DescribeAlarms). The dead-letter queues are found through their alarms (every DLQ has one, on
 * `ApproximateNumberOfMessagesVisible` of its QueueName), so no list of queues has to be configured.
 */
export class CloudWatchStatus implements StatusPort {
  public readonly mode = 'aws' as const;

  public constructor(
    private readonly cloudWatch: CloudWatchClient,
    private readonly sqs: SQSClient,
    private readonly props: CloudWatchStatusProps,
  ) {}

  public async ingestActivity(since: Date, until: Date): Promise<IngestActivity> {
    // One-minute data is kept 15 days; longer windows read hours.
    const period = until.getTime() - since.getTime() <= 15 * 24 * 3600 * 1000 ? 60 : 3600;
    const queries: MetricDataQuery[] = COUNTS.map((name) => ({
      Id: name.toLowerCase(),
      MetricStat: {
        Metric: {
          Namespace: this.props.namespace,
          MetricName: name,
          Dimensions: [{ Name: 'service', Value: SERVICE }],
        },
        Period: period,
        Stat: 'Sum',
      },
      ReturnData: true,
    }));
    const sums: Record<string, number> = {};
    let lastDelivery: number | undefined;
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const output = await this.cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries,
          StartTime: since,
          EndTime: until,
          ScanBy: 'TimestampDescending',
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const result of output.MetricDataResults ?? []) {
        const id = result.Id ?? '';
        const values = result.Values ?? [];
        sums[id] = (sums[id] ?? 0) + values.reduce((total, value) => total + value, 0);
        if (id !== 'received') continue;
        values.forEach((value, index) => {
          const at = result.Timestamps?.[index]?.getTime();
          if (value > 0 && at !== undefined && (lastDelivery === undefined || at > lastDelivery))
            lastDelivery = at;
        });
      }
      nextToken = output.NextToken;
      if (!nextToken) break;
    }
    return {
      ...(lastDelivery === undefined ? {} : { lastDeliveryAt: new Date(lastDelivery) }),
      received: sums.received ?? 0,
      published: sums.published ?? 0,
      duplicates: sums.duplicates ?? 0,
      quarantined: sums.quarantined ?? 0,
      failed: sums.failed ?? 0,
      source: `CloudWatch metrics (namespace ${this.props.namespace}, service=${SERVICE}, ${period === 60 ? 'per minute' : 'per hour'})`,
    };
  }

  public async deadLetterQueues(): Promise<readonly WatchedQueue[]> {
    const quarantineName = this.props.quarantineQueueUrl.split('/').at(-1);
    const watched: WatchedQueue[] = [];
    for (const alarm of await this.alarms()) {
      const queueName = alarm.Dimensions?.find(({ Name }) => Name === 'QueueName')?.Value;
      if (
        alarm.Namespace !== 'AWS/SQS' ||
        alarm.MetricName !== 'ApproximateNumberOfMessagesVisible' ||
        !queueName ||
        queueName === quarantineName
      ) {
        continue;
      }
      const { QueueUrl } = await this.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
      if (QueueUrl) watched.push({ name: this.shortName(alarm.AlarmName ?? queueName), url: QueueUrl });
    }
    return watched;
  }

  public async alarmsInAlarm(): Promise<readonly FiringAlarm[]> {
    // Filtered here as well: an emulator may apply only the name prefix.
    const firing = (await this.alarms('ALARM')).filter(({ StateValue }) => StateValue === 'ALARM');
    return firing.map((alarm) => ({
      name: alarm.AlarmName ?? '(unnamed)',
      ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
      ...(alarm.StateUpdatedTimestamp ? { since: alarm.StateUpdatedTimestamp } : {}),
    }));
  }

  private async alarms(state?: 'ALARM'): Promise<NonNullable<DescribeAlarmsCommandOutput['MetricAlarms']>> {
    const names = this.props.alarmNames ?? [];
    // By name, 100 at a time (DescribeAlarms' limit), or by prefix when no names are known.
    const selections =
      names.length > 0
        ? Array.from({ length: Math.ceil(names.length / 100) }, (_, i) => ({
            AlarmNames: names.slice(i * 100, i * 100 + 100),
          }))
        : [{ AlarmNamePrefix: this.props.alarmNamePrefix }];
    const alarms: NonNullable<DescribeAlarmsCommandOutput['MetricAlarms']> = [];
    for (const selection of selections) {
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const output = await this.cloudWatch.send(
          new DescribeAlarmsCommand({
            ...selection,
            ...(state ? { StateValue: state } : {}),
            MaxRecords: 100,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
        alarms.push(...(output.MetricAlarms ?? []));
        nextToken = output.NextToken;
        if (!nextToken) break;
      }
    }
    return alarms;
  }

  private shortName(alarmName: string): string {
    return alarmName.startsWith(this.props.alarmNamePrefix)
      ? alarmName.slice(this.props.alarmNamePrefix.length)
      : alarmName;
  }
}
