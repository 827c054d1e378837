import { optionalEnv, positiveIntFromEnv, requireEnv } from '../shared/config';

/** Everything the management function reads from its environment, read once at cold start. */
export interface ModulesConfig {
  /** `MODULES_TABLE_NAME`: the registry's table (string keys `pk` and `sk`). */
  readonly tableName: string;
  /** `MODULE_SECRETS_PREFIX`: module secrets are named `<prefix>/modules/<moduleId>`. */
  readonly secretsPrefix: string;
  /** `MODULE_SECRETS_KMS_KEY_ID` (optional): a customer managed key for new module secrets. */
  readonly secretsKmsKeyId?: string;
  /** `MODULE_ARTIFACTS_BUCKET`: where built versions are stored. */
  readonly artifactsBucket: string;
  /** `MODULE_ARTIFACTS_PREFIX` (default `modules/artifacts/`). */
  readonly artifactsPrefix: string;
  /** `MODULE_BUILD_TARGET` (default `node22`): the runner's Node.js version, for esbuild. */
  readonly buildTarget: string;
  /** `MODULE_BUILD_MAX_PACKAGES` (default 400): most npm packages one module may bundle. */
  readonly buildMaxPackages: number;
  /** `NPM_REQUEST_TIMEOUT_MS` (default 20000). The registry itself is npm's `npm_config_registry`. */
  readonly npmTimeoutMs: number;
  /** `MODULE_LOCK_SECONDS` (default 15): how long a draft lock lasts. */
  readonly lockSeconds: number;
  /** `MODULE_PUBLISH_LOCK_SECONDS` (default 60): how long a publish may hold the draft lock while it builds. */
  readonly publishLockSeconds: number;
}

/**
 * The one place that names the management function's environment: CDK (lib/module-registry.ts) and local
 * mode (local/modules.ts) write it with `modulesEnvironment`, the handler reads it with `loadModulesConfig`.
 */
export const MODULES_ENVIRONMENT = {
  tableName: 'MODULES_TABLE_NAME',
  secretsPrefix: 'MODULE_SECRETS_PREFIX',
  secretsKmsKeyId: 'MODULE_SECRETS_KMS_KEY_ID',
  artifactsBucket: 'MODULE_ARTIFACTS_BUCKET',
  artifactsPrefix: 'MODULE_ARTIFACTS_PREFIX',
  buildTarget: 'MODULE_BUILD_TARGET',
  buildMaxPackages: 'MODULE_BUILD_MAX_PACKAGES',
  npmTimeoutMs: 'NPM_REQUEST_TIMEOUT_MS',
  lockSeconds: 'MODULE_LOCK_SECONDS',
  publishLockSeconds: 'MODULE_PUBLISH_LOCK_SECONDS',
} as const satisfies Record<keyof ModulesConfig, string>;

export const DEFAULT_ARTIFACTS_PREFIX = 'modules/artifacts/';

/** The variables for the values given (which may be CDK tokens); the others take their defaults. */
export function modulesEnvironment(
  values: Partial<Record<keyof ModulesConfig, string>> &
    Pick<Record<keyof ModulesConfig, string>, 'tableName' | 'secretsPrefix' | 'artifactsBucket'>,
): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [field, value] of Object.entries(values)) {
    if (value !== undefined) variables[MODULES_ENVIRONMENT[field as keyof ModulesConfig]] = value;
  }
  return variables;
}

export function loadModulesConfig(): ModulesConfig {
  const names = MODULES_ENVIRONMENT;
  const kmsKeyId = process.env[names.secretsKmsKeyId]?.trim();
  return {
    tableName: requireEnv(names.tableName),
    secretsPrefix: requireEnv(names.secretsPrefix),
    ...(kmsKeyId ? { secretsKmsKeyId: kmsKeyId } : {}),
    artifactsBucket: requireEnv(names.artifactsBucket),
    artifactsPrefix: optionalEnv(names.artifactsPrefix, DEFAULT_ARTIFACTS_PREFIX),
    buildTarget: optionalEnv(names.buildTarget, 'node22'),
    buildMaxPackages: positiveIntFromEnv(names.buildMaxPackages, 400),
    npmTimeoutMs: positiveIntFromEnv(names.npmTimeoutMs, 20_000),
    lockSeconds: positiveIntFromEnv(names.lockSeconds, 15),
    publishLockSeconds: positiveIntFromEnv(names.publishLockSeconds, 60),
  };
}
