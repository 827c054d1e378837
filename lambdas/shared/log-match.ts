/**
 * Matching Auth0 log events by type code and category: the checks and the EventBridge pattern that routes
 * (`config/routes.ts`) and action bindings share. Pure, with no CDK dependency, so Lambda code, local mode and
 * the CDK stack all build the same patterns.
 */
import { isKnownLogType, LOG_TYPES, ROUTABLE_CATEGORIES } from './log-types';
import { closestMatches } from './suggest';

export interface LogMatch {
  /** Log type codes, e.g. `['f', 'fp', 'fu']`. */
  readonly codes?: readonly string[];
  /** Official log-stream categories, e.g. `['auth.login.fail']`, or `unknown` for codes not in the catalogue. */
  readonly categories?: readonly string[];
  /** A raw EventBridge pattern, combined (AND) with the codes and categories. */
  readonly pattern?: Record<string, unknown>;
}

/**
 * The raw pattern of a match sets a field that its codes, categories, source or detail-type already set to
 * something else. `path` is the dotted path of that field, e.g. `detail.data.type`.
 */
export class LogMatchConflictError extends Error {
  public readonly path: string;

  public constructor(path: string) {
    super(
      `the raw pattern sets "${path}", which the match already sets from its codes, categories or source`,
    );
    this.name = 'LogMatchConflictError';
    this.path = path;
  }
}

const KNOWN_CODES: readonly string[] = Object.keys(LOG_TYPES);

/**
 * The problems with the codes and categories of a match, each prefixed with `where` and carrying the closest
 * valid names: `route "x": unknown log type code "fpp"; did you mean "fp", "fcp"?`. Empty when they are valid.
 */
export function validateLogMatch(match: LogMatch, where: string): string[] {
  const problems: string[] = [];
  const lists = [
    { field: 'codes', kind: 'log type code', valid: KNOWN_CODES, isKnown: isKnownLogType },
    {
      field: 'categories',
      kind: 'category',
      valid: ROUTABLE_CATEGORIES,
      isKnown: (name: string) => (ROUTABLE_CATEGORIES as readonly string[]).includes(name),
    },
  ] as const;
  for (const { field, kind, valid, isKnown } of lists) {
    const names: unknown = match[field];
    if (names === undefined) continue;
    // Bindings arrive as JSON over the API, so the shape is checked as well as the names.
    if (!Array.isArray(names)) {
      problems.push(`${where}: ${field} must be a list of ${kind}s, got ${JSON.stringify(names)}`);
      continue;
    }
    for (const name of names) {
      if (typeof name !== 'string') {
        problems.push(`${where}: ${field} must hold ${kind} strings, got ${JSON.stringify(name)}`);
      } else if (!isKnown(name)) {
        problems.push(unknownName(where, kind, name, valid));
      }
    }
  }
  return problems;
}

function unknownName(where: string, kind: string, name: string, valid: readonly string[]): string {
  const suggestions = closestMatches(name, valid);
  const hint = suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
  return `${where}: unknown ${kind} "${name}"${hint}`;
}

/**
 * The EventBridge pattern for a match: events from `source` with `detailType`, whose type code is one of
 * `codes` or whose category is one of `categories` (`$or` when both are given), further narrowed by the raw
 * `pattern`. With neither codes nor categories nor a pattern, it matches every event of that source and type.
 * Throws `LogMatchConflictError` when the raw pattern sets a field the rest already sets differently.
 */
export function logMatchPattern(
  match: LogMatch,
  source: string,
  detailType: string,
): Record<string, unknown> {
  const { codes = [], categories = [], pattern = {} } = match;
  const alternatives: Record<string, unknown>[] = [];
  if (codes.length > 0) alternatives.push({ detail: { data: { type: [...codes] } } });
  if (categories.length > 0) alternatives.push({ detail: { category: [...categories] } });

  let result: Record<string, unknown> = { source: [source], 'detail-type': [detailType] };
  const [only] = alternatives;
  if (alternatives.length === 1 && only) result = mergePatterns(result, only);
  if (alternatives.length > 1) result = { ...result, $or: alternatives };
  return mergePatterns(result, pattern);
}

function mergePatterns(a: Record<string, unknown>, b: Record<string, unknown>, path = '') {
  const merged: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const existing = merged[key];
    if (existing === undefined) merged[key] = value;
    else if (isObject(existing) && isObject(value))
      merged[key] = mergePatterns(existing, value, `${path}${key}.`);
    else if (JSON.stringify(existing) !== JSON.stringify(value)) {
      throw new LogMatchConflictError(`${path}${key}`);
    }
  }
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
