import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Archive, EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { DEFAULT_SOURCE } from '../lambdas/ingest/config';
import { checkInteger, checkName } from './validation';

export const DEFAULT_BUS_NAME = 'auth0-events';
export const DEFAULT_ARCHIVE_RETENTION_DAYS = 30;

export interface Auth0EventBusProps {
  /**
   * The custom event bus name. Rule names are `<busName>-<route id>`, as in local mode.
   * @default 'auth0-events'
   */
  readonly busName?: string;
  /**
   * The `source` of every event the ingest function publishes; the archive keeps events from this source.
   * @default 'auth0.logs'
   */
  readonly eventSource?: string;
  /**
   * How many days the archive keeps events for replay; 0 keeps them forever.
   * @default 30
   */
  readonly archiveRetentionDays?: number;
  /**
   * What happens to the archive (and the events in it) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly archiveRemovalPolicy?: RemovalPolicy;
}

/** The custom event bus every Auth0 log record lands on, and the archive that makes a time window replayable. */
export class Auth0EventBus extends Construct {
  public readonly eventBus: IEventBus;
  public readonly archive: Archive;
  public readonly eventSource: string;
  public readonly busName: string;

  public constructor(scope: Construct, id: string, props: Auth0EventBusProps = {}) {
    super(scope, id);
    const where = `Auth0EventBus ${this.node.path}`;
    checkName(
      where,
      'busName',
      props.busName,
      /^(?!default$)[A-Za-z0-9._-]{1,64}$/,
      '1-64 letters, digits, ".", "_" or "-", and not "default"',
    );
    checkName(
      where,
      'eventSource',
      props.eventSource,
      /^(?!aws\.)[A-Za-z0-9._-]{1,256}$/,
      'letters, digits, ".", "_" or "-", not starting with "aws." (reserved for AWS services)',
    );
    checkInteger(
      where,
      'archiveRetentionDays',
      props.archiveRetentionDays,
      0,
      36_500,
      '0 keeps events forever',
    );

    this.busName = props.busName ?? DEFAULT_BUS_NAME;
    this.eventSource = props.eventSource ?? DEFAULT_SOURCE;
    const retentionDays = props.archiveRetentionDays ?? DEFAULT_ARCHIVE_RETENTION_DAYS;

    this.eventBus = new EventBus(this, 'EventBus', {
      eventBusName: this.busName,
      description: 'Auth0 tenant log events, one per log record (detail-type "Auth0 log")',
    });
    this.archive = new Archive(this, 'Archive', {
      sourceEventBus: this.eventBus,
      eventPattern: { source: [this.eventSource] },
      description: `Auth0 log events from ${this.eventSource}, kept for replay`,
      ...(retentionDays > 0 ? { retention: Duration.days(retentionDays) } : {}),
    });
    this.archive.applyRemovalPolicy(props.archiveRemovalPolicy ?? RemovalPolicy.RETAIN);
  }
}
