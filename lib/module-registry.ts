import { Aws, Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { Alarm, CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnRule, IEventBus, IRule } from 'aws-cdk-lib/aws-events';
import { Grant, type IGrantable, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  FunctionUrlAuthType,
  type IFunctionUrl,
  InvokeMode,
  type Function as LambdaFunction,
} from 'aws-cdk-lib/aws-lambda';
import type { ICommandHooks } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MODULES_TABLE_KEYS } from '../lambdas/modules/adapters/dynamodb-store';
import { DEFAULT_ARTIFACTS_PREFIX, modulesEnvironment } from '../lambdas/modules/config';
import {
  defaultRuleName,
  encodeRoutes,
  operationsEnvironment,
  replayPrefixFor,
} from '../lambdas/operations/config';
import { createBridgeFunction, shellQuote } from './bridge-function';
import type { RouteDefinition } from './routes/route-model';
import { checkInteger, checkName } from './validation';

/** Where the ingest's quarantine stores records too large for SQS (lambdas/ingest/adapters/sqs-quarantine.ts). */
export const QUARANTINE_RECORDS_PREFIX = 'quarantine/';

/** Where built module versions are stored in the artifacts bucket (lambdas/modules/config.ts). */
export const MODULE_ARTIFACTS_PREFIX = DEFAULT_ARTIFACTS_PREFIX;
const TIMEOUT_SECONDS = 90;

/**
 * esbuild-wasm is the one package the management function does not bundle: its lib/main.js runs
 * `node bin/esbuild`, which reads esbuild.wasm and wasm_exec_node.js from its package directory by path. The
 * builder resolves it from the bundle's directory (lambdas/modules/adapters/esbuild-builder.ts), so the copy
 * `npm ci` installed is copied to node_modules/esbuild-wasm beside index.mjs: synth installs nothing and asks
 * no registry. The input directory is the project root, locally and in Docker (where it is mounted).
 */
export const ESBUILD_WASM_BESIDE_BUNDLE: ICommandHooks = {
  beforeBundling: () => [],
  beforeInstall: () => [],
  afterBundling: (inputDir, outputDir) => {
    const from = `${inputDir}/node_modules/esbuild-wasm`;
    const to = `${outputDir}/node_modules`;
    return [
      `test -f ${shellQuote(`${from}/esbuild.wasm`)} || { echo ${shellQuote(`esbuild-wasm is not installed in ${from}: run npm ci.`)} >&2; exit 1; }`,
      `mkdir -p ${shellQuote(to)}`,
      `cp -R ${shellQuote(from)} ${shellQuote(`${to}/esbuild-wasm`)}`,
    ];
  },
};

/** What the management function needs to serve the operator's routes (`ModuleRegistry.serveOperations`). */
export interface ManagementOperationsProps {
  /** The ingest's quarantine: listed, and emptied by the redrive once a record is safe. */
  readonly quarantineQueue: IQueue;
  /** The bucket the quarantine stores large records in, under `quarantine/`. */
  readonly claimCheckBucket: IBucket;
  /** The ingest URL the redrive posts to, as Auth0 does. */
  readonly ingestUrl: string;
  /** The secret holding the ingest token (`{"token": …}`). */
  readonly tokenSecret: ISecret;
  /** The ingest's dedup table (partition key `log_id`). */
  readonly dedupTable: ITableV2;
  readonly eventBus: IEventBus;
  /** The bus's archive, replayed onto the bus. */
  readonly archive: { readonly archiveArn: string };
  /** Days the archive keeps events; 0 keeps them forever. */
  readonly archiveRetentionDays: number;
  /** The bus name: replays are named `<busName>-replay-…`. */
  readonly busName: string;
  /** Each route's definition and rule: a replay for codes or categories goes to the rules that take them. */
  readonly routes: ReadonlyArray<{ readonly definition: RouteDefinition; readonly rule: IRule }>;
  /** The route dead-letter queues and the actions dead-letter queue: their depth is in the status. */
  readonly deadLetterQueues: readonly IQueue[];
  /** The stack's alarms are named `<alarmNamePrefix>-<name>`. */
  readonly alarmNamePrefix: string;
  /**
   * The stack's alarms (all of them, those added later too: read at synth), so that `a0bridge status` reads
   * exactly these, not another stack's of the same prefix.
   */
  readonly alarms: () => readonly Alarm[];
  /** The ingest's EMF namespace. */
  readonly metricsNamespace: string;
}

export interface ModuleRegistryProps {
  /**
   * Module secrets are named `<secretsPrefix>/modules/<module id>`; the function may touch those secrets only.
   */
  readonly secretsPrefix: string;
  /**
   * Memory of the management function, in MB. Builds run esbuild (WebAssembly), which wants a fair amount.
   * @default 1024
   */
  readonly memorySize?: number;
  /**
   * Retention of the management function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * CloudWatch namespace of the management function's metrics.
   * @default 'Auth0EventBridge'
   */
  readonly metricsNamespace?: string;
  /**
   * What happens to the registry table, the artifacts bucket and the log group when they leave the stack.
   * Module secrets are created by the function, not the stack, and are never deleted by CloudFormation.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The Action Modules registry: a DynamoDB table of modules, drafts and immutable versions, a bucket of built
 * versions, and the management function that serves Auth0's `/api/v2/actions/modules…` API behind a Function
 * URL with AWS_IAM auth. Module secrets live in Secrets Manager, one secret per module, under a name prefix.
 */
export class ModuleRegistry extends Construct {
  public readonly table: ITableV2;
  public readonly artifactsBucket: IBucket;
  /** A Function (not only an IFunction), so that the action runner can add its environment to it. */
  public readonly function: LambdaFunction;
  public readonly functionUrl: IFunctionUrl;
  /** The ARN pattern of every module secret. */
  public readonly secretsArnPattern: string;
  /** The ARN pattern of every action secret (`<prefix>/actions/<action id>`), written by the same function. */
  public readonly actionSecretsArnPattern: string;

  public constructor(scope: Construct, id: string, props: ModuleRegistryProps) {
    super(scope, id);
    const where = `ModuleRegistry ${this.node.path}`;
    checkName(
      where,
      'secretsPrefix',
      props.secretsPrefix,
      /^[A-Za-z0-9/_+=.@-]{1,200}$/,
      'a Secrets Manager name prefix',
    );
    checkInteger(where, 'memorySize', props.memorySize, 256, 10_240);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const table = new TableV2(this, 'Table', {
      partitionKey: { name: MODULES_TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: MODULES_TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy,
    });
    this.table = table;

    // Versions are immutable and content-addressed: objects are never rewritten, and no lifecycle deletes them
    // while a version may point at them. Versioning keeps an accidental overwrite or delete recoverable.
    const artifactsBucket = new Bucket(this, 'ArtifactsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-overwritten-copies', noncurrentVersionExpiration: Duration.days(30) },
      ],
      removalPolicy,
    });
    Validations.of(artifactsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the management function writes here, one immutable object per distinct build; who published what is in the registry table and the function logs. Enable CloudTrail S3 data events if object-level audit is required.',
    });
    this.artifactsBucket = artifactsBucket;

    const { function: fn, role } = createBridgeFunction(this, {
      entry: 'lambdas/modules/handler.ts',
      description: "Serves Auth0's Action Modules management API: drafts, versions, secrets, builds",
      roleDescription: 'Auth0 Action Modules management API',
      memorySize: props.memorySize ?? 1024,
      // Publishing downloads npm packages and builds; a cold build starts esbuild's WebAssembly.
      timeout: Duration.seconds(TIMEOUT_SECONDS),
      logRetention: props.logRetention,
      removalPolicy,
      environment: {
        ...modulesEnvironment({
          tableName: table.tableName,
          secretsPrefix: props.secretsPrefix,
          artifactsBucket: artifactsBucket.bucketName,
          artifactsPrefix: MODULE_ARTIFACTS_PREFIX,
        }),
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'Auth0EventBridge',
      },
      commandHooks: ESBUILD_WASM_BESIDE_BUNDLE,
    });
    this.function = fn;

    this.functionUrl = fn.addFunctionUrl({
      authType: FunctionUrlAuthType.AWS_IAM,
      invokeMode: InvokeMode.BUFFERED,
    });

    table.grantReadWriteData(fn);
    artifactsBucket.grantPut(fn, `${MODULE_ARTIFACTS_PREFIX}*`);
    // Pseudo parameters, not the stack's env: the ARN reads the same in every template (and in cdk-nag's ids).
    this.secretsArnPattern = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${props.secretsPrefix}/modules/*`;
    this.actionSecretsArnPattern = `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${props.secretsPrefix}/actions/*`;
    // Secrets are created at run time, one per module, so no ISecret exists to grant on: the statement is
    // scoped to the name prefix instead.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:DeleteSecret',
          'secretsmanager:TagResource',
        ],
        resources: [this.secretsArnPattern, this.actionSecretsArnPattern],
      }),
    );

    const defaultPolicy = role.node.tryFindChild('DefaultPolicy');
    if (defaultPolicy) {
      const bucketId = Stack.of(this).getLogicalId(artifactsBucket.node.defaultChild as CfnBucket);
      Validations.of(defaultPolicy).acknowledge(
        {
          id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${MODULE_ARTIFACTS_PREFIX}*]`,
          reason:
            'Artifact keys are the SHA-256 of each build, unknown in advance; the grant is limited to the artifacts prefix of the registry bucket.',
        },
        {
          id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
          reason:
            'Part of Bucket.grantPut (AbortMultipartUpload), on the artifacts prefix only; the function never starts multipart uploads.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretsPrefix}/modules/*]`,
          reason:
            "One secret per module, created by the function when the module is created, so no ARN exists at deploy time; the statement covers only names under this stack's module prefix.",
        },
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretsPrefix}/actions/*]`,
          reason:
            "One secret per action, created by the function when the action is created, so no ARN exists at deploy time; the statement covers only names under this stack's action prefix.",
        },
      );
    }
  }

  /**
   * Serves the operator's routes (`/api/v2/bridge/…`: quarantine list and redrive, archive replays, status)
   * from the management function, with what they need and nothing more: the quarantine queue (receive,
   * hide, delete), the quarantine's records in the claim-check bucket (read, under `quarantine/` only), the
   * ingest URL and token (read), the dedup table (read one key, delete one key: the redrive forgets that a
   * refused record was quarantined), replays of this archive under this stack's replay prefix, the depth of
   * the dead-letter queues, this stack's alarms, and the ingest's metrics.
   */
  public serveOperations(props: ManagementOperationsProps): void {
    const where = `ModuleRegistry ${this.node.path}`;
    checkInteger(where, 'archiveRetentionDays', props.archiveRetentionDays, 0, 36_500);
    const fn = this.function;
    const role = fn.role;
    if (!role) throw new Error(`${where}: the management function has no role to grant`);
    const replayPrefix = replayPrefixFor(props.busName);
    const alarmNamePrefix = `${props.alarmNamePrefix}-`;
    const routes = encodeRoutes(
      props.routes.map(({ definition, rule }) => {
        // The usual name is left out (the function derives it from the bus's name); any other is its token.
        const usual = defaultRuleName(props.busName, definition.id);
        const named = usual !== undefined && (rule.node.defaultChild as CfnRule | undefined)?.name === usual;
        return {
          id: definition.id,
          ruleName: named ? '' : rule.ruleName,
          match: definition.match,
          ...(definition.enabled === undefined ? {} : { enabled: definition.enabled }),
        };
      }),
    );
    for (const [name, value] of Object.entries(
      operationsEnvironment({
        quarantineQueueUrl: props.quarantineQueue.queueUrl,
        claimCheckBucket: props.claimCheckBucket.bucketName,
        ingestUrl: props.ingestUrl,
        tokenSecretId: props.tokenSecret.secretArn,
        dedupTableName: props.dedupTable.tableName,
        busArn: props.eventBus.eventBusArn,
        archiveArn: props.archive.archiveArn,
        archiveRetentionDays: String(props.archiveRetentionDays),
        replayPrefix,
        ...routes,
        alarmNamePrefix,
        alarmNames: Lazy.string({
          produce: () =>
            props
              .alarms()
              .map((alarm) => (alarm.node.defaultChild as CfnAlarm).alarmName ?? '')
              .filter((name) => name.startsWith(alarmNamePrefix))
              .map((name) => name.slice(alarmNamePrefix.length))
              .join(','),
        }),
        metricsNamespace: props.metricsNamespace,
      }),
    )) {
      fn.addEnvironment(name, value);
    }

    props.quarantineQueue.grantConsumeMessages(fn);
    props.tokenSecret.grantRead(fn);
    props.dedupTable.grant(fn, 'dynamodb:GetItem', 'dynamodb:DeleteItem');

    // Statements that name patterns (replays, alarms, quarantined records) or need "*" (GetMetricData), in a
    // policy of their own so that each is acknowledged here, with its reason; and the status's queue reads.
    const arn = (service: string, resource: string) =>
      `arn:${Aws.PARTITION}:${service}:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
    const replays = arn('events', `replay/${replayPrefix}*`);
    const alarms = arn('cloudwatch', `alarm:${alarmNamePrefix}*`);
    const records = props.claimCheckBucket.arnForObjects(`${QUARANTINE_RECORDS_PREFIX}*`);
    const policy = new Policy(this, 'OperationsPolicy', {
      statements: [
        new PolicyStatement({ actions: ['s3:GetObject'], resources: [records] }),
        new PolicyStatement({
          actions: ['events:StartReplay'],
          resources: [props.archive.archiveArn, replays],
        }),
        new PolicyStatement({ actions: ['events:DescribeReplay'], resources: [replays] }),
        new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [alarms] }),
        // The dead-letter queues are found through their alarms, by name: GetQueueUrl, then their depth.
        ...(props.deadLetterQueues.length > 0
          ? [
              new PolicyStatement({
                actions: ['sqs:GetQueueUrl', 'sqs:GetQueueAttributes'],
                resources: props.deadLetterQueues.map(({ queueArn }) => queueArn),
              }),
            ]
          : []),
        new PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }),
      ],
    });
    policy.attachToRole(role);
    const bucketId = Stack.of(this).getLogicalId(props.claimCheckBucket.node.defaultChild as CfnBucket);
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${QUARANTINE_RECORDS_PREFIX}*]`,
        reason:
          'Quarantined records too large for SQS are stored under quarantine/<date>/<request id>-<position>.json, keys unknown in advance; the redrive reads them back (GetObject only, that prefix only).',
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:replay/${replayPrefix}*]`,
        reason:
          "Replays are named when an operator starts one (a0bridge replay), so no ARN exists at deploy time; the grant covers only names under this stack's replay prefix.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${alarmNamePrefix}*]`,
        reason:
          "DescribeAlarms for a0bridge status, on this stack's alarms only (every alarm of lib/operations.ts is named <stack>-<name>).",
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'cloudwatch:GetMetricData supports no resource-level permissions; it reads the ingest metrics for a0bridge status and changes nothing.',
      },
    );
  }

  /**
   * Lets `grantee` read every built artifact (module versions and action bundles): the action deployer
   * zips a deployment's bundle into its function.
   */
  public grantReadArtifacts(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject'],
      resourceArns: [this.artifactsBucket.arnForObjects('*')],
    });
  }
}
