/**
 * The words for what a compiled validator (ajv standalone code, scripts/standalone-validators.ts) found wrong,
 * shared by the Actions event checks (400 answers) and the log record checks (warnings). Each problem names the
 * field by its path and says what was expected (`user.email: must be a string`, `scope: must be a string or an
 * array or null`), and never quotes a value: events carry the tenant's secrets and users' personal data.
 */

/** What ajv reports; `params` may hold parts of the value, so only schema words are read from it. */
export interface SchemaValidationError {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/**
 * The problems ajv reported for `value`, at most `max` of them, each as `<field path>: <what was expected>`;
 * `root` names the value itself, e.g. `(event)`.
 */
export function describeSchemaProblems(
  value: unknown,
  errors: readonly SchemaValidationError[],
  root: string,
  max = Number.POSITIVE_INFINITY,
): string[] {
  return collapseAlternatives(errors)
    .slice(0, max)
    .map((problem) => `${fieldPath(value, problem.instancePath, root)}: ${problem.expected}`);
}

interface Problem {
  readonly instancePath: string;
  readonly schemaPath: string;
  readonly expected: string;
  /** Whether it says only which types would do, so alternatives of types can be named together. */
  readonly typeOnly: boolean;
}

/**
 * ajv reports a failed `oneOf` as the failures of each of its branches, then the `oneOf` itself. When every
 * branch failed on the value's type, one problem says which types would do; otherwise the value has the type
 * of some branch, and that branch's deeper failures are the useful ones.
 */
function collapseAlternatives(errors: readonly SchemaValidationError[]): Problem[] {
  const problems: Problem[] = [];
  for (const error of errors) {
    if (error.keyword !== 'oneOf' && error.keyword !== 'anyOf') {
      problems.push(problemOf(error));
      continue;
    }
    const { instancePath, schemaPath } = error;
    const branchPrefix = `${schemaPath}/`;
    const inBranch = (p: Problem): boolean =>
      p.schemaPath.startsWith(branchPrefix) && isWithin(p.instancePath, instancePath);
    const branches = problems.filter(inBranch);
    problems.splice(0, problems.length, ...problems.filter((p) => !inBranch(p)));
    const typeProblems = branches.filter((p) => p.instancePath === instancePath && p.typeOnly);
    const mistypedBranches = new Set(typeProblems.map((p) => branchOf(p, branchPrefix)));
    const deeper = branches.filter((p) => !mistypedBranches.has(branchOf(p, branchPrefix)));
    if (deeper.length > 0) problems.push(...deeper);
    else if (typeProblems.length > 0) {
      const types = typeProblems.map((p) => p.expected.replace(/^must be /, ''));
      problems.push({ instancePath, schemaPath, expected: `must be ${types.join(' or ')}`, typeOnly: true });
    } else {
      problems.push({
        instancePath,
        schemaPath,
        expected: 'must match one of the allowed shapes',
        typeOnly: false,
      });
    }
  }
  return problems;
}

function isWithin(path: string, parent: string): boolean {
  return path === parent || path.startsWith(`${parent}/`);
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
 * What the schema expected, from the error's keyword. Of ajv's `params`, which may hold parts of the value,
 * only schema words are read: the type names, a missing property's name, and a `minimum`'s comparison and
 * limit, which come from the schema (no `$data` references are compiled).
 */
function problemOf(error: SchemaValidationError): Problem {
  const { instancePath, schemaPath, keyword, params } = error;
  const types = typeof params.type === 'string' ? params.type.split(',') : params.type;
  if (keyword === 'type' && Array.isArray(types)) {
    const expected = `must be ${types.map((type) => ARTICLES[String(type)] ?? 'of another type').join(' or ')}`;
    return { instancePath, schemaPath, expected, typeOnly: true };
  }
  if (keyword === 'required' && typeof params.missingProperty === 'string') {
    const missing = `${instancePath}/${params.missingProperty.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    return { instancePath: missing, schemaPath, expected: 'is required', typeOnly: false };
  }
  if (
    (keyword === 'minimum' || keyword === 'maximum') &&
    typeof params.limit === 'number' &&
    (params.comparison === '>=' || params.comparison === '<=')
  ) {
    return {
      instancePath,
      schemaPath,
      expected: `must be ${params.comparison} ${params.limit}`,
      typeOnly: false,
    };
  }
  return { instancePath, schemaPath, expected: `must satisfy the schema's "${keyword}"`, typeOnly: false };
}

/**
 * `/transaction/requested_scopes/0` → `transaction.requested_scopes[0]`, `` → `root`. The value is walked
 * alongside, so an array index and an object key that looks like a number are told apart.
 */
function fieldPath(value: unknown, instancePath: string, root: string): string {
  if (instancePath === '') return root;
  let path = '';
  let node = value;
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
