/**
 * What the management function needs to run actions on AWS, and the one place that names its environment
 * variables: CDK (lib/action-runner.ts) writes them with `actionsEnvironment`, the handler reads them with
 * `loadActionsConfig`. The cleanup function reads a subset (`loadCleanupConfig`).
 */
import { type Environment, integerIn, requiredIn } from '../../shared/config';

export const ACTIONS_ENVIRONMENT = {
  partition: 'ACTIONS_AWS_PARTITION',
  region: 'ACTIONS_AWS_REGION',
  accountId: 'ACTIONS_AWS_ACCOUNT_ID',
  functionPrefix: 'ACTIONS_FUNCTION_PREFIX',
  rolePrefix: 'ACTIONS_ROLE_PREFIX',
  rulePrefix: 'ACTIONS_RULE_PREFIX',
  permissionsBoundaryArn: 'ACTIONS_PERMISSIONS_BOUNDARY_ARN',
  hostBucket: 'ACTIONS_HOST_BUCKET',
  hostKey: 'ACTIONS_HOST_KEY',
  executionsTable: 'ACTIONS_EXECUTIONS_TABLE',
  executionTtlDays: 'ACTIONS_EXECUTION_TTL_DAYS',
  busName: 'ACTIONS_BUS_NAME',
  logEventSource: 'ACTIONS_LOG_EVENT_SOURCE',
  emitSource: 'ACTIONS_EMIT_SOURCE',
  deadLetterArn: 'ACTIONS_DLQ_ARN',
  maxRetryAttempts: 'ACTIONS_MAX_RETRY_ATTEMPTS',
  maxEventAgeSeconds: 'ACTIONS_MAX_EVENT_AGE_SECONDS',
  secretsPrefix: 'ACTIONS_SECRETS_PREFIX',
  secretsKmsKeyArn: 'ACTIONS_SECRETS_KMS_KEY_ARN',
  timeoutSeconds: 'ACTIONS_TIMEOUT_SECONDS',
  memorySize: 'ACTIONS_MEMORY_SIZE',
} as const;

export const DEFAULT_ACTION_TIMEOUT_SECONDS = 20;
export const DEFAULT_ACTION_MEMORY_SIZE = 256;
/** The `source` of the events actions emit: anything but the ingest's `auth0.logs`. */
export const DEFAULT_EMIT_SOURCE = 'auth0.actions';
export const DEFAULT_MAX_RETRY_ATTEMPTS = 8;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 3600;
/** Seconds an action function may run past the action's own timeout (cold start, execution writes). */
export const DEFAULT_TIMEOUT_MARGIN_SECONDS = 10;

export interface ActionsConfig {
  /** ARNs are built from these, so that a rule target is known before its function exists. */
  readonly partition: string;
  readonly region: string;
  readonly accountId: string;
  /** Functions `<functionPrefix><actionId>`; the management function may touch no other. */
  readonly functionPrefix: string;
  /** Roles `<rolePrefix><actionId>`, created with the permissions boundary only. */
  readonly rolePrefix: string;
  /** Binding rules `<rulePrefix>…` on the bus. */
  readonly rulePrefix: string;
  readonly permissionsBoundaryArn: string;
  /** The S3 object of the bundled action host (`host.mjs`), a CDK asset. */
  readonly hostBucket: string;
  readonly hostKey: string;
  readonly executionsTable: string;
  readonly executionTtlDays: number;
  readonly busName: string;
  /** The `source` of Auth0 log events: what the binding rules match. */
  readonly logEventSource: string;
  /** The `source` of events actions emit; action roles may publish with no other. */
  readonly emitSource: string;
  /** The queue EventBridge dead-letters undeliverable action events to. */
  readonly deadLetterArn: string;
  /** EventBridge's delivery retries; Lambda retries a failed run min(this, 2) times. */
  readonly maxRetryAttempts: number;
  /** How long an event is retried (Lambda's retries: at most 6 hours). */
  readonly maxEventAgeSeconds: number;
  /** Secrets are `<prefix>/actions/<actionId>` and `<prefix>/modules/<moduleId>`. */
  readonly secretsPrefix: string;
  /** The customer managed key of the secrets, when there is one. */
  readonly secretsKmsKeyArn?: string;
  /** The default run timeout of an action. */
  readonly timeoutSeconds: number;
  /** Memory of each action function, in MB. */
  readonly memorySize: number;
}

export type CleanupConfig = Pick<ActionsConfig, 'functionPrefix' | 'rolePrefix' | 'rulePrefix' | 'busName'>;

type Env = Environment;

/** The variables for `config`; values may be CDK tokens. */
export function actionsEnvironment(config: ActionsConfig): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [field, name] of Object.entries(ACTIONS_ENVIRONMENT)) {
    const value = config[field as keyof ActionsConfig];
    if (value !== undefined) variables[name] = String(value);
  }
  return variables;
}

export function loadActionsConfig(env: Env = process.env): ActionsConfig {
  const names = ACTIONS_ENVIRONMENT;
  const kmsKeyArn = env[names.secretsKmsKeyArn]?.trim();
  return {
    partition: requiredIn(env, names.partition),
    region: requiredIn(env, names.region),
    accountId: requiredIn(env, names.accountId),
    functionPrefix: requiredIn(env, names.functionPrefix),
    rolePrefix: requiredIn(env, names.rolePrefix),
    rulePrefix: requiredIn(env, names.rulePrefix),
    permissionsBoundaryArn: requiredIn(env, names.permissionsBoundaryArn),
    hostBucket: requiredIn(env, names.hostBucket),
    hostKey: requiredIn(env, names.hostKey),
    executionsTable: requiredIn(env, names.executionsTable),
    executionTtlDays: integerIn(env, names.executionTtlDays),
    busName: requiredIn(env, names.busName),
    logEventSource: requiredIn(env, names.logEventSource),
    emitSource: requiredIn(env, names.emitSource),
    deadLetterArn: requiredIn(env, names.deadLetterArn),
    maxRetryAttempts: integerIn(env, names.maxRetryAttempts, 0),
    maxEventAgeSeconds: integerIn(env, names.maxEventAgeSeconds),
    secretsPrefix: requiredIn(env, names.secretsPrefix),
    ...(kmsKeyArn ? { secretsKmsKeyArn: kmsKeyArn } : {}),
    timeoutSeconds: integerIn(env, names.timeoutSeconds),
    memorySize: integerIn(env, names.memorySize),
  };
}

export function loadCleanupConfig(env: Env = process.env): CleanupConfig {
  const names = ACTIONS_ENVIRONMENT;
  return {
    functionPrefix: requiredIn(env, names.functionPrefix),
    rolePrefix: requiredIn(env, names.rolePrefix),
    rulePrefix: requiredIn(env, names.rulePrefix),
    busName: requiredIn(env, names.busName),
  };
}
