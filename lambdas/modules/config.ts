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

export function loadModulesConfig(): ModulesConfig {
  const kmsKeyId = process.env.MODULE_SECRETS_KMS_KEY_ID?.trim();
  return {
    tableName: requireEnv('MODULES_TABLE_NAME'),
    secretsPrefix: requireEnv('MODULE_SECRETS_PREFIX'),
    ...(kmsKeyId ? { secretsKmsKeyId: kmsKeyId } : {}),
    artifactsBucket: requireEnv('MODULE_ARTIFACTS_BUCKET'),
    artifactsPrefix: optionalEnv('MODULE_ARTIFACTS_PREFIX', 'modules/artifacts/'),
    buildTarget: optionalEnv('MODULE_BUILD_TARGET', 'node22'),
    buildMaxPackages: positiveIntFromEnv('MODULE_BUILD_MAX_PACKAGES', 400),
    npmTimeoutMs: positiveIntFromEnv('NPM_REQUEST_TIMEOUT_MS', 20_000),
    lockSeconds: positiveIntFromEnv('MODULE_LOCK_SECONDS', 15),
    publishLockSeconds: positiveIntFromEnv('MODULE_PUBLISH_LOCK_SECONDS', 60),
  };
}
