import type { ActionTrigger } from '../../shared/surfaces';
import {
  type ActionEventValidateFunction,
  type ActionEventValidationError,
  credentialsExchange,
  customTokenExchange,
  passwordResetPostChallenge,
  postChangePassword,
  postLogin,
  postUserRegistration,
  preUserRegistration,
  sendPhoneMessage,
} from './validators.generated';

/** The most problems one event is reported with; the first few are enough to fix the sender. */
export const MAX_ACTION_EVENT_PROBLEMS = 10;

const VALIDATORS: Readonly<Record<ActionTrigger, ActionEventValidateFunction>> = {
  'post-login': postLogin,
  'credentials-exchange': credentialsExchange,
  'pre-user-registration': preUserRegistration,
  'post-user-registration': postUserRegistration,
  'post-change-password': postChangePassword,
  'send-phone-message': sendPhoneMessage,
  'password-reset-post-challenge': passwordResetPostChallenge,
  'custom-token-exchange': customTokenExchange,
};

/**
 * What is wrong with an Auth0 Actions `event` object for its trigger's schema, at most
 * MAX_ACTION_EVENT_PROBLEMS of them, or none. Each problem names the field by its path and says what was
 * expected (`user.email: must be a string`, `transaction.requested_scopes[0]: must be a string`), and never
 * quotes a value: events carry the tenant's secrets and users' personal data.
 */
export function validateActionEvent(trigger: ActionTrigger, event: unknown): string[] {
  const validate = VALIDATORS[trigger];
  if (validate(event)) return [];
  const problems = collapseAlternatives(validate.errors ?? []);
  return problems
    .slice(0, MAX_ACTION_EVENT_PROBLEMS)
    .map((p) => `${fieldPath(event, p.instancePath)}: ${p.expected}`);
}

interface Problem {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly expected: string;
}

/**
 * ajv reports a failed `oneOf` as the failures of each of its branches, then the `oneOf` itself. When every
 * branch failed on the value's type, one problem says which types would do; otherwise the value has the type
 * of some branch, and that branch's deeper failures are the useful ones.
 */
function collapseAlternatives(errors: readonly ActionEventValidationError[]): Problem[] {
  const problems: Problem[] = [];
  for (const error of errors) {
    if (error.keyword !== 'oneOf' && error.keyword !== 'anyOf') {
      problems.push({
        instancePath: error.instancePath,
        schemaPath: error.schemaPath,
        expected: expectation(error),
      });
      continue;
    }
    const { instancePath, schemaPath } = error;
    const branchPrefix = `${schemaPath}/`;
    const inBranch = (p: Problem): boolean =>
      p.schemaPath.startsWith(branchPrefix) && isWithin(p.instancePath, instancePath);
    const branches = problems.filter(inBranch);
    problems.splice(0, problems.length, ...problems.filter((p) => !inBranch(p)));
    const typeProblems = branches.filter((p) => p.instancePath === instancePath && isTypeProblem(p));
    const mistypedBranches = new Set(typeProblems.map((p) => branchOf(p, branchPrefix)));
    const deeper = branches.filter((p) => !mistypedBranches.has(branchOf(p, branchPrefix)));
    if (deeper.length > 0) problems.push(...deeper);
    else if (typeProblems.length > 0) {
      const types = typeProblems.map((p) => p.expected.replace(/^must be /, ''));
      problems.push({ instancePath, schemaPath, expected: `must be ${types.join(' or ')}` });
    } else problems.push({ instancePath, schemaPath, expected: 'must match one of the allowed shapes' });
  }
  return problems;
}

function isWithin(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
}

function isTypeProblem(problem: Problem): boolean {
  return problem.schemaPath.endsWith('/type');
}

function branchOf(problem: Problem, branchPrefix: string): string {
  return problem.schemaPath.slice(branchPrefix.length).split('/', 1)[0] ?? '';
}

const ARTICLES: Readonly<Record<string, string>> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  null: 'null',
};

/**
 * What the schema expected, from the error's keyword. Of ajv's `params`, which may hold parts of the event,
 * only schema words are read: the type names, and a `minimum`'s comparison and limit, which come from the
 * schema (no `$data` references are compiled).
 */
function expectation(error: ActionEventValidationError): string {
  const { keyword, params } = error;
  if (keyword === 'type' && typeof params.type === 'string') {
    return `must be ${params.type
      .split(',')
      .map((type) => ARTICLES[type] ?? 'of another type')
      .join(' or ')}`;
  }
  if (
    (keyword === 'minimum' || keyword === 'maximum') &&
    typeof params.limit === 'number' &&
    (params.comparison === '>=' || params.comparison === '<=')
  ) {
    return `must be ${params.comparison} ${params.limit}`;
  }
  return `must satisfy the schema's "${keyword}"`;
}

/**
 * `/transaction/requested_scopes/0` → `transaction.requested_scopes[0]`, `` → `(event)`. The event is walked
 * alongside, so an array index and an object key that looks like a number are told apart.
 */
function fieldPath(event: unknown, instancePath: string): string {
  if (instancePath === '') return '(event)';
  let path = '';
  let node = event;
  for (const escaped of instancePath.slice(1).split('/')) {
    const segment = escaped.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path += `[${segment}]`;
      node = node[Number(segment)];
      continue;
    }
    path += /^[A-Za-z_$][\w$]*$/.test(segment)
      ? `${path === '' ? '' : '.'}${segment}`
      : `[${JSON.stringify(segment)}]`;
    node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[segment] : undefined;
  }
  return path;
}
