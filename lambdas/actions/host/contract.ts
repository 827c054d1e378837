/**
 * The environment contract of a per-action Lambda function: the one place that names its variables. The
 * deployer writes them (`toHostEnvironment`) when it creates or updates the function, and the generic action
 * host reads them back at cold start (`readHostEnvironment`). Nothing secret is ever in them: secrets are
 * named by a prefix, a kind and an owner id (`secretNameFor` in lambdas/lifecycle/secret-sets.ts), and the host reads the values itself, with the
 * function's own role.
 */
import { integerIn, requiredIn } from '../../shared/config';
import { ConfigurationError } from '../../shared/errors';
import { isTriggerId, type TriggerId } from '../bindings/triggers';
import type { ActionDeployment, ArtifactRef, ModuleSecretSet, TriggerRef } from '../model';

/** The file the host is bundled to, the action bundle beside it, and the handler Lambda calls. */
export const HOST_FILE = 'host.mjs';
export const BUNDLE_FILE = 'bundle.js';
export const HOST_HANDLER = 'host.handler';

/** The alias the deployed version sits behind; deploy and rollback move it, and the binding rules target it. */
export const LIVE_ALIAS = 'live';

export const HOST_ENVIRONMENT = {
  actionId: 'ACTION_ID',
  actionName: 'ACTION_NAME',
  versionId: 'ACTION_VERSION_ID',
  versionNumber: 'ACTION_VERSION_NUMBER',
  /** JSON: `[{"id":"auth0-log","version":"v1"}]`. */
  triggers: 'ACTION_TRIGGERS',
  timeoutMs: 'ACTION_TIMEOUT_MS',
  /** JSON: the bundle's ArtifactRef; the host checks `bundle.js` against its SHA-256. */
  bundle: 'ACTION_BUNDLE',
  /** Absent when the version has no secrets. */
  secretsSetId: 'ACTION_SECRETS_SET_ID',
  /** JSON: `[{"moduleId","moduleName","setId"?}]`, one per pinned module version. */
  moduleSecretSets: 'ACTION_MODULE_SECRET_SETS',
  executionsTable: 'ACTION_EXECUTIONS_TABLE',
  busName: 'ACTION_BUS_NAME',
  emitSource: 'ACTION_EMIT_SOURCE',
  secretsPrefix: 'ACTION_SECRETS_PREFIX',
  executionTtlDays: 'ACTION_EXECUTION_TTL_DAYS',
} as const;

/** What every action function of one stack shares. */
export interface HostSharedSettings {
  /** The executions table (string `pk` and `sk`, TTL attribute `expires_at`). */
  readonly executionsTable: string;
  /** The bus `api.emit` publishes to. */
  readonly busName: string;
  /** The `source` of emitted events; never the ingest's source, so they cannot reach log-triggered actions. */
  readonly emitSource: string;
  /** Secrets are `<prefix>/actions/<actionId>` and `<prefix>/modules/<moduleId>`. */
  readonly secretsPrefix: string;
  readonly executionTtlDays: number;
}

export interface HostEnvironment {
  readonly deployment: ActionDeployment;
  readonly shared: HostSharedSettings;
}

/** Lambda's limit for all of a function's variables together (keys and values), in bytes. */
export const LAMBDA_ENVIRONMENT_MAX_BYTES = 4096;

/**
 * The function's variables for `deployment`. Throws `HostEnvironmentTooLargeError` when they would pass
 * Lambda's 4 KB limit (a deployment pinning a great many modules with long names).
 */
export function toHostEnvironment(
  deployment: ActionDeployment,
  shared: HostSharedSettings,
): Record<string, string> {
  const names = HOST_ENVIRONMENT;
  const variables: Record<string, string> = {
    [names.actionId]: deployment.actionId,
    [names.actionName]: deployment.actionName,
    [names.versionId]: deployment.versionId,
    [names.versionNumber]: String(deployment.versionNumber),
    [names.triggers]: JSON.stringify(deployment.triggers.map(({ id, version }) => ({ id, version }))),
    [names.timeoutMs]: String(deployment.timeoutMs),
    [names.bundle]: JSON.stringify({
      bucket: deployment.bundle.bucket,
      key: deployment.bundle.key,
      sha256: deployment.bundle.sha256,
      bytes: deployment.bundle.bytes,
    }),
    ...(deployment.secretsSetId ? { [names.secretsSetId]: deployment.secretsSetId } : {}),
    [names.moduleSecretSets]: JSON.stringify(
      deployment.moduleSecretSets.map(({ moduleId, moduleName, setId }) => ({
        moduleId,
        moduleName,
        ...(setId ? { setId } : {}),
      })),
    ),
    [names.executionsTable]: shared.executionsTable,
    [names.busName]: shared.busName,
    [names.emitSource]: shared.emitSource,
    [names.secretsPrefix]: shared.secretsPrefix,
    [names.executionTtlDays]: String(shared.executionTtlDays),
    // The host is one minified file with its source map inline.
    NODE_OPTIONS: '--enable-source-maps',
  };
  const bytes = Object.entries(variables).reduce(
    (total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  if (bytes > LAMBDA_ENVIRONMENT_MAX_BYTES) {
    throw new HostEnvironmentTooLargeError(deployment, bytes);
  }
  return variables;
}

/** Reads the contract back; throws `ConfigurationError` naming the first variable that is missing or malformed. */
export function readHostEnvironment(env: Readonly<Record<string, string | undefined>>): HostEnvironment {
  const names = HOST_ENVIRONMENT;
  const secretsSetId = optional(env, names.secretsSetId);
  const deployment: ActionDeployment = {
    actionId: requiredIn(env, names.actionId),
    actionName: requiredIn(env, names.actionName),
    versionId: requiredIn(env, names.versionId),
    versionNumber: integerIn(env, names.versionNumber),
    bundle: artifactRef(env, names.bundle),
    triggers: triggers(env, names.triggers),
    ...(secretsSetId ? { secretsSetId } : {}),
    moduleSecretSets: moduleSecretSets(env, names.moduleSecretSets),
    timeoutMs: integerIn(env, names.timeoutMs),
  };
  return {
    deployment,
    shared: {
      executionsTable: requiredIn(env, names.executionsTable),
      busName: requiredIn(env, names.busName),
      emitSource: requiredIn(env, names.emitSource),
      secretsPrefix: requiredIn(env, names.secretsPrefix),
      executionTtlDays: integerIn(env, names.executionTtlDays),
    },
  };
}

/** The deployment's variables would not fit in a Lambda function's environment. */
export class HostEnvironmentTooLargeError extends Error {
  public constructor(deployment: ActionDeployment, bytes: number) {
    super(
      `The environment of action ${deployment.actionName} (${deployment.actionId}) version ${deployment.versionNumber} would be ${bytes} bytes; Lambda takes at most ${LAMBDA_ENVIRONMENT_MAX_BYTES}. It pins ${deployment.moduleSecretSets.length} modules: pin fewer, or give them shorter names.`,
    );
    this.name = 'HostEnvironmentTooLargeError';
  }
}

function optional(env: Readonly<Record<string, string | undefined>>, key: string): string | undefined {
  return env[key]?.trim() || undefined;
}

function json(env: Readonly<Record<string, string | undefined>>, key: string, expected: string): unknown {
  const text = requiredIn(env, key);
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigurationError(`${key} must be JSON (${expected}), got ${JSON.stringify(text)}`);
  }
}

function artifactRef(env: Readonly<Record<string, string | undefined>>, key: string): ArtifactRef {
  const expected = '{"bucket","key","sha256","bytes"}';
  const value = json(env, key, expected) as Partial<ArtifactRef> | null;
  if (
    !value ||
    typeof value.bucket !== 'string' ||
    typeof value.key !== 'string' ||
    typeof value.sha256 !== 'string' ||
    !/^[0-9a-f]{64}$/.test(value.sha256) ||
    !Number.isInteger(value.bytes)
  ) {
    throw new ConfigurationError(`${key} must be ${expected} with a hex SHA-256`);
  }
  return { bucket: value.bucket, key: value.key, sha256: value.sha256, bytes: value.bytes as number };
}

function triggers(env: Readonly<Record<string, string | undefined>>, key: string): TriggerRef[] {
  const expected = '[{"id","version"}]';
  const value = json(env, key, expected);
  if (!Array.isArray(value) || value.length === 0) {
    throw new ConfigurationError(`${key} must be a non-empty JSON array ${expected}`);
  }
  return value.map((entry: { id?: unknown; version?: unknown }) => {
    if (typeof entry?.id !== 'string' || !isTriggerId(entry.id) || typeof entry.version !== 'string') {
      throw new ConfigurationError(
        `${key} holds ${JSON.stringify(entry)}; expected a known trigger id and a version`,
      );
    }
    return { id: entry.id as TriggerId, version: entry.version };
  });
}

function moduleSecretSets(env: Readonly<Record<string, string | undefined>>, key: string): ModuleSecretSet[] {
  const expected = '[{"moduleId","moduleName","setId"?}]';
  const value = json(env, key, expected);
  if (!Array.isArray(value)) throw new ConfigurationError(`${key} must be a JSON array ${expected}`);
  return value.map((entry: { moduleId?: unknown; moduleName?: unknown; setId?: unknown }) => {
    if (
      typeof entry?.moduleId !== 'string' ||
      typeof entry.moduleName !== 'string' ||
      (entry.setId !== undefined && typeof entry.setId !== 'string')
    ) {
      throw new ConfigurationError(`${key} holds ${JSON.stringify(entry)}; expected ${expected}`);
    }
    return {
      moduleId: entry.moduleId,
      moduleName: entry.moduleName,
      ...(entry.setId ? { setId: entry.setId } : {}),
    };
  });
}
