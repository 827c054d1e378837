/**
 * Request bodies of the actions API, checked against Auth0's schemas and limits. Code, secrets and
 * dependencies are checked as for modules (`lambdas/modules/validate.ts`); messages name the field and what
 * was expected, never a secret value.
 */
import { InvalidRequestError, LimitExceededError } from '../lifecycle/errors';
import type { DependencyInput, SecretInput } from '../lifecycle/lifecycle';
import {
  checkCode,
  checkDependencies,
  checkSecrets,
  describe,
  refuseUnknownFields,
  requireObject,
} from '../modules/validate';
import { getTrigger, type TriggerId, validateBindingMatch } from './bindings/triggers';
import type { ActionLimits } from './limits';
import type { BindingRecord, TriggerRef } from './model';

/** How a request names a module version to pin: by id or name, and by version id or number. */
export interface ModulePinInput {
  readonly moduleId?: string;
  readonly moduleName?: string;
  readonly moduleVersionId?: string;
  readonly moduleVersionNumber?: number;
}

export interface CreateActionInput {
  readonly name: string;
  readonly supportedTriggers: readonly TriggerRef[];
  readonly code: string;
  readonly dependencies?: readonly DependencyInput[];
  readonly secrets?: readonly SecretInput[];
  readonly modules?: readonly ModulePinInput[];
}

export interface UpdateActionInput {
  readonly supportedTriggers?: readonly TriggerRef[];
  readonly code?: string;
  readonly dependencies?: readonly DependencyInput[];
  readonly secrets?: readonly SecretInput[];
  readonly modules?: readonly ModulePinInput[];
}

export interface BindingInput {
  readonly ref: { readonly type: 'action_id' | 'action_name'; readonly value: string };
  readonly displayName?: string;
  readonly match?: BindingRecord['match'];
}

const CREATE_FIELDS = ['name', 'supported_triggers', 'code', 'dependencies', 'runtime', 'secrets', 'modules'];
const UPDATE_FIELDS = ['supported_triggers', 'code', 'dependencies', 'runtime', 'secrets', 'modules'];
const ACTION_NAME = /^[\p{L}\p{N} _.:()/-]+$/u;

export function parseCreateAction(body: unknown, limits: ActionLimits): CreateActionInput {
  const object = requireObject(body, 'The request body');
  refuseUnknownFields(object, CREATE_FIELDS, 'creating an action');
  checkRuntime(object.runtime);
  return {
    name: checkActionName(object.name, limits),
    supportedTriggers: checkTriggers(object.supported_triggers, true),
    code: object.code === undefined ? '' : checkCode(object.code, moduleShaped(limits), 'action'),
    ...optional('dependencies', object.dependencies, (v) =>
      checkDependencies(v, moduleShaped(limits), 'action'),
    ),
    ...optional('secrets', object.secrets, (v) => checkSecrets(v, moduleShaped(limits), true, 'action')),
    ...optional('modules', object.modules, (v) => checkModulePins(v, limits)),
  };
}

export function parseUpdateAction(body: unknown, limits: ActionLimits): UpdateActionInput {
  const object = requireObject(body, 'The request body');
  if ('name' in object) {
    throw new InvalidRequestError(
      'The name of an action cannot be changed here; create a new action instead.',
      'name_immutable',
    );
  }
  refuseUnknownFields(object, UPDATE_FIELDS, 'updating an action');
  checkRuntime(object.runtime);
  return {
    ...optional('supportedTriggers', object.supported_triggers, (v) => checkTriggers(v, true)),
    ...optional('code', object.code, (v) => checkCode(v, moduleShaped(limits), 'action')),
    ...optional('dependencies', object.dependencies, (v) =>
      checkDependencies(v, moduleShaped(limits), 'action'),
    ),
    ...optional('secrets', object.secrets, (v) => checkSecrets(v, moduleShaped(limits), false, 'action')),
    ...optional('modules', object.modules, (v) => checkModulePins(v, limits)),
  };
}

/** `PATCH /triggers/{id}/bindings`: `{bindings: [{ref: {type, value}, display_name?, match?}]}` in run order. */
export function parseBindings(body: unknown, triggerId: TriggerId, limits: ActionLimits): BindingInput[] {
  const object = requireObject(body, 'The request body');
  refuseUnknownFields(object, ['bindings'], 'updating bindings');
  if (!Array.isArray(object.bindings)) {
    throw new InvalidRequestError(`bindings must be an array, got ${describe(object.bindings)}.`);
  }
  if (object.bindings.length > limits.maxBindingsPerTrigger) {
    throw new LimitExceededError(
      400,
      'too_many_bindings',
      `${object.bindings.length} bindings were given; a trigger has at most ${limits.maxBindingsPerTrigger} bindings (limit: ${limits.maxBindingsPerTrigger} bindings per trigger).`,
    );
  }
  return object.bindings.map((item, index): BindingInput => {
    const where = `bindings[${index}]`;
    const binding = requireObject(item, where);
    refuseUnknownFields(binding, ['ref', 'display_name', 'match'], `reading ${where}`);
    const ref = requireObject(binding.ref, `${where}.ref`);
    if (ref.type !== 'action_id' && ref.type !== 'action_name') {
      throw new InvalidRequestError(
        `${where}.ref.type must be "action_id" or "action_name", got ${describe(ref.type)}.`,
      );
    }
    if (typeof ref.value !== 'string' || ref.value.length === 0 || ref.value.length > 255) {
      throw new InvalidRequestError(
        `${where}.ref.value must be the action's ${ref.type === 'action_id' ? 'id' : 'name'}.`,
      );
    }
    if (
      binding.display_name !== undefined &&
      (typeof binding.display_name !== 'string' || binding.display_name.length > 255)
    ) {
      throw new InvalidRequestError(`${where}.display_name must be a string of at most 255 characters.`);
    }
    let match: BindingRecord['match'];
    if (binding.match !== undefined) {
      const problems = validateBindingMatch(triggerId, binding.match);
      if (problems.length > 0)
        throw new InvalidRequestError(`${where}.match: ${problems.join('; ')}`, 'invalid_match');
      match = binding.match as BindingRecord['match'];
    }
    return {
      ref: { type: ref.type, value: ref.value },
      ...(typeof binding.display_name === 'string' ? { displayName: binding.display_name } : {}),
      ...(match ? { match } : {}),
    };
  });
}

function checkActionName(value: unknown, limits: ActionLimits): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    throw new InvalidRequestError(`name is required and must be a non-empty string, got ${describe(value)}.`);
  }
  if (value.length > limits.maxNameLength) {
    throw new LimitExceededError(
      400,
      'name_too_long',
      `name is ${value.length} characters long; an action name has at most ${limits.maxNameLength} characters.`,
    );
  }
  if (!ACTION_NAME.test(value)) {
    throw new InvalidRequestError(
      'name may hold letters, digits, spaces and _ . : ( ) / - only.',
      'invalid_action_name',
    );
  }
  return value;
}

function checkTriggers(value: unknown, required: boolean): TriggerRef[] {
  if (!Array.isArray(value) || (required && value.length === 0)) {
    throw new InvalidRequestError(
      `supported_triggers must be a non-empty array of {id, version}, e.g. [{"id": "auth0-log", "version": "v1"}], got ${describe(value)}.`,
    );
  }
  if (value.length > 1) {
    throw new InvalidRequestError(
      'An action supports exactly one trigger, as in Auth0.',
      'too_many_triggers',
    );
  }
  return value.map((item, index) => {
    const where = `supported_triggers[${index}]`;
    const object = requireObject(item, where);
    refuseUnknownFields(object, ['id', 'version'], `reading ${where}`);
    if (typeof object.id !== 'string') throw new InvalidRequestError(`${where}.id must be a trigger id.`);
    const trigger = getTrigger(object.id);
    const version = object.version ?? trigger.version;
    if (version !== trigger.version) {
      throw new InvalidRequestError(
        `${where}: trigger ${trigger.id} is at version ${trigger.version} here, got ${describe(version)}.`,
        'invalid_trigger_version',
      );
    }
    return { id: trigger.id, version: trigger.version };
  });
}

function checkModulePins(value: unknown, limits: ActionLimits): ModulePinInput[] {
  if (!Array.isArray(value)) {
    throw new InvalidRequestError(
      `modules must be an array of {module_id | module_name, module_version_id | module_version_number}, got ${describe(value)}.`,
    );
  }
  if (value.length > limits.maxModulesPerAction) {
    throw new LimitExceededError(
      400,
      'too_many_modules',
      `${value.length} modules were given; an action uses at most ${limits.maxModulesPerAction} modules (limit: ${limits.maxModulesPerAction} modules per action).`,
    );
  }
  return value.map((item, index): ModulePinInput => {
    const where = `modules[${index}]`;
    const object = requireObject(item, where);
    refuseUnknownFields(
      object,
      ['module_id', 'module_name', 'module_version_id', 'module_version_number'],
      `reading ${where}`,
    );
    const moduleId = optionalString(object.module_id, `${where}.module_id`);
    const moduleName = optionalString(object.module_name, `${where}.module_name`);
    const moduleVersionId = optionalString(object.module_version_id, `${where}.module_version_id`);
    const number = object.module_version_number;
    if (number !== undefined && (!Number.isInteger(number) || (number as number) < 1)) {
      throw new InvalidRequestError(`${where}.module_version_number must be a version number (1, 2, …).`);
    }
    if (!moduleId && !moduleName) throw new InvalidRequestError(`${where} needs module_id or module_name.`);
    if (!moduleVersionId && number === undefined) {
      throw new InvalidRequestError(
        `${where} needs module_version_id or module_version_number: an action pins one version of a module.`,
      );
    }
    return {
      ...(moduleId ? { moduleId } : {}),
      ...(moduleName ? { moduleName } : {}),
      ...(moduleVersionId ? { moduleVersionId } : {}),
      ...(number === undefined ? {} : { moduleVersionNumber: number as number }),
    };
  });
}

function checkRuntime(value: unknown): void {
  if (value !== undefined && value !== 'node22') {
    throw new InvalidRequestError(
      `runtime must be "node22" (Node.js 22, as Lambda runs it), got ${describe(value)}.`,
    );
  }
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    throw new InvalidRequestError(`${where} must be a non-empty string, got ${describe(value)}.`);
  }
  return value;
}

function optional<K extends string, T>(
  key: K,
  value: unknown,
  check: (value: unknown) => T,
): Partial<Record<K, T>> {
  return value === undefined ? {} : ({ [key]: check(value) } as Record<K, T>);
}

/** The module checks read module-named limits: give them the action's. */
function moduleShaped(limits: ActionLimits) {
  return {
    maxCodeLength: limits.maxCodeLength,
    maxSecretsPerModule: limits.maxSecretsPerAction,
    maxSecretNameLength: limits.maxSecretNameLength,
    maxSecretValueLength: limits.maxSecretValueLength,
    maxDependenciesPerModule: limits.maxDependenciesPerAction,
  };
}
