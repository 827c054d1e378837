/**
 * Matching Auth0 events: log events by type code and category, Actions events by trigger, Event Streams events
 * by type. The checks and the EventBridge pattern that routes (`config/routes.ts`) and action bindings share.
 * Pure, with no CDK dependency, so Lambda code, local mode and the CDK stack all build the same patterns.
 */
import { EVENT_STREAM_TYPES, isKnownEventStreamType } from './event-stream-types';
import { isKnownLogType, LOG_TYPES, ROUTABLE_CATEGORIES } from './log-types';
import { closestMatches } from './suggest';
import {
  ACTION_DETAIL_TYPE_PREFIX,
  ACTION_TRIGGERS,
  eventDetailType,
  isActionTrigger,
  LOG_DETAIL_TYPE,
  normaliseEventType,
} from './surfaces';

export interface LogMatch {
  /** Log type codes, e.g. `['f', 'fp', 'fu']`. */
  readonly codes?: readonly string[];
  /** Official log-stream categories, e.g. `['auth.login.fail']`, or `unknown` for codes not in the catalogue. */
  readonly categories?: readonly string[];
  /** A raw EventBridge pattern, combined (AND) with the codes and categories. */
  readonly pattern?: Record<string, unknown>;
}

/**
 * A match over all three kinds of Auth0 events on the bus (see `surfaces.ts`): log events by code or category,
 * Actions events by trigger, Event Streams events by type. The raw pattern narrows whichever of them match.
 */
export interface EventMatch extends LogMatch {
  /** Auth0 Actions triggers whose events match, e.g. `['post-login']` (detail-type `Auth0 action: post-login`). */
  readonly triggers?: readonly string[];
  /** Event Streams types, e.g. `['user.created']`; `com.auth0.user.created` is the same type. */
  readonly eventTypes?: readonly string[];
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

/** One list field of a match: what its names are called in messages, and which names are valid. */
interface NameList {
  readonly field: string;
  readonly kind: string;
  readonly valid: readonly string[];
  readonly isKnown: (name: string) => boolean;
  /** Maps a name to the spelling `valid` uses, for the suggestions. */
  readonly normalise?: (name: string) => string;
}

const LOG_LISTS: readonly NameList[] = [
  { field: 'codes', kind: 'log type code', valid: KNOWN_CODES, isKnown: isKnownLogType },
  {
    field: 'categories',
    kind: 'category',
    valid: ROUTABLE_CATEGORIES,
    isKnown: (name) => (ROUTABLE_CATEGORIES as readonly string[]).includes(name),
  },
];

const SURFACE_LISTS: readonly NameList[] = [
  { field: 'triggers', kind: 'trigger', valid: ACTION_TRIGGERS, isKnown: isActionTrigger },
  {
    field: 'eventTypes',
    kind: 'event type',
    valid: EVENT_STREAM_TYPES,
    isKnown: isKnownEventStreamType,
    normalise: normaliseEventType,
  },
];

/**
 * The problems with the codes and categories of a match, each prefixed with `where` and carrying the closest
 * valid names: `route "x": unknown log type code "fpp"; did you mean "fp", "fcp"?`. Empty when they are valid.
 */
export function validateLogMatch(match: LogMatch, where: string): string[] {
  return checkLists(match as Record<string, unknown>, LOG_LISTS, where);
}

/**
 * The problems with every name of a match, in the style of `validateLogMatch`: codes, categories, then
 * `route "x": unknown trigger "post-logn"; did you mean "post-login"?` and the same for event types (which
 * may be spelt `user.created` or `com.auth0.user.created`). Empty when they are valid.
 */
export function validateEventMatch(match: EventMatch, where: string): string[] {
  return checkLists(match as Record<string, unknown>, [...LOG_LISTS, ...SURFACE_LISTS], where);
}

function checkLists(match: Record<string, unknown>, lists: readonly NameList[], where: string): string[] {
  const problems: string[] = [];
  for (const { field, kind, valid, isKnown, normalise = (name: string) => name } of lists) {
    const names = match[field];
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
        problems.push(unknownName(where, kind, name, normalise(name), valid));
      }
    }
  }
  return problems;
}

function unknownName(
  where: string,
  kind: string,
  name: string,
  normalised: string,
  valid: readonly string[],
): string {
  const suggestions = closestMatches(normalised, valid);
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
  const { pattern = {} } = match;
  const alternatives = logAlternatives(match);
  let result: Record<string, unknown> = { source: [source], 'detail-type': [detailType] };
  const [only] = alternatives;
  if (alternatives.length === 1 && only) result = mergePatterns(result, only);
  if (alternatives.length > 1) result = { ...result, $or: alternatives };
  return mergePatterns(result, pattern);
}

/**
 * The EventBridge pattern for a match over every kind of event: log events whose code is one of `codes` or
 * whose category is one of `categories`, OR Actions events of `triggers`, OR Event Streams events of
 * `eventTypes`, all from `source`, the whole narrowed (AND) by the raw `pattern`.
 *
 * With no triggers and no event types it is exactly `logMatchPattern` with the `Auth0 log` detail-type (a
 * match naming only a raw pattern narrows log events). Otherwise each alternative of the `$or` carries its own
 * `detail-type`, which both EventBridge and moto evaluate; triggers and event types need nothing but their
 * detail-type, so they share one alternative, and with nothing else there is no `$or` at all.
 * Throws `LogMatchConflictError` when the raw pattern sets a top-level field the rest already sets differently.
 */
export function eventMatchPattern(match: EventMatch, source: string): Record<string, unknown> {
  const { triggers = [], eventTypes = [], pattern = {} } = match;
  if (triggers.length === 0 && eventTypes.length === 0) {
    return logMatchPattern(match, source, LOG_DETAIL_TYPE);
  }
  const detailTypes = new Set([
    ...triggers.map((trigger) => `${ACTION_DETAIL_TYPE_PREFIX}${trigger}`),
    ...eventTypes.map(eventDetailType),
  ]);
  const alternatives = [
    ...logAlternatives(match).map((alternative) => ({ 'detail-type': [LOG_DETAIL_TYPE], ...alternative })),
    { 'detail-type': [...detailTypes] },
  ];
  let result: Record<string, unknown> = { source: [source] };
  const [only] = alternatives;
  if (alternatives.length === 1 && only) result = mergePatterns(result, only);
  if (alternatives.length > 1) result = { ...result, $or: alternatives };
  return mergePatterns(result, pattern);
}

/** The log-event alternatives of a match: one for its codes, one for its categories, when given. */
function logAlternatives(match: LogMatch): Record<string, unknown>[] {
  const { codes = [], categories = [] } = match;
  const alternatives: Record<string, unknown>[] = [];
  if (codes.length > 0) alternatives.push({ detail: { data: { type: [...codes] } } });
  if (categories.length > 0) alternatives.push({ detail: { category: [...categories] } });
  return alternatives;
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
