import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  AssetHashType,
  Aws,
  BundlingOutput,
  type CfnElement,
  CustomResource,
  DockerImage,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import {
  type Grant,
  type IGrantable,
  type IManagedPolicy,
  ManagedPolicy,
  Policy,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type * as esbuild from 'esbuild';
import { DEFAULT_EXECUTION_TTL_DAYS } from '../lambdas/actions/adapters/dynamodb-executions';
import {
  ACTIONS_ENVIRONMENT,
  actionsEnvironment,
  DEFAULT_ACTION_MEMORY_SIZE,
  DEFAULT_ACTION_TIMEOUT_SECONDS,
  DEFAULT_EMIT_SOURCE,
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRY_ATTEMPTS,
  DEFAULT_TIMEOUT_MARGIN_SECONDS,
} from '../lambdas/actions/aws/config';
import { HOST_FILE } from '../lambdas/actions/host/contract';
import { DEFAULT_SOURCE } from '../lambdas/ingest/config';
import { BRIDGE_BUNDLING, bridgeEsbuildOptions, createBridgeFunction } from './bridge-function';
import { projectPath } from './paths';
import { checkInteger, checkName, InvalidPropsError } from './validation';

/** The host's entry, bundled once per synth into the one file every action function runs. */
const HOST_ENTRY = 'lambdas/actions/host/handler.ts';
/** Action ids are UUIDs (36 characters); Lambda and IAM names are at most 64. */
const MAX_NAME_PREFIX_LENGTH = 64 - 36;
const CLEANUP_TIMEOUT = Duration.minutes(14);

/** What the action runner needs of the management function's construct (a ModuleRegistry). */
export interface ActionManagement {
  /** The management function: it deploys actions, so it gets the runner's environment and grants. */
  readonly function: LambdaFunction;
  /** Where deployments' bundles are. */
  readonly artifactsBucket: IBucket;
  /** Read access to the built artifacts. */
  grantReadArtifacts(grantee: IGrantable): Grant;
}

export interface ActionRunnerProps {
  /** The bus the binding rules are on and actions emit to. */
  readonly eventBus: IEventBus;
  /**
   * The `source` of Auth0 log events on the bus: what the binding rules match.
   * @default 'auth0.logs'
   */
  readonly logEventSource?: string;
  /** The management function that deploys actions, and the artifacts it builds. */
  readonly management: ActionManagement;
  /** Action secrets are `<secretsPrefix>/actions/<id>`, module secrets `<secretsPrefix>/modules/<id>`. */
  readonly secretsPrefix: string;
  /**
   * The customer managed key the secrets are encrypted with; action roles may decrypt through Secrets Manager.
   * @default - Secrets Manager's own key
   */
  readonly secretsKey?: IKey;
  /**
   * How long an action may run on one event, unless its deployment says otherwise.
   * @default 20
   */
  readonly timeoutSeconds?: number;
  /**
   * Days executions and run claims are kept (Auth0 keeps executions 10 days).
   * @default 10
   */
  readonly executionTtlDays?: number;
  /**
   * Memory of each action function, in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * The `source` of events actions emit with `api.emit`. Never the log source, so that they cannot loop.
   * @default 'auth0.actions'
   */
  readonly emitSource?: string;
  /**
   * Names the action functions, their roles and the binding rules: `<prefix><action id>`. Everything under it
   * is the runner's, and is deleted with the stack. At most 28 characters.
   * @default 'a0b-' + 8 hex characters derived from the stack name, region and construct path, + '-'
   */
  readonly namePrefix?: string;
  /**
   * Retries before an event goes to the dead-letter queue (0 to 185): EventBridge's, when it cannot hand the
   * event to Lambda; Lambda's (at most 2 of them), when the action throws or times out.
   * @default 8
   */
  readonly maxRetryAttempts?: number;
  /**
   * How long an event is retried, in seconds (60 to 86400; Lambda's own retries stop after 6 hours).
   * @default 3600
   */
  readonly maxEventAgeSeconds?: number;
  /**
   * Days the dead-letter queue keeps events (at most 14).
   * @default 14
   */
  readonly deadLetterRetentionDays?: number;
  /**
   * Retention of the cleanup function's logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * What happens to the executions table, the dead-letter queue and the log groups when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Runs actions on AWS: one Lambda function per action, created at deploy time by the management function,
 * which this construct lets touch only functions, roles and rules under its name prefix. It holds what those
 * functions share: the executions table, the dead-letter queue of the binding rules, the permissions boundary
 * of every action role, and the action host, bundled once here. A custom resource removes what the
 * management function created when the stack is deleted, so that nothing it made blocks `cdk destroy`.
 */
export class ActionRunner extends Construct {
  public readonly executionsTable: ITableV2;
  public readonly deadLetterQueue: IQueue;
  public readonly permissionsBoundary: IManagedPolicy;
  /** The bundled action host (`host.mjs`), which the deployer zips with each action's bundle. */
  public readonly hostAsset: Asset;
  public readonly namePrefix: string;
  public readonly emitSource: string;
  /** The variables the management function gets (lambdas/actions/aws/config.ts reads them). */
  public readonly environment: Readonly<Record<string, string>>;

  public constructor(scope: Construct, id: string, props: ActionRunnerProps) {
    super(scope, id);
    const where = `ActionRunner ${this.node.path}`;
    validate(where, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const logEventSource = props.logEventSource ?? DEFAULT_SOURCE;
    this.emitSource = props.emitSource ?? DEFAULT_EMIT_SOURCE;
    if (this.emitSource === logEventSource) {
      throw new InvalidPropsError(
        `${where}: emitSource must differ from the log source ${JSON.stringify(logEventSource)}, or events actions emit would run log-triggered actions again`,
      );
    }
    this.namePrefix = props.namePrefix ?? defaultNamePrefix(this);
    const prefix = this.namePrefix;
    const busName = props.eventBus.eventBusName;
    const fn = props.management.function;
    const managementRole = fn.role;
    if (!managementRole)
      throw new InvalidPropsError(`${where}: the management function has no role to grant`);

    const arn = {
      functions: `arn:${Aws.PARTITION}:lambda:${Aws.REGION}:${Aws.ACCOUNT_ID}:function:${prefix}*`,
      roles: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${prefix}*`,
      rules: `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${busName}/${prefix}*`,
      logs: `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:log-group:/aws/lambda/${prefix}*`,
      secrets: (kind: string) =>
        `arn:${Aws.PARTITION}:secretsmanager:${Aws.REGION}:${Aws.ACCOUNT_ID}:secret:${props.secretsPrefix}/${kind}/*`,
    };

    // Keys: lambdas/actions/adapters/dynamodb-executions.ts (each partition key starts with the action's id).
    const executionsTable = new TableV2(this, 'ExecutionsTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expires_at',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryptionV2.awsManagedKey(),
      removalPolicy,
    });
    this.executionsTable = executionsTable;

    const deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(props.deadLetterRetentionDays ?? 14),
      removalPolicy,
    });
    // The binding rules are created at run time, so the queue admits any rule under the prefix on this bus.
    deadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deadLetterQueue.queueArn],
        conditions: { ArnLike: { 'aws:SourceArn': arn.rules } },
      }),
    );
    Validations.of(deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'The dead-letter queue of the action binding rules (their targets’ DeadLetterConfig, set at run time by the management function); cdk-nag does not recognise it as a DLQ.',
    });
    this.deadLetterQueue = deadLetterQueue;

    // The most any action role can do, whatever policy the management function writes on it.
    const boundary = new ManagedPolicy(this, 'ActionBoundary', {
      description: `Permissions boundary of every Auth0 Event Bridge action role (${prefix}*)`,
      statements: [
        new PolicyStatement({
          sid: 'ActionAndModuleSecrets',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [arn.secrets('actions'), arn.secrets('modules')],
        }),
        ...(props.secretsKey
          ? [
              new PolicyStatement({
                sid: 'DecryptSecrets',
                actions: ['kms:Decrypt'],
                resources: [props.secretsKey.keyArn],
                conditions: {
                  StringEquals: { 'kms:ViaService': `secretsmanager.${Aws.REGION}.amazonaws.com` },
                },
              }),
            ]
          : []),
        new PolicyStatement({
          sid: 'Executions',
          actions: [
            'dynamodb:BatchWriteItem',
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:UpdateItem',
          ],
          resources: [executionsTable.tableArn],
        }),
        new PolicyStatement({
          sid: 'EmitEvents',
          actions: ['events:PutEvents'],
          resources: [props.eventBus.eventBusArn],
          conditions: { StringEquals: { 'events:source': this.emitSource } },
        }),
        new PolicyStatement({
          // Lambda dead-letters a run that failed every retry with the function's own role.
          sid: 'DeadLetters',
          actions: ['sqs:SendMessage'],
          resources: [deadLetterQueue.queueArn],
        }),
        new PolicyStatement({
          sid: 'Logs',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [arn.logs],
        }),
      ],
    });
    Validations.of(boundary).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(arn.secrets('actions'))}]`,
        reason:
          'A permissions boundary, not a grant: it caps every action role at secrets under this stack’s action prefix. Each role’s own policy names only its action’s secret.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(arn.secrets('modules'))}]`,
        reason:
          'A permissions boundary, not a grant: it caps every action role at secrets under this stack’s module prefix. Each role’s own policy names only the module versions it pins.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(arn.logs)}]`,
        reason:
          'A permissions boundary, not a grant: action functions are created at run time, each logging to /aws/lambda/<its name>; each role’s own policy names only its own log group.',
      },
    );
    this.permissionsBoundary = boundary;

    this.hostAsset = new Asset(this, 'HostAsset', {
      path: projectPath(),
      assetHashType: AssetHashType.OUTPUT,
      bundling: {
        // Never used: bundling is local (esbuild is a dev dependency), as NodejsFunction does it here.
        image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
        outputType: BundlingOutput.SINGLE_FILE,
        local: {
          tryBundle: (outputDir) => {
            bundleHost(join(outputDir, HOST_FILE));
            return true;
          },
        },
      },
    });

    const maxRetryAttempts = props.maxRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS;
    const maxEventAgeSeconds = props.maxEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS;
    this.environment = actionsEnvironment({
      partition: Aws.PARTITION,
      region: Aws.REGION,
      accountId: Aws.ACCOUNT_ID,
      functionPrefix: prefix,
      rolePrefix: prefix,
      rulePrefix: prefix,
      permissionsBoundaryArn: boundary.managedPolicyArn,
      hostBucket: this.hostAsset.s3BucketName,
      hostKey: this.hostAsset.s3ObjectKey,
      executionsTable: executionsTable.tableName,
      executionTtlDays: props.executionTtlDays ?? DEFAULT_EXECUTION_TTL_DAYS,
      busName,
      logEventSource,
      emitSource: this.emitSource,
      deadLetterArn: deadLetterQueue.queueArn,
      maxRetryAttempts,
      maxEventAgeSeconds,
      secretsPrefix: props.secretsPrefix,
      ...(props.secretsKey ? { secretsKmsKeyArn: props.secretsKey.keyArn } : {}),
      timeoutSeconds: props.timeoutSeconds ?? DEFAULT_ACTION_TIMEOUT_SECONDS,
      memorySize: props.memorySize ?? DEFAULT_ACTION_MEMORY_SIZE,
    });
    for (const [name, value] of Object.entries(this.environment)) fn.addEnvironment(name, value);

    // The management function's share: functions, roles and rules under the prefix, nothing else.
    const managementPolicy = new Policy(this, 'ManagementPolicy', {
      statements: [
        new PolicyStatement({
          sid: 'ActionFunctions',
          actions: [
            'lambda:AddPermission',
            'lambda:CreateAlias',
            'lambda:CreateFunction',
            'lambda:DeleteFunction',
            'lambda:GetFunction',
            'lambda:PublishVersion',
            'lambda:PutFunctionEventInvokeConfig',
            'lambda:RemovePermission',
            'lambda:UpdateAlias',
            'lambda:UpdateFunctionCode',
            'lambda:UpdateFunctionConfiguration',
          ],
          resources: [arn.functions],
        }),
        new PolicyStatement({
          sid: 'ActionRolesUnderTheBoundary',
          actions: ['iam:CreateRole', 'iam:DeleteRolePolicy', 'iam:PutRolePolicy'],
          resources: [arn.roles],
          conditions: { StringEquals: { 'iam:PermissionsBoundary': boundary.managedPolicyArn } },
        }),
        new PolicyStatement({
          // IAM puts no iam:PermissionsBoundary in these requests, so they cannot carry the condition.
          sid: 'ActionRoles',
          actions: ['iam:DeleteRole', 'iam:GetRole'],
          resources: [arn.roles],
        }),
        new PolicyStatement({
          sid: 'PassActionRolesToLambda',
          actions: ['iam:PassRole'],
          resources: [arn.roles],
          conditions: { StringEquals: { 'iam:PassedToService': 'lambda.amazonaws.com' } },
        }),
        new PolicyStatement({
          sid: 'BindingRules',
          actions: [
            'events:DeleteRule',
            'events:DescribeRule',
            'events:ListTargetsByRule',
            'events:PutRule',
            'events:PutTargets',
            'events:RemoveTargets',
            'events:TagResource',
          ],
          resources: [arn.rules],
        }),
        new PolicyStatement({
          // ListRules takes no resource; the adapter asks for its prefix and checks every name again.
          sid: 'ListRules',
          actions: ['events:ListRules'],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'ReadActionHost',
          actions: ['s3:GetObject'],
          resources: [
            `arn:${Aws.PARTITION}:s3:::${this.hostAsset.s3BucketName}/${this.hostAsset.s3ObjectKey}`,
          ],
        }),
      ],
    });
    managementPolicy.attachToRole(managementRole);
    Validations.of(managementPolicy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(arn.functions)}]`,
        reason:
          'Action functions are created at run time, one per action, named <prefix><action id>: no ARN exists at deploy time. The grant covers only names under this runner’s prefix.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(arn.roles)}]`,
        reason:
          'Action roles are created at run time, one per action, under the runner’s prefix; creating one or writing its policy requires the permissions boundary, and PassRole is to Lambda only.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagArn(arn.rules, this, props.eventBus)}]`,
        reason:
          'Binding rules are created at run time, one per binding, on this bus and under the runner’s prefix only (EventBridgeBindingRules never touches another rule).',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'events:ListRules supports no resource-level permission; it only lists rule names, and the adapter filters them by its prefix.',
      },
    );

    executionsTable.grantReadData(fn);
    deadLetterQueue.grant(fn, 'sqs:GetQueueAttributes');
    props.management.grantReadArtifacts(fn);
    const managementDefaultPolicy = managementRole.node.tryFindChild('DefaultPolicy');
    const bucket = props.management.artifactsBucket.node.defaultChild as CfnElement | undefined;
    if (managementDefaultPolicy && bucket) {
      Validations.of(managementDefaultPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(bucket)}.Arn>/*]`,
        reason:
          'Artifacts (module versions, action bundles) are named by the SHA-256 of each build, unknown in advance; the deployer reads a deployment’s bundle to zip it into the action function.',
      });
    }

    this.createCleanup(props, { prefix, busName, boundary, deadLetterQueue, arn, removalPolicy });
  }

  /** The custom resource whose Delete removes every rule, function and role under the prefix. */
  private createCleanup(
    props: ActionRunnerProps,
    context: {
      prefix: string;
      busName: string;
      boundary: ManagedPolicy;
      deadLetterQueue: Queue;
      arn: { functions: string; roles: string; rules: string };
      removalPolicy: RemovalPolicy;
    },
  ): void {
    const { prefix, busName, boundary, arn } = context;
    const scope = new Construct(this, 'Cleanup');
    const names = ACTIONS_ENVIRONMENT;
    const { function: fn, role } = createBridgeFunction(scope, {
      entry: 'lambdas/actions/aws/cleanup-handler.ts',
      description:
        'Removes the action functions, roles and binding rules of the registry when the stack is deleted',
      roleDescription: 'Auth0 Event Bridge action cleanup at stack deletion',
      memorySize: 256,
      timeout: CLEANUP_TIMEOUT,
      logRetention: props.logRetention,
      removalPolicy: context.removalPolicy,
      environment: {
        [names.functionPrefix]: prefix,
        [names.rolePrefix]: prefix,
        [names.rulePrefix]: prefix,
        [names.busName]: busName,
      },
    });
    // The function's DefaultPolicy, which the function depends on: it stays until the cleanup has run.
    for (const statement of [
      new PolicyStatement({
        actions: ['events:ListRules', 'iam:ListRoles', 'lambda:ListFunctions'],
        resources: ['*'],
      }),
      new PolicyStatement({
        actions: ['events:DeleteRule', 'events:ListTargetsByRule', 'events:RemoveTargets'],
        resources: [arn.rules],
      }),
      new PolicyStatement({ actions: ['lambda:DeleteFunction'], resources: [arn.functions] }),
      new PolicyStatement({
        actions: ['iam:DeleteRolePolicy'],
        resources: [arn.roles],
        conditions: { StringEquals: { 'iam:PermissionsBoundary': boundary.managedPolicyArn } },
      }),
      new PolicyStatement({ actions: ['iam:DeleteRole'], resources: [arn.roles] }),
    ]) {
      role.addToPrincipalPolicy(statement);
    }
    const cleanupPolicy = role.node.tryFindChild('DefaultPolicy');
    if (cleanupPolicy) {
      Validations.of(cleanupPolicy).acknowledge(
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'ListRules, ListRoles and ListFunctions support no resource-level permission; they only list names, and the cleanup acts only on names under the runner’s prefix.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagArn(arn.functions)}]`,
          reason:
            'Deletes the action functions the management function created at run time under the runner’s prefix, whose names are not known at deploy time.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagArn(arn.roles)}]`,
          reason:
            'Deletes the action roles the management function created at run time under the runner’s prefix, whose names are not known at deploy time.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagArn(arn.rules, this, props.eventBus)}]`,
          reason:
            'Deletes the binding rules the management function created at run time on this bus under the runner’s prefix, so that the bus can be deleted.',
        },
      );
    }

    const providerRole = new Role(scope, 'ProviderRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Custom resource provider of the Auth0 Event Bridge action cleanup',
    });
    const providerLogs = new LogGroup(scope, 'ProviderLogs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: context.removalPolicy,
    });
    providerLogs.grantWrite(providerRole);
    const provider = new Provider(scope, 'Provider', {
      onEventHandler: fn,
      frameworkOnEventRole: providerRole,
      logGroup: providerLogs,
    });
    const providerPolicy = providerRole.node.tryFindChild('DefaultPolicy');
    if (providerPolicy) {
      const fnId = Stack.of(this).getLogicalId(fn.node.defaultChild as CfnElement);
      Validations.of(providerPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${fnId}.Arn>:*]`,
        reason:
          'Added by the Provider framework (grantInvoke): it invokes the cleanup function, whose versions the :* covers; the function has no other versions or aliases.',
      });
    }

    const resource = new CustomResource(scope, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::ActionRunnerCleanup',
      properties: { Prefix: prefix, BusName: busName },
    });
    // Deleted (and so run) before what the created resources depend on: the bus their rules are on, the
    // boundary their roles carry, the queue their rules dead-letter to.
    resource.node.addDependency(props.eventBus, boundary, context.deadLetterQueue);
  }
}

function validate(where: string, props: ActionRunnerProps): void {
  checkName(
    where,
    'namePrefix',
    props.namePrefix,
    new RegExp(`^[A-Za-z0-9_-]{1,${MAX_NAME_PREFIX_LENGTH}}$`),
    `1-${MAX_NAME_PREFIX_LENGTH} letters, digits, "-" or "_" (it prefixes function, role and rule names)`,
  );
  checkName(
    where,
    'secretsPrefix',
    props.secretsPrefix,
    /^[A-Za-z0-9/_+=.@-]{1,200}$/,
    'a Secrets Manager name prefix',
  );
  checkName(
    where,
    'emitSource',
    props.emitSource,
    /^(?!aws\.)[A-Za-z0-9._-]{1,256}$/,
    'letters, digits, ".", "_" or "-", not starting with "aws."',
  );
  checkInteger(
    where,
    'timeoutSeconds',
    props.timeoutSeconds,
    1,
    900 - DEFAULT_TIMEOUT_MARGIN_SECONDS,
    `Lambda's 900 s less the host's ${DEFAULT_TIMEOUT_MARGIN_SECONDS} s`,
  );
  checkInteger(where, 'executionTtlDays', props.executionTtlDays, 1, 365);
  checkInteger(where, 'memorySize', props.memorySize, 128, 10_240);
  checkInteger(where, 'maxRetryAttempts', props.maxRetryAttempts, 0, 185);
  checkInteger(where, 'maxEventAgeSeconds', props.maxEventAgeSeconds, 60, 86_400);
  checkInteger(where, 'deadLetterRetentionDays', props.deadLetterRetentionDays, 1, 14);
}

/**
 * `a0b-` and 8 hex characters of the stack name, region and path: two stacks in one account (roles are
 * account-wide) or one stack in two regions get different prefixes, so neither can touch the other's.
 */
function defaultNamePrefix(scope: Construct): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '' : stack.region;
  const hash = createHash('sha256').update(`${stack.stackName}\n${region}\n${scope.node.path}`).digest('hex');
  return `a0b-${hash.slice(0, 8)}-`;
}

/** An ARN pattern as cdk-nag names it in a finding: pseudo parameters and references as `<…>`. */
function nagArn(pattern: string, scope?: Construct, bus?: IEventBus): string {
  let text = pattern
    .replace(Aws.PARTITION, '<AWS::Partition>')
    .replace(Aws.REGION, '<AWS::Region>')
    .replace(Aws.ACCOUNT_ID, '<AWS::AccountId>');
  if (scope && bus && Token.isUnresolved(bus.eventBusName)) {
    const busResource = bus.node.defaultChild as CfnElement | undefined;
    if (busResource) text = text.replace(bus.eventBusName, `<${Stack.of(scope).getLogicalId(busResource)}>`);
  }
  return text;
}

/** esbuild with the handlers' own options (lib/bridge-function.ts), into one file: its source map inline. */
function bundleHost(outfile: string): void {
  let build: typeof esbuild.buildSync;
  try {
    build = (createRequire(import.meta.url)('esbuild') as typeof esbuild).buildSync;
  } catch (error) {
    throw new Error('Bundling the action host needs esbuild: run npm ci (it is a dev dependency).', {
      cause: error,
    });
  }
  // One file: its source map inside it.
  build({
    ...bridgeEsbuildOptions(HOST_ENTRY, dirname(outfile)),
    outfile,
    sourcemap: BRIDGE_BUNDLING.sourceMap ? 'inline' : false,
  });
}
