/**
 * Actions on AWS Lambda: one function per action, `<functionPrefix><actionId>`, with a role of its own,
 * `<rolePrefix><actionId>`, created under the runner's permissions boundary. A deploy builds the function's
 * code once (the prebuilt host and the action's bundle, zipped in memory), publishes a version and points
 * the `live` alias at it; a rollback is a deploy of an older version. The role may read only this action's
 * secret and those of the module versions the deployment pins, write only this action's executions, emit
 * only with the actions' source, and log only to its own log group.
 */
import { createHash } from 'node:crypto';
import {
  CreateRoleCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRoleCommand,
  type IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
  type Role,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  type FunctionConfiguration,
  GetFunctionCommand,
  InvalidParameterValueException,
  type LambdaClient,
  PublishVersionCommand,
  PutFunctionEventInvokeConfigCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { secretNameFor } from '../../lifecycle/secret-sets';
import { sleep as defaultSleep } from '../../shared/concurrency';
import { executionKeyPatterns } from '../adapters/dynamodb-executions';
import type { RuleTarget } from '../bindings/rules';
import { BUNDLE_FILE, HOST_FILE, HOST_HANDLER, LIVE_ALIAS, toHostEnvironment } from '../host/contract';
import type { ActionDeployment } from '../model';
import type { ActionDeployer, ArtifactStore, LogPort } from '../ports';
import { type ActionsConfig, DEFAULT_TIMEOUT_MARGIN_SECONDS } from './config';
import { createZip } from './zip';

/** The name of each action role's one inline policy. */
export const ACTION_ROLE_POLICY = 'action';
/** The id of every binding rule's target (one target per rule). */
export const ACTION_TARGET_ID = 'action';
export const ACTION_RUNTIME = 'nodejs22.x';
export const ACTION_ARCHITECTURE = 'arm64';
/** Lambda retries an asynchronous invocation (EventBridge's kind) at most twice, for at most 6 hours. */
const MAX_ASYNC_RETRIES = 2;
const MAX_ASYNC_EVENT_AGE_SECONDS = 21_600;
/** Lambda's longest timeout. */
const MAX_FUNCTION_TIMEOUT_SECONDS = 900;
/** Lambda and IAM names are at most 64 characters. */
const MAX_NAME_LENGTH = 64;
const ACTION_ID = /^[A-Za-z0-9_-]+$/;

/** The action could not be deployed or removed; the message says which step failed and why. */
export class ActionDeployError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ActionDeployError';
  }
}

export type ActionResourceNamesProps = Pick<
  ActionsConfig,
  'partition' | 'region' | 'accountId' | 'functionPrefix' | 'rolePrefix'
>;

/** Names and ARNs of an action's function and role, known from its id alone. */
export class ActionResourceNames {
  public constructor(private readonly props: ActionResourceNamesProps) {}

  public functionName(actionId: string): string {
    return this.named(this.props.functionPrefix, actionId, 'function');
  }

  public roleName(actionId: string): string {
    return this.named(this.props.rolePrefix, actionId, 'role');
  }

  public functionArn(actionId: string): string {
    const { partition, region, accountId } = this.props;
    return `arn:${partition}:lambda:${region}:${accountId}:function:${this.functionName(actionId)}`;
  }

  /** What the binding rules target: the alias deploy and rollback move. */
  public aliasArn(actionId: string): string {
    return `${this.functionArn(actionId)}:${LIVE_ALIAS}`;
  }

  public roleArn(actionId: string): string {
    return `arn:${this.props.partition}:iam::${this.props.accountId}:role/${this.roleName(actionId)}`;
  }

  private named(prefix: string, actionId: string, what: string): string {
    // The id ends up in names, ARNs and IAM patterns (`run#<id>#*`): nothing in it may widen a pattern.
    if (!ACTION_ID.test(actionId)) {
      throw new ActionDeployError(
        `The action id ${JSON.stringify(actionId)} cannot name a ${what}; expected letters, digits, "-" or "_"`,
      );
    }
    const name = `${prefix}${actionId}`;
    if (name.length > MAX_NAME_LENGTH) {
      throw new ActionDeployError(
        `The ${what} name ${name} is ${name.length} characters; at most ${MAX_NAME_LENGTH} are allowed. Use a shorter name prefix.`,
      );
    }
    return name;
  }
}

export type ActionRolePolicyProps = Pick<
  ActionsConfig,
  | 'partition'
  | 'region'
  | 'accountId'
  | 'functionPrefix'
  | 'secretsPrefix'
  | 'secretsKmsKeyArn'
  | 'executionsTable'
  | 'busName'
  | 'emitSource'
  | 'deadLetterArn'
>;

interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: string | string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/** Who may assume an action role: Lambda, nothing else. */
function trustPolicy(): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
    ],
  });
}

/**
 * The inline policy of an action's role for one deployment. Secrets are matched by name and Secrets
 * Manager's six-character suffix (`-??????`), so `<prefix>/actions/abc` never matches `abc-def`'s secret.
 */
export function actionRolePolicy(deployment: ActionDeployment, props: ActionRolePolicyProps): PolicyDocument {
  const { partition, region, accountId } = props;
  const secretArn = (id: string) =>
    `arn:${partition}:secretsmanager:${region}:${accountId}:secret:${id}-??????`;
  const secrets = [
    ...(deployment.secretsSetId ? [secretNameFor(props.secretsPrefix, 'actions', deployment.actionId)] : []),
    ...deployment.moduleSecretSets
      .filter((set) => set.setId)
      .map((set) => secretNameFor(props.secretsPrefix, 'modules', set.moduleId)),
  ];
  const functionName = `${props.functionPrefix}${deployment.actionId}`;
  const logGroup = `arn:${partition}:logs:${region}:${accountId}:log-group:/aws/lambda/${functionName}`;
  const statements: PolicyStatement[] = [];
  if (secrets.length > 0) {
    statements.push({
      Sid: 'OwnSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: [...new Set(secrets)].map(secretArn),
    });
    if (props.secretsKmsKeyArn) {
      statements.push({
        Sid: 'DecryptSecrets',
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: props.secretsKmsKeyArn,
        Condition: { StringEquals: { 'kms:ViaService': `secretsmanager.${region}.amazonaws.com` } },
      });
    }
  }
  statements.push(
    {
      Sid: 'OwnExecutions',
      Effect: 'Allow',
      Action: [
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
      Resource: `arn:${partition}:dynamodb:${region}:${accountId}:table/${props.executionsTable}`,
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': executionKeyPatterns(deployment.actionId) },
      },
    },
    {
      Sid: 'EmitEvents',
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: `arn:${partition}:events:${region}:${accountId}:event-bus/${props.busName}`,
      Condition: { StringEquals: { 'events:source': props.emitSource } },
    },
    {
      // Lambda sends a failed asynchronous invocation to the dead-letter queue with the function's role.
      Sid: 'DeadLetters',
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: props.deadLetterArn,
    },
    { Sid: 'OwnLogGroup', Effect: 'Allow', Action: 'logs:CreateLogGroup', Resource: logGroup },
    {
      Sid: 'OwnLogStreams',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `${logGroup}:*`,
    },
  );
  return { Version: '2012-10-17', Statement: statements };
}

/** Deletes an action's function (with its versions, alias and permissions) and role. Idempotent. */
export class LambdaActionResources {
  public constructor(
    private readonly lambda: LambdaClient,
    private readonly iam: IAMClient,
  ) {}

  public async deleteFunction(functionName: string): Promise<void> {
    try {
      await this.lambda.send(new DeleteFunctionCommand({ FunctionName: functionName }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw failure(`delete the function ${functionName}`, error);
    }
  }

  public async deleteRole(roleName: string): Promise<void> {
    try {
      await this.iam.send(
        new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: ACTION_ROLE_POLICY }),
      );
    } catch (error) {
      if (!(error instanceof NoSuchEntityException))
        throw failure(`delete the policy of role ${roleName}`, error);
    }
    try {
      await this.iam.send(new DeleteRoleCommand({ RoleName: roleName }));
    } catch (error) {
      if (error instanceof NoSuchEntityException) return;
      throw failure(`delete the role ${roleName}`, error);
    }
  }
}

export type LambdaActionDeployerProps = Pick<
  ActionsConfig,
  | 'partition'
  | 'region'
  | 'accountId'
  | 'functionPrefix'
  | 'rolePrefix'
  | 'rulePrefix'
  | 'permissionsBoundaryArn'
  | 'executionsTable'
  | 'executionTtlDays'
  | 'busName'
  | 'emitSource'
  | 'deadLetterArn'
  | 'maxRetryAttempts'
  | 'maxEventAgeSeconds'
  | 'secretsPrefix'
  | 'secretsKmsKeyArn'
  | 'memorySize'
> & {
  /**
   * Seconds a function may run past the action's own timeout: its cold start (secrets, bundle) and the
   * execution writes around the run.
   * @default 10
   */
  readonly timeoutMarginSeconds?: number;
  /** How long one deploy waits for IAM to propagate a new role and for Lambda to finish an update. @default 60000 */
  readonly maxWaitMs?: number;
};

export interface LambdaActionDeployerPorts {
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
  /** Where the deployment's bundle is read from; its SHA-256 is checked again here. */
  readonly artifacts: Pick<ArtifactStore, 'get'>;
  /** The prebuilt action host (`host.mjs`), e.g. `s3HostSource(...)`. */
  readonly host: () => Promise<Buffer>;
  readonly logger?: LogPort;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

export class LambdaActionDeployer implements ActionDeployer {
  public readonly names: ActionResourceNames;
  private readonly resources: LambdaActionResources;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;

  public constructor(
    private readonly ports: LambdaActionDeployerPorts,
    private readonly props: LambdaActionDeployerProps,
  ) {
    this.names = new ActionResourceNames(props);
    this.resources = new LambdaActionResources(ports.lambda, ports.iam);
    this.sleep = ports.sleep ?? defaultSleep;
    this.now = ports.now ?? Date.now;
  }

  public async deploy(deployment: ActionDeployment): Promise<void> {
    const functionName = this.names.functionName(deployment.actionId);
    const roleName = this.names.roleName(deployment.actionId);
    const what = `action ${deployment.actionName} (${deployment.actionId}) version ${deployment.versionNumber}`;
    const timeout =
      Math.ceil(deployment.timeoutMs / 1000) +
      (this.props.timeoutMarginSeconds ?? DEFAULT_TIMEOUT_MARGIN_SECONDS);
    if (!(deployment.timeoutMs > 0) || timeout > MAX_FUNCTION_TIMEOUT_SECONDS) {
      throw new ActionDeployError(
        `The timeout of ${what} is ${deployment.timeoutMs} ms; with the host's margin a function may run at most ${MAX_FUNCTION_TIMEOUT_SECONDS} s`,
      );
    }
    // Checked before anything is created: a deployment whose variables would not fit fails here.
    const variables = toHostEnvironment(deployment, {
      executionsTable: this.props.executionsTable,
      busName: this.props.busName,
      emitSource: this.props.emitSource,
      secretsPrefix: this.props.secretsPrefix,
      executionTtlDays: this.props.executionTtlDays,
    });
    const deadline = this.now() + (this.props.maxWaitMs ?? 60_000);
    const [host, bundle] = await Promise.all([this.ports.host(), this.readBundle(deployment)]);
    const code = createZip([
      { name: HOST_FILE, content: host },
      { name: BUNDLE_FILE, content: bundle },
    ]);
    const codeSha256 = createHash('sha256').update(code).digest('base64');

    const roleArn = await this.ensureRole(deployment, roleName);
    const configuration = {
      FunctionName: functionName,
      Description: `Auth0 Event Bridge action ${deployment.actionName} (${deployment.actionId})`.slice(
        0,
        256,
      ),
      Role: roleArn,
      Runtime: ACTION_RUNTIME,
      Handler: HOST_HANDLER,
      Timeout: timeout,
      MemorySize: this.props.memorySize,
      Environment: { Variables: variables },
    } as const;
    await this.ensureFunction(configuration, code, codeSha256, deadline);

    const published = await this.call(`publish a version of ${functionName}`, () =>
      this.ports.lambda.send(
        new PublishVersionCommand({
          FunctionName: functionName,
          CodeSha256: codeSha256,
          Description: `Action version ${deployment.versionNumber} (${deployment.versionId})`.slice(0, 256),
        }),
      ),
    );
    const version = published.Version;
    if (!version) throw new ActionDeployError(`Lambda published no version of ${functionName}`);
    await this.pointAlias(functionName, version, deployment);
    await this.configureFailures(functionName);
    await this.allowBindingRules(functionName);
    this.ports.logger?.info('Deployed an action version', {
      actionId: deployment.actionId,
      versionNumber: deployment.versionNumber,
      functionName,
      lambdaVersion: version,
    });
  }

  public targetFor(actionId: string): RuleTarget {
    return {
      id: ACTION_TARGET_ID,
      arn: this.names.aliasArn(actionId),
      deadLetterArn: this.props.deadLetterArn,
      maxRetryAttempts: this.props.maxRetryAttempts,
      maxEventAgeSeconds: this.props.maxEventAgeSeconds,
    };
  }

  public async remove(actionId: string): Promise<void> {
    await this.resources.deleteFunction(this.names.functionName(actionId));
    await this.resources.deleteRole(this.names.roleName(actionId));
  }

  /** The rules EventBridge may invoke the alias from: the bus's binding rules, by name prefix. */
  public bindingRulesArn(): string {
    const { partition, region, accountId, busName, rulePrefix } = this.props;
    return `arn:${partition}:events:${region}:${accountId}:rule/${busName}/${rulePrefix}*`;
  }

  /** The bundle's bytes; the artifact store refuses bytes that do not match the SHA-256 they are stored by. */
  private readBundle(deployment: ActionDeployment): Promise<Buffer> {
    return this.ports.artifacts.get(deployment.bundle);
  }

  private async ensureRole(deployment: ActionDeployment, roleName: string): Promise<string> {
    const boundary = this.props.permissionsBoundaryArn;
    let role = await this.getRole(roleName);
    if (!role) {
      try {
        role = (
          await this.ports.iam.send(
            new CreateRoleCommand({
              RoleName: roleName,
              Description: `Runs Auth0 Event Bridge action ${deployment.actionId}`,
              AssumeRolePolicyDocument: trustPolicy(),
              PermissionsBoundary: boundary,
            }),
          )
        ).Role;
      } catch (error) {
        // A concurrent deploy created it first.
        if (!(error instanceof EntityAlreadyExistsException))
          throw failure(`create the role ${roleName}`, error);
        role = await this.getRole(roleName);
      }
    }
    const attached = role?.PermissionsBoundary?.PermissionsBoundaryArn;
    if (attached !== undefined && attached !== boundary) {
      throw new ActionDeployError(
        `The role ${roleName} has the permissions boundary ${attached}, not ${boundary}; remove the action's resources and deploy again`,
      );
    }
    await this.call(`write the policy of role ${roleName}`, () =>
      this.ports.iam.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: ACTION_ROLE_POLICY,
          PolicyDocument: JSON.stringify(actionRolePolicy(deployment, this.props)),
        }),
      ),
    );
    return role?.Arn ?? this.names.roleArn(deployment.actionId);
  }

  private async getRole(roleName: string): Promise<Role | undefined> {
    try {
      return (await this.ports.iam.send(new GetRoleCommand({ RoleName: roleName }))).Role;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw failure(`read the role ${roleName}`, error);
    }
  }

  private async ensureFunction(
    configuration: {
      readonly FunctionName: string;
      readonly Role: string;
      readonly Runtime: typeof ACTION_RUNTIME;
      readonly Handler: string;
      readonly Timeout: number;
      readonly MemorySize: number;
      readonly Description: string;
      readonly Environment: { readonly Variables: Record<string, string> };
    },
    code: Buffer,
    codeSha256: string,
    deadline: number,
  ): Promise<void> {
    const name = configuration.FunctionName;
    let existing = await this.getFunction(name);
    if (!existing) {
      try {
        // A new role takes a few seconds to reach Lambda: until then it "cannot be assumed".
        await this.whileRolePropagates(deadline, `create the function ${name}`, () =>
          this.ports.lambda.send(
            new CreateFunctionCommand({
              ...configuration,
              Environment: { Variables: { ...configuration.Environment.Variables } },
              Architectures: [ACTION_ARCHITECTURE],
              PackageType: 'Zip',
              Code: { ZipFile: code },
              Publish: false,
            }),
          ),
        );
        await this.waitUntilReady(name, deadline);
        return;
      } catch (error) {
        // A concurrent deploy created it first: update it like any existing function.
        if (!(error instanceof ActionDeployError && error.cause instanceof ResourceConflictException))
          throw error;
        existing = await this.getFunction(name);
        if (!existing) throw error;
      }
    }
    existing = await this.waitUntilReady(name, deadline);
    if (!sameConfiguration(existing, configuration)) {
      await this.whileRolePropagates(deadline, `update the configuration of ${name}`, () =>
        this.whileUpdating(name, deadline, () =>
          this.ports.lambda.send(
            new UpdateFunctionConfigurationCommand({
              ...configuration,
              Environment: { Variables: { ...configuration.Environment.Variables } },
            }),
          ),
        ),
      );
      existing = await this.waitUntilReady(name, deadline);
    }
    if (existing.CodeSha256 !== codeSha256) {
      await this.call(`update the code of ${name}`, () =>
        this.whileUpdating(name, deadline, () =>
          this.ports.lambda.send(
            new UpdateFunctionCodeCommand({
              FunctionName: name,
              ZipFile: code,
              Architectures: [ACTION_ARCHITECTURE],
            }),
          ),
        ),
      );
      await this.waitUntilReady(name, deadline);
    }
  }

  private async getFunction(name: string): Promise<FunctionConfiguration | undefined> {
    try {
      return (await this.ports.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw failure(`read the function ${name}`, error);
    }
  }

  /** Polls until the function is neither Pending nor being updated; throws when it failed or time ran out. */
  private async waitUntilReady(name: string, deadline: number): Promise<FunctionConfiguration> {
    for (let attempt = 0; ; attempt++) {
      const configuration = await this.getFunction(name);
      if (!configuration) throw new ActionDeployError(`The function ${name} disappeared during the deploy`);
      const { State: state, LastUpdateStatus: update } = configuration;
      if (state === 'Failed' || update === 'Failed') {
        const reason =
          state === 'Failed'
            ? `${configuration.StateReasonCode}: ${configuration.StateReason}`
            : `${configuration.LastUpdateStatusReasonCode}: ${configuration.LastUpdateStatusReason}`;
        throw new ActionDeployError(`Lambda could not prepare the function ${name} (${reason})`);
      }
      if (state !== 'Pending' && update !== 'InProgress') return configuration;
      if (this.now() >= deadline) {
        throw new ActionDeployError(
          `The function ${name} was still ${state === 'Pending' ? 'Pending' : 'being updated'} when the deploy gave up waiting; deploy again`,
        );
      }
      await this.sleep(Math.min(250 * 2 ** attempt, 2000));
    }
  }

  /** Retries `send` while Lambda refuses a role it cannot assume yet (IAM is eventually consistent). */
  private async whileRolePropagates<T>(deadline: number, what: string, send: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await send();
      } catch (error) {
        const propagating =
          error instanceof InvalidParameterValueException && /role|assume/i.test(error.message);
        if (!propagating || this.now() >= deadline) throw failure(what, error);
        await this.sleep(Math.min(1000 * 2 ** attempt, 5000));
      }
    }
  }

  /** Retries `send` while another update of the function is in progress (ResourceConflictException). */
  private async whileUpdating<T>(name: string, deadline: number, send: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await send();
      } catch (error) {
        if (!(error instanceof ResourceConflictException) || this.now() >= deadline) throw error;
        await this.waitUntilReady(name, deadline);
      }
    }
  }

  private async pointAlias(functionName: string, version: string, deployment: ActionDeployment) {
    const alias = {
      FunctionName: functionName,
      Name: LIVE_ALIAS,
      FunctionVersion: version,
      Description: `Action version ${deployment.versionNumber} (${deployment.versionId})`.slice(0, 256),
    };
    try {
      await this.ports.lambda.send(new CreateAliasCommand(alias));
    } catch (error) {
      if (!isConflict(error)) throw failure(`create the alias of ${functionName}`, error);
      await this.call(`move the alias of ${functionName}`, () =>
        this.ports.lambda.send(new UpdateAliasCommand(alias)),
      );
    }
  }

  /**
   * EventBridge invokes Lambda asynchronously: its own retries and DLQ cover only a failed delivery. A run
   * that throws or times out is retried by Lambda, on the alias, and then sent to the same dead-letter queue.
   */
  private async configureFailures(functionName: string): Promise<void> {
    await this.call(`configure the retries of ${functionName}`, () =>
      this.ports.lambda.send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: functionName,
          Qualifier: LIVE_ALIAS,
          MaximumRetryAttempts: Math.min(this.props.maxRetryAttempts, MAX_ASYNC_RETRIES),
          MaximumEventAgeInSeconds: Math.min(this.props.maxEventAgeSeconds, MAX_ASYNC_EVENT_AGE_SECONDS),
          DestinationConfig: { OnFailure: { Destination: this.props.deadLetterArn } },
        }),
      ),
    );
  }

  private async allowBindingRules(functionName: string): Promise<void> {
    const sourceArn = this.bindingRulesArn();
    try {
      await this.ports.lambda.send(
        new AddPermissionCommand({
          FunctionName: functionName,
          Qualifier: LIVE_ALIAS,
          // Named after the rules it admits: the same rules, the same statement, added once.
          StatementId: `binding-rules-${createHash('sha256').update(sourceArn).digest('hex').slice(0, 16)}`,
          Action: 'lambda:InvokeFunction',
          Principal: 'events.amazonaws.com',
          SourceArn: sourceArn,
          SourceAccount: this.props.accountId,
        }),
      );
    } catch (error) {
      if (isConflict(error)) return;
      throw failure(`allow the binding rules to invoke ${functionName}`, error);
    }
  }

  private async call<T>(what: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw failure(what, error);
    }
  }
}

/** Reads the bundled action host from its S3 object once, and keeps it. */
export function s3HostSource(client: S3Client, bucket: string, key: string): () => Promise<Buffer> {
  let cached: Promise<Buffer> | undefined;
  return () => {
    cached ??= (async () => {
      const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!output.Body) throw new ActionDeployError(`s3://${bucket}/${key} (the action host) is empty`);
      return Buffer.from(await output.Body.transformToByteArray());
    })().catch((error: unknown) => {
      cached = undefined;
      throw error instanceof ActionDeployError
        ? error
        : failure(`read the action host s3://${bucket}/${key}`, error);
    });
    return cached;
  };
}

function sameConfiguration(
  existing: FunctionConfiguration,
  wanted: {
    Role: string;
    Runtime: string;
    Handler: string;
    Timeout: number;
    MemorySize: number;
    Description: string;
    Environment: { Variables: Record<string, string> };
  },
): boolean {
  const variables = existing.Environment?.Variables ?? {};
  const wantedVariables = wanted.Environment.Variables;
  return (
    existing.Role === wanted.Role &&
    existing.Runtime === wanted.Runtime &&
    existing.Handler === wanted.Handler &&
    existing.Timeout === wanted.Timeout &&
    existing.MemorySize === wanted.MemorySize &&
    existing.Description === wanted.Description &&
    Object.keys(variables).length === Object.keys(wantedVariables).length &&
    Object.entries(wantedVariables).every(([key, value]) => variables[key] === value)
  );
}

/** Lambda answers ResourceConflictException for "already exists" (moto, for aliases, ConflictException). */
function isConflict(error: unknown): boolean {
  return (
    error instanceof ResourceConflictException ||
    (error instanceof Error && error.name === 'ConflictException')
  );
}

function failure(what: string, error: unknown): ActionDeployError {
  if (error instanceof ActionDeployError) return error;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ActionDeployError(`Could not ${what}: ${reason}`, { cause: error });
}
