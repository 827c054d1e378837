import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { FunctionUrlAuthType, type IFunction, type IFunctionUrl, InvokeMode } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DEFAULT_DEDUP_TTL_DAYS,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_PUT_EVENTS_MAX_BYTES,
  DEFAULT_SOURCE,
  ingestEnvironment,
} from '../lambdas/ingest/config';
import { createBridgeFunction } from './bridge-function';
import { type DedupCapacityProps, dedupTableBilling } from './dedup-capacity';
import { checkInteger, InvalidPropsError } from './validation';

export const DEFAULT_METRICS_NAMESPACE = 'Auth0EventBridge';
export const DEFAULT_CLAIM_CHECK_RETENTION_DAYS = 90;
/** The `service` dimension the ingest function's metrics carry (Powertools `serviceName`). */
export const INGEST_METRICS_SERVICE = 'ingest';
/** Claim-check objects are written under these prefixes (lambdas/ingest/event.ts and the SQS quarantine). */
export const CLAIM_CHECK_PREFIXES = ['claim-check/', 'quarantine/'] as const;

/** Function URLs take at most 6 MB per request; a larger limit could never be reached. */
const FUNCTION_URL_MAX_BYTES = 6 * 1024 * 1024;
const INGEST_TIMEOUT_SECONDS = 30;
/**
 * No source-mapped stack traces for the ingest: reading its source map cost every cold start 8-12% more CPU
 * (bench/cold-start.ts measures both ways), on the path of every Auth0 delivery, for traces it rarely logs. The
 * map is still in the asset.
 */
export const INGEST_SOURCE_MAP_STACK_TRACES = false;

/**
 * Files built beside the ingest bundle and loaded only when a request needs them (bench/cold-start.ts builds
 * them the same way): the claim-check store and the quarantine with their S3 and SQS clients, about a third of
 * the code, and the Actions event receiver with its validators, which every cold start would otherwise compile.
 */
export const INGEST_LAZY_ENTRIES: Readonly<Record<string, string>> = {
  rare: 'lambdas/ingest/rare.ts',
  'action-events/receive': 'lambdas/ingest/action-events/receive.ts',
};

export interface IngestProps extends DedupCapacityProps {
  /** The bus the function publishes to (PutEvents is granted on this bus only). */
  readonly eventBus: IEventBus;
  /**
   * The `source` of the events the function publishes.
   * @default 'auth0.logs'
   */
  readonly eventSource?: string;
  /**
   * Reserved concurrency for the ingest function. New accounts have a total of 10 concurrent executions and
   * Lambda keeps 10 unreserved, so reserving any fails the deploy there; raise the account quota first.
   * @default - not reserved (the function uses the account's unreserved pool)
   */
  readonly reservedConcurrency?: number;
  /**
   * Memory for the ingest function, in MB (CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * How long a log_id is remembered, so that Auth0's redeliveries are not published twice.
   * @default 7
   */
  readonly dedupTtlDays?: number;
  /**
   * Largest request body accepted, in bytes; larger ones get 413.
   * @default 5 MiB
   */
  readonly maxBodyBytes?: number;
  /**
   * The PutEvents request size limit the publisher packs entries against (EventBridge: 256 KiB, 1 MiB since 2026).
   * @default 256 KiB
   */
  readonly putEventsMaxBytes?: number;
  /**
   * How many days quarantined records stay in the quarantine queue (SQS allows at most 14).
   * @default 14
   */
  readonly quarantineRetentionDays?: number;
  /**
   * How many days claim-check objects (records too large for one event) and large quarantined records are kept.
   * Keep this at least as long as the archive retention, or replayed pointer events point at deleted objects;
   * 0 keeps them forever.
   * @default 90
   */
  readonly claimCheckRetentionDays?: number;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * CloudWatch namespace of the function's EMF metrics.
   * @default 'Auth0EventBridge'
   */
  readonly metricsNamespace?: string;
  /**
   * What happens to the token secret, dedup table, quarantine queue, claim-check bucket and log group when they
   * leave the stack (including `cdk destroy`).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The ingest side: the Lambda function behind a Function URL that Auth0's Custom Webhook log stream posts to,
 * and what it needs to publish every record exactly once: the token secret, the dedup table, the quarantine
 * queue and the claim-check bucket.
 */
export class Ingest extends Construct {
  public readonly function: IFunction;
  public readonly functionUrl: IFunctionUrl;
  public readonly tokenSecret: ISecret;
  public readonly dedupTable: ITableV2;
  public readonly quarantineQueue: IQueue;
  public readonly claimCheckBucket: IBucket;
  public readonly metricsNamespace: string;

  public constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const where = `Ingest ${this.node.path}`;
    validate(where, props);
    const dedupBilling = dedupTableBilling(where, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;

    const tokenSecret = new Secret(this, 'TokenSecret', {
      description:
        'Token Auth0 sends in the Authorization header of the Custom Webhook log stream: {"token": "..."}, plus "previous_token" during a rotation',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'token',
        excludePunctuation: true,
        includeSpace: false,
        passwordLength: 64,
      },
      removalPolicy,
    });
    Validations.of(tokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The token is shared with Auth0 (pasted into the log stream settings), so an automatic rotation would lock Auth0 out until someone updates the stream. It is rotated by hand without downtime: the function accepts "token" and "previous_token" at once (README, "The token").',
    });
    this.tokenSecret = tokenSecret;

    const dedupTable = new TableV2(this, 'DedupTable', {
      partitionKey: { name: 'log_id', type: AttributeType.STRING },
      billing: dedupBilling,
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    this.dedupTable = dedupTable;

    const quarantineQueue = new Queue(this, 'QuarantineQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(props.quarantineRetentionDays ?? 14),
      removalPolicy,
    });
    Validations.of(quarantineQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The quarantine queue is itself the dead end for unusable log records (kept with the reason, for a person to inspect); a redrive target behind it would add nothing.',
    });
    this.quarantineQueue = quarantineQueue;

    const claimCheckDays = props.claimCheckRetentionDays ?? DEFAULT_CLAIM_CHECK_RETENTION_DAYS;
    const claimCheckBucket = new Bucket(this, 'ClaimCheckBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-claim-checks',
          ...(claimCheckDays > 0 ? { expiration: Duration.days(claimCheckDays) } : {}),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });
    Validations.of(claimCheckBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the ingest function writes to this bucket (under claim-check/ and quarantine/) and subscribers read single keys named in events; server access logs would need a second bucket for little audit value. Enable CloudTrail S3 data events if object-level audit is required.',
    });
    this.claimCheckBucket = claimCheckBucket;

    const { function: fn, role } = createBridgeFunction(this, {
      entry: 'lambdas/ingest/handler.ts',
      description:
        'Receives Auth0 Custom Webhook log stream batches and publishes each record once to EventBridge',
      roleDescription: 'Auth0 log stream ingest function',
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(INGEST_TIMEOUT_SECONDS),
      reservedConcurrency: props.reservedConcurrency,
      logRetention: props.logRetention,
      removalPolicy,
      sourceMapStackTraces: INGEST_SOURCE_MAP_STACK_TRACES,
      lazyEntries: INGEST_LAZY_ENTRIES,
      environment: {
        ...ingestEnvironment(
          {
            busName: props.eventBus.eventBusName,
            tokenSecretId: tokenSecret.secretArn,
            dedupTableName: dedupTable.tableName,
            quarantineQueueUrl: quarantineQueue.queueUrl,
            claimCheckBucket: claimCheckBucket.bucketName,
          },
          {
            eventSource: props.eventSource ?? DEFAULT_SOURCE,
            dedupTtlDays: props.dedupTtlDays ?? DEFAULT_DEDUP_TTL_DAYS,
            // A claim must outlive the invocation holding it, or a slow invocation and Auth0's retry both publish.
            dedupLeaseSeconds: INGEST_TIMEOUT_SECONDS * 4,
            maxBodyBytes: props.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
            putEventsMaxBytes: props.putEventsMaxBytes ?? DEFAULT_PUT_EVENTS_MAX_BYTES,
          },
        ),
        POWERTOOLS_METRICS_NAMESPACE: this.metricsNamespace,
      },
    });
    this.function = fn;

    this.functionUrl = fn.addFunctionUrl({
      // Auth0 cannot sign requests with SigV4; it sends the token from the secret, which the handler checks.
      authType: FunctionUrlAuthType.NONE,
      invokeMode: InvokeMode.BUFFERED,
    });

    props.eventBus.grantPutEventsTo(fn);
    tokenSecret.grantRead(fn);
    // Claims: PartiQL INSERTs in batches of 25, reads of the records already claimed, and one conditional put
    // (or an update) for each delivery's outcome (lambdas/shared/dynamodb-leases.ts).
    dedupTable.grant(
      fn,
      'dynamodb:PartiQLInsert',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
    );
    quarantineQueue.grantSendMessages(fn);
    for (const prefix of CLAIM_CHECK_PREFIXES) claimCheckBucket.grantPut(fn, `${prefix}*`);

    const defaultPolicy = role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      const bucketArn = Stack.of(this).getLogicalId(claimCheckBucket.node.defaultChild as CfnBucket);
      Validations.of(defaultPolicy).acknowledge(
        ...CLAIM_CHECK_PREFIXES.map((prefix) => ({
          id: `AwsSolutions-IAM5[Resource::<${bucketArn}.Arn>/${prefix}*]`,
          reason: `Object keys under ${prefix} are one per log_id and not known in advance; the grant is limited to that prefix of the claim-check bucket.`,
        })),
        {
          id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
          reason:
            'Part of Bucket.grantPut (AbortMultipartUpload), on the same two key prefixes; the function never starts multipart uploads.',
        },
      );
    }
  }
}

function validate(where: string, props: IngestProps): void {
  checkInteger(where, 'reservedConcurrency', props.reservedConcurrency, 1, 10_000);
  checkInteger(where, 'memorySize', props.memorySize, 128, 10_240);
  checkInteger(where, 'dedupTtlDays', props.dedupTtlDays, 1, 365);
  checkInteger(
    where,
    'maxBodyBytes',
    props.maxBodyBytes,
    1024,
    FUNCTION_URL_MAX_BYTES,
    'a Function URL takes at most 6 MiB',
  );
  checkInteger(where, 'putEventsMaxBytes', props.putEventsMaxBytes, 1024, 1024 * 1024);
  checkInteger(where, 'quarantineRetentionDays', props.quarantineRetentionDays, 1, 14);
  checkInteger(
    where,
    'claimCheckRetentionDays',
    props.claimCheckRetentionDays,
    0,
    36_500,
    '0 keeps them forever',
  );
  if (props.metricsNamespace !== undefined && !/^[A-Za-z0-9._\-/#:]{1,255}$/.test(props.metricsNamespace)) {
    throw new InvalidPropsError(
      `${where}: metricsNamespace must be 1-255 letters, digits or . _ - / # :, got ${JSON.stringify(props.metricsNamespace)}`,
    );
  }
}
