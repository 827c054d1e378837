/**
 * The registry's refusals. The lifecycle's own (drafts, versions, locks, dependencies, builds) live in
 * `lambdas/lifecycle/errors.ts`; these name action modules, and keep their class names for callers.
 */
import {
  EntityBusyError,
  EntityNameTakenError,
  EntityNotFoundError,
  type EntityNoun,
  EntityVersionNotFoundError,
  LimitExceededError,
  RegistryError,
} from '../lifecycle/errors';

export {
  BuildFailedError,
  DependencyNotFoundError,
  DependencyVersionNotFoundError,
  DraftChangedError,
  InvalidRequestError,
  LeaseLostError,
  LimitExceededError,
  NothingToPublishError,
  RegistryError,
  RegistryUnavailableError,
  RevisionMismatchError,
  RollbackNotNeededError,
  SecretsTooLargeError,
  VersionConflictError,
} from '../lifecycle/errors';

export const MODULE_NOUN: EntityNoun = { noun: 'action module', code: 'module' };

export class ModuleNotFoundError extends EntityNotFoundError {
  public constructor(moduleId: string) {
    super(MODULE_NOUN, moduleId);
    this.name = 'ModuleNotFoundError';
  }
}

export class VersionNotFoundError extends EntityVersionNotFoundError {
  public constructor(moduleId: string, versionId: string) {
    super(MODULE_NOUN, moduleId, versionId);
    this.name = 'VersionNotFoundError';
  }
}

export class ModuleNameTakenError extends EntityNameTakenError {
  public constructor(name: string) {
    super(MODULE_NOUN, name);
    this.name = 'ModuleNameTakenError';
  }
}

export class ModuleBusyError extends EntityBusyError {
  public constructor(moduleId: string) {
    super(MODULE_NOUN, moduleId);
    this.name = 'ModuleBusyError';
  }
}

/** The module limit was reached; raised by the store, which checks it in the same transaction as the create. */
export class ModuleLimitError extends LimitExceededError {
  public constructor(limit: number) {
    super(
      400,
      'too_many_modules',
      `The tenant already has ${limit} action modules, the most allowed (limit: ${limit} modules). Delete one first.`,
    );
    this.name = 'ModuleLimitError';
  }
}

export class ModuleInUseError extends RegistryError {
  public constructor(moduleId: string, actions: number) {
    super(
      412,
      'module_in_use',
      `Action module ${JSON.stringify(moduleId)} is used by ${actions} action(s); remove it from them before deleting it.`,
    );
    this.name = 'ModuleInUseError';
  }
}

export class UsageNotFoundError extends Error {
  public constructor(moduleId: string, what: string) {
    super(`Action module ${moduleId}: ${what}`);
    this.name = 'UsageNotFoundError';
  }
}
