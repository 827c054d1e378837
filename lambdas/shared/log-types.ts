import {
  LOG_STREAM_CATEGORIES,
  LOG_TYPES,
  type LogStreamCategory,
  type LogTypeCode,
} from './log-types.generated';

export { LOG_STREAM_CATEGORIES, LOG_TYPES, type LogStreamCategory, type LogTypeCode };

/**
 * The category given to a type code that is not in the catalogue. Such records still flow (Auth0 adds codes
 * over time); routing on this category is how a user notices them.
 */
export const UNKNOWN_CATEGORY = 'unknown';

export type RoutableCategory = LogStreamCategory | typeof UNKNOWN_CATEGORY;

export const ROUTABLE_CATEGORIES: readonly RoutableCategory[] = [...LOG_STREAM_CATEGORIES, UNKNOWN_CATEGORY];

export function isKnownLogType(code: string): code is LogTypeCode {
  return Object.hasOwn(LOG_TYPES, code);
}

export function categoryOf(code: string): RoutableCategory {
  return isKnownLogType(code) ? LOG_TYPES[code].category : UNKNOWN_CATEGORY;
}

/** Every documented code that starts with `prefix`, e.g. `gd_` for the MFA (Guardian) events. */
export function logTypesWithPrefix(prefix: string): LogTypeCode[] {
  return (Object.keys(LOG_TYPES) as LogTypeCode[]).filter((code) => code.startsWith(prefix));
}

/** Every documented code in a category. */
export function logTypesInCategory(category: LogStreamCategory): LogTypeCode[] {
  return (Object.keys(LOG_TYPES) as LogTypeCode[]).filter((code) => LOG_TYPES[code].category === category);
}

/** The candidates closest to `input` by edit distance, best first, for "did you mean" messages. */
export function closestMatches(input: string, candidates: readonly string[], limit = 3): string[] {
  const scored = candidates.map((candidate) => ({ candidate, distance: editDistance(input, candidate) }));
  const threshold = Math.max(2, Math.ceil(input.length / 2));
  return scored
    .filter(({ candidate, distance }) => distance <= threshold || candidate.startsWith(input))
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .slice(0, limit)
    .map(({ candidate }) => candidate);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
