/** Auth0's Actions limits. Tests may pass smaller ones to the registry to stay fast. */
export interface ActionLimits {
  readonly maxActions: number;
  readonly maxVersionsPerAction: number;
  readonly maxSecretsPerAction: number;
  readonly maxDependenciesPerAction: number;
  readonly maxModulesPerAction: number;
  readonly maxBindingsPerTrigger: number;
  readonly maxSecretNameLength: number;
  readonly maxSecretValueLength: number;
  readonly maxCodeLength: number;
  readonly maxNameLength: number;
  /** How long one run may take before it fails (Auth0: 20 s). */
  readonly timeoutMs: number;
}

export const AUTH0_ACTION_LIMITS: ActionLimits = {
  maxActions: 100,
  maxVersionsPerAction: 50,
  maxSecretsPerAction: 30,
  maxDependenciesPerAction: 10,
  maxModulesPerAction: 3,
  maxBindingsPerTrigger: 20,
  maxSecretNameLength: 128,
  maxSecretValueLength: 4096,
  maxCodeLength: 100_000,
  maxNameLength: 255,
  timeoutMs: 20_000,
};

export const DEFAULT_EXECUTIONS_PER_PAGE = 20;
