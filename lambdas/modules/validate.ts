/**
 * Request bodies and queries of the management API, checked against Auth0's schemas and limits. Messages
 * name the field, what was received (never a secret value) and what is expected.
 */
import { builtinModules } from 'node:module';
import semver from 'semver';
import type { DependencyInput, SecretInput } from '../lifecycle/lifecycle';
import { InvalidRequestError, LimitExceededError } from './errors';
import {
  MAX_API_VERSION_LENGTH,
  MAX_DEPENDENCY_VERSION_LENGTH,
  MAX_PER_PAGE,
  MODULE_NAME_PATTERN,
  MODULE_NAME_RULE,
  type RegistryLimits,
  SECRET_NAME_PATTERN,
  SECRET_NAME_RULE,
} from './limits';

/** A secret in a request. Without `value` (an extension to Auth0's schema), PATCH keeps the current value. */
export type { DependencyInput, SecretInput };

export interface CreateModuleInput {
  readonly name: string;
  readonly code: string;
  readonly secrets?: readonly SecretInput[];
  readonly dependencies?: readonly DependencyInput[];
  readonly apiVersion?: string;
  readonly publish: boolean;
}

export interface UpdateModuleInput {
  readonly code?: string;
  /** The complete list of the draft's secrets: names left out are removed, as in Auth0. */
  readonly secrets?: readonly SecretInput[];
  /** The complete list of the draft's dependencies. */
  readonly dependencies?: readonly DependencyInput[];
}

export interface Paging {
  readonly page: number;
  readonly perPage: number;
}

const CREATE_FIELDS = ['name', 'code', 'secrets', 'dependencies', 'api_version', 'publish'];
const UPDATE_FIELDS = ['code', 'secrets', 'dependencies'];

export function parseCreateModule(body: unknown, limits: RegistryLimits): CreateModuleInput {
  const object = requireObject(body, 'The request body');
  refuseUnknownFields(object, CREATE_FIELDS, 'creating a module');
  const name = checkModuleName(object.name, limits);
  const code = object.code === undefined ? '' : checkCode(object.code, limits);
  const apiVersion = optionalString(object.api_version, 'api_version', MAX_API_VERSION_LENGTH);
  if (object.publish !== undefined && typeof object.publish !== 'boolean') {
    throw new InvalidRequestError(`publish must be true or false, got ${describe(object.publish)}.`);
  }
  return {
    name,
    code,
    ...(object.secrets === undefined ? {} : { secrets: checkSecrets(object.secrets, limits, true) }),
    ...(object.dependencies === undefined
      ? {}
      : { dependencies: checkDependencies(object.dependencies, limits) }),
    ...(apiVersion === undefined ? {} : { apiVersion }),
    publish: object.publish === true,
  };
}

export function parseUpdateModule(body: unknown, limits: RegistryLimits): UpdateModuleInput {
  const object = requireObject(body, 'The request body');
  if ('name' in object) {
    throw new InvalidRequestError(
      'The name of an action module cannot be changed; create a new module instead.',
      'name_immutable',
    );
  }
  refuseUnknownFields(object, UPDATE_FIELDS, 'updating a module');
  return {
    ...(object.code === undefined ? {} : { code: checkCode(object.code, limits) }),
    ...(object.secrets === undefined ? {} : { secrets: checkSecrets(object.secrets, limits, false) }),
    ...(object.dependencies === undefined
      ? {}
      : { dependencies: checkDependencies(object.dependencies, limits) }),
  };
}

export function parseRollback(body: unknown): { readonly moduleVersionId: string } {
  const object = requireObject(body, 'The request body');
  refuseUnknownFields(object, ['module_version_id'], 'rolling back');
  const id = object.module_version_id;
  if (typeof id !== 'string' || id.length === 0) {
    throw new InvalidRequestError(
      `module_version_id must be the id of one of the module's versions, got ${describe(id)}.`,
    );
  }
  return { moduleVersionId: id };
}

/**
 * `page` (from 0) and `per_page` (1 to 100). Without either, `defaultPerPage` applies; when that is
 * undefined too, paging is off (as Auth0 does for the module list) and this returns undefined.
 */
export function parsePaging(
  query: Readonly<Record<string, string | undefined>>,
  defaultPerPage?: number,
): Paging | undefined {
  const page = integerParameter(query.page, 'page', 0, Number.MAX_SAFE_INTEGER);
  const perPage = integerParameter(query.per_page, 'per_page', 1, MAX_PER_PAGE);
  if (page === undefined && perPage === undefined && defaultPerPage === undefined) return undefined;
  return { page: page ?? 0, perPage: perPage ?? defaultPerPage ?? 50 };
}

export function checkModuleName(value: unknown, limits: RegistryLimits): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidRequestError(`name is required and must be a non-empty string, got ${describe(value)}.`);
  }
  if (value.length > limits.maxModuleNameLength) {
    throw new LimitExceededError(
      400,
      'name_too_long',
      `name is ${value.length} characters long; a module name has at most ${limits.maxModuleNameLength} characters.`,
    );
  }
  if (!MODULE_NAME_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `name ${JSON.stringify(value)} cannot be used in require('actions:<name>'): it ${MODULE_NAME_RULE} (pattern ${MODULE_NAME_PATTERN.source}).`,
      'invalid_module_name',
    );
  }
  return value;
}

/** Where code, secrets and dependencies belong, for messages: modules and actions share these checks. */
export type OwnerKind = 'module' | 'action';

const AN: Record<OwnerKind, string> = { module: 'a module', action: 'an action' };

export function checkCode(
  value: unknown,
  limits: Pick<RegistryLimits, 'maxCodeLength'>,
  kind: OwnerKind = 'module',
): string {
  if (typeof value !== 'string')
    throw new InvalidRequestError(`code must be a string, got ${describe(value)}.`);
  if (value.length > limits.maxCodeLength) {
    throw new LimitExceededError(
      400,
      'code_too_long',
      `code is ${value.length} characters long; ${kind} code has at most ${limits.maxCodeLength} characters.`,
    );
  }
  if (value.includes('\0')) throw new InvalidRequestError('code must not contain NUL characters.');
  return value;
}

/**
 * Secrets arrive in many wrong shapes (`"API_KEY=…"`, `{"API_KEY": "…"}`, `[["API_KEY", "…"]]`), and whatever
 * sits under `secrets` may be a value: refusals here say where and which type was found, never what.
 */
export function checkSecrets(
  value: unknown,
  limits: Pick<RegistryLimits, 'maxSecretsPerModule' | 'maxSecretNameLength' | 'maxSecretValueLength'>,
  valueRequired: boolean,
  kind: OwnerKind = 'module',
): SecretInput[] {
  if (!Array.isArray(value)) {
    throw new InvalidRequestError(
      `secrets must be an array of {name, value} objects, got ${describeType(value)}.`,
    );
  }
  if (value.length > limits.maxSecretsPerModule) {
    throw new LimitExceededError(
      400,
      'too_many_secrets',
      `${value.length} secrets were given; ${AN[kind]} has at most ${limits.maxSecretsPerModule} secrets.`,
    );
  }
  const seen = new Set<string>();
  return value.map((item, index): SecretInput => {
    const where = `secrets[${index}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidRequestError(`${where} must be an object {name, value}, got ${describeType(item)}.`);
    }
    const object = item as Record<string, unknown>;
    // Keys are not echoed either: a pasted value could sit where a field name belongs.
    if (Object.keys(object).some((key) => key !== 'name' && key !== 'value')) {
      throw new InvalidRequestError(`${where} has fields other than name and value.`);
    }
    const name = checkSecretName(object.name, where, limits);
    if (seen.has(name)) throw new InvalidRequestError(`${where}: the secret ${name} is listed twice.`);
    seen.add(name);
    if (object.value === undefined) {
      if (valueRequired) throw new InvalidRequestError(`${where} (${name}): value is required.`);
      return { name };
    }
    if (typeof object.value !== 'string') {
      throw new InvalidRequestError(`${where} (${name}): value must be a string.`);
    }
    if (object.value.length > limits.maxSecretValueLength) {
      throw new LimitExceededError(
        400,
        'secret_value_too_long',
        `${where} (${name}): the value is ${object.value.length} characters long; a secret value has at most ${limits.maxSecretValueLength} characters.`,
      );
    }
    if (object.value.includes('\0')) {
      throw new InvalidRequestError(`${where} (${name}): the value must not contain NUL characters.`);
    }
    return { name, value: object.value };
  });
}

/** A valid name is echoed from then on (responses list names anyway); an invalid one may be a pasted value. */
function checkSecretName(
  value: unknown,
  where: string,
  limits: Pick<RegistryLimits, 'maxSecretNameLength'>,
): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidRequestError(`${where}: name must be a non-empty string, got ${describeType(value)}.`);
  }
  if (value.length > limits.maxSecretNameLength) {
    throw new LimitExceededError(
      400,
      'secret_name_too_long',
      `${where}: the secret name is ${value.length} characters long; a secret name has at most ${limits.maxSecretNameLength} characters.`,
    );
  }
  if (!SECRET_NAME_PATTERN.test(value)) {
    throw new InvalidRequestError(
      `${where}: the secret name (not repeated here) ${SECRET_NAME_RULE} (pattern ${SECRET_NAME_PATTERN.source}).`,
    );
  }
  return value;
}

export function checkDependencies(
  value: unknown,
  limits: Pick<RegistryLimits, 'maxDependenciesPerModule'>,
  kind: OwnerKind = 'module',
): DependencyInput[] {
  if (!Array.isArray(value)) {
    throw new InvalidRequestError(
      `dependencies must be an array of {name, version}, got ${describe(value)}.`,
    );
  }
  if (value.length > limits.maxDependenciesPerModule) {
    throw new LimitExceededError(
      400,
      'too_many_dependencies',
      `${value.length} dependencies were given; ${AN[kind]} has at most ${limits.maxDependenciesPerModule} npm dependencies.`,
    );
  }
  const seen = new Set<string>();
  return value.map((item, index): DependencyInput => {
    const where = `dependencies[${index}]`;
    const object = requireObject(item, where);
    refuseUnknownFields(object, ['name', 'version'], `giving ${where}`);
    if (typeof object.name !== 'string') {
      throw new InvalidRequestError(
        `${where}: name must be an npm package name, got ${describe(object.name)}.`,
      );
    }
    const problem = npmNameProblem(object.name);
    if (problem) {
      throw new InvalidRequestError(
        `${where}: ${JSON.stringify(object.name)} is not a valid npm package name: ${problem}.`,
        'invalid_dependency',
      );
    }
    if (seen.has(object.name)) {
      throw new InvalidRequestError(
        `${where}: the package ${object.name} is listed twice.`,
        'invalid_dependency',
      );
    }
    seen.add(object.name);
    const version = object.version === undefined ? 'latest' : object.version;
    if (typeof version !== 'string' || !isVersionSpec(version)) {
      throw new InvalidRequestError(
        `${where} (${object.name}): version must be an exact version, a semver range or a dist-tag such as "latest" (at most ${MAX_DEPENDENCY_VERSION_LENGTH} characters), got ${describe(version)}.`,
        'invalid_dependency',
      );
    }
    return { name: object.name, version: version.trim() };
  });
}

/** Why `name` is not a valid npm package name, or undefined when it is one (npm's rules for new packages). */
export function npmNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'it is empty';
  if (name.length > 214) return 'it is longer than 214 characters';
  if (name !== name.trim()) return 'it has leading or trailing spaces';
  if (name !== name.toLowerCase()) return 'it has uppercase letters';
  if (/^[._]/.test(name)) return 'it starts with a dot or an underscore';
  if (builtinModules.includes(name) || name === 'node_modules' || name === 'favicon.ico') {
    return 'it is reserved (a Node.js core module or a reserved name)';
  }
  if (!/^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(name)) {
    return 'it may contain only lowercase letters, digits, "-", ".", "_", "~" and one @scope/';
  }
  return undefined;
}

/** An exact version, a range (`^1.2.0`, `1.x`) or a dist-tag (`latest`). Git, file and URL specs are refused. */
export function isVersionSpec(spec: string): boolean {
  const trimmed = spec.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_DEPENDENCY_VERSION_LENGTH) return false;
  if (semver.validRange(trimmed) !== null) return true;
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(trimmed);
}

function integerParameter(value: string | undefined, name: string, min: number, max: number) {
  if (value === undefined || value === '') return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max) {
    throw new InvalidRequestError(
      `Query parameter ${name} must be an integer from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'up' : max}, got ${JSON.stringify(value.slice(0, 40))}.`,
      'invalid_query_string',
    );
  }
  return number;
}

function optionalString(value: unknown, field: string, maxLength: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new InvalidRequestError(
      `${field} must be a string of at most ${maxLength} characters, got ${describe(value)}.`,
    );
  }
  return value;
}

export function requireObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestError(`${what} must be a JSON object, got ${describe(value)}.`);
  }
  return value as Record<string, unknown>;
}

export function refuseUnknownFields(
  object: Record<string, unknown>,
  allowed: readonly string[],
  when: string,
) {
  const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      `Unknown field(s) ${unknown.map((key) => JSON.stringify(key.slice(0, 64))).join(', ')} when ${when}; allowed: ${allowed.join(', ')}.`,
    );
  }
}

/** The type of a value that may be secret, in words that do not depend on the value. */
function describeType(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `a ${typeof value}`;
}

/** A short description of a non-secret value, for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string')
    return value.length > 60 ? `a ${value.length}-character string` : JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
