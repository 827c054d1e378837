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

/** Looked up once per record: a Map, rather than a check on the object and a second lookup. */
const CATEGORY_OF = new Map<string, RoutableCategory>(
  Object.entries(LOG_TYPES).map(([code, { category }]) => [code, category]),
);

export function categoryOf(code: string): RoutableCategory {
  return CATEGORY_OF.get(code) ?? UNKNOWN_CATEGORY;
}

/** Every documented code that starts with `prefix`, e.g. `gd_` for the MFA (Guardian) events. */
export function logTypesWithPrefix(prefix: string): LogTypeCode[] {
  return (Object.keys(LOG_TYPES) as LogTypeCode[]).filter((code) => code.startsWith(prefix));
}

/** Every documented code in a category. */
export function logTypesInCategory(category: LogStreamCategory): LogTypeCode[] {
  return (Object.keys(LOG_TYPES) as LogTypeCode[]).filter((code) => LOG_TYPES[code].category === category);
}
