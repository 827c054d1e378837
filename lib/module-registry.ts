import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
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
import { Construct } from 'constructs';
import { MODULES_TABLE_KEYS } from '../lambdas/modules/adapters/dynamodb-store';
import { DEFAULT_ARTIFACTS_PREFIX, modulesEnvironment } from '../lambdas/modules/config';
import { createBridgeFunction } from './bridge-function';
import { checkInteger, checkName } from './validation';

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

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
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
