/** Auth0's Action Modules limits. Tests may pass smaller ones to the registry to stay fast. */
export interface RegistryLimits {
  readonly maxModules: number;
  readonly maxVersionsPerModule: number;
  readonly maxSecretsPerModule: number;
  readonly maxDependenciesPerModule: number;
  readonly maxSecretNameLength: number;
  readonly maxSecretValueLength: number;
  readonly maxCodeLength: number;
  readonly maxModuleNameLength: number;
  /** Secrets Manager stores at most this many bytes in one SecretString. */
  readonly maxSecretStringBytes: number;
}

export const AUTH0_LIMITS: RegistryLimits = {
  maxModules: 100,
  maxVersionsPerModule: 50,
  maxSecretsPerModule: 30,
  maxDependenciesPerModule: 10,
  maxSecretNameLength: 128,
  maxSecretValueLength: 4096,
  maxCodeLength: 65_536,
  maxModuleNameLength: 255,
  maxSecretStringBytes: 65_536,
};

/** `require('actions:<name>')` must stay a plain, unambiguous specifier (the pattern Auth0's CLI enforces). */
export const MODULE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const MODULE_NAME_RULE =
  'must start with a lowercase letter or digit and contain only lowercase letters, digits, underscores and hyphens';

/** Secret names are read as `actions.secrets.NAME`. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const SECRET_NAME_RULE =
  'must start with a letter, digit or underscore and contain only letters, digits, underscores, dots and hyphens';

export const MAX_DEPENDENCY_VERSION_LENGTH = 50;
export const MAX_API_VERSION_LENGTH = 20;

/** Paging, as Auth0 does it. */
export const DEFAULT_VERSIONS_PER_PAGE = 20;
export const DEFAULT_ACTIONS_PER_PAGE = 20;
export const MAX_PER_PAGE = 100;
