/**
 * The triggers an action can be bound to. This table is the only place that knows them: a binding, the rule
 * it becomes and the handler a runner calls are all read from it. `auth0-log` runs on the ingest's log
 * events; each Auth0 Actions trigger runs on the `event` objects the ingest publishes for it (detail-type
 * `Auth0 action: <trigger>`, lambdas/shared/surfaces.ts), after the fact: what its `api` would change is
 * recorded, not applied (runtime/recorded-api.ts).
 */
import { type LogMatch, logMatchPattern, validateLogMatch } from '../../shared/log-match';
import { closestMatches } from '../../shared/suggest';
import {
  ACTION_TRIGGERS,
  type ActionTrigger,
  actionDetailType,
  LOG_DETAIL_TYPE,
} from '../../shared/surfaces';
import { UnknownTriggerError } from './errors';

export const TRIGGER_IDS = ['auth0-log', ...ACTION_TRIGGERS] as const;

export type TriggerId = (typeof TRIGGER_IDS)[number];

/** The fields a binding's `match` may set, for the triggers whose events carry an Auth0 log. */
export type MatchField = 'codes' | 'categories';

/** Narrows which of a trigger's events reach the action; codes and categories are OR-ed together. */
export interface BindingMatch {
  /** Log type codes, e.g. `['f', 'fp']`. */
  readonly codes?: readonly string[];
  /** Log-stream categories, e.g. `['auth.login.fail']`. */
  readonly categories?: readonly string[];
}

export interface Trigger {
  readonly id: TriggerId;
  /** The trigger version an action is written against (Auth0's numbering for Auth0's triggers). */
  readonly version: string;
  /** The function an action exports for this trigger, e.g. `onExecutePostLogin`. */
  readonly handler: string;
  /** The detail-type of this trigger's events on the bus. */
  readonly detailType: string;
  /** The `match` fields a binding may set; empty when a binding takes no match. */
  readonly matchFields: readonly MatchField[];
  /**
   * The keys of the event's `detail` the action receives as its `event`; `'all'` for the whole detail.
   * Never `secrets`: `event.secrets` is always the action's own.
   */
  readonly eventFields: readonly string[] | 'all';
  /** The EventBridge pattern for a binding with this (already validated) match. */
  readonly pattern: (match: BindingMatch | undefined, source: string) => Record<string, unknown>;
}

/**
 * An Auth0 Actions trigger: its bindings take no match and receive every event of the trigger, the whole
 * `event` object Auth0 gave the ingest (whose `event.secrets`, the tenant's, the ingest never publishes).
 */
function auth0ActionsTrigger(id: ActionTrigger, version: string, handler: string): Trigger {
  const detailType = actionDetailType(id);
  return {
    id,
    version,
    handler,
    detailType,
    matchFields: [],
    eventFields: 'all',
    pattern: (_match, source) => ({ source: [source], 'detail-type': [detailType] }),
  };
}

export const TRIGGERS: readonly Trigger[] = [
  {
    id: 'auth0-log',
    version: 'v1',
    handler: 'onExecuteAuth0Log',
    detailType: LOG_DETAIL_TYPE,
    matchFields: ['codes', 'categories'],
    eventFields: ['log_id', 'data', 'category'],
    // Only codes and categories: a binding never carries a raw pattern, whatever the object holds.
    pattern: (match, source) =>
      logMatchPattern({ codes: match?.codes, categories: match?.categories }, source, LOG_DETAIL_TYPE),
  },
  auth0ActionsTrigger('post-login', 'v3', 'onExecutePostLogin'),
  auth0ActionsTrigger('credentials-exchange', 'v2', 'onExecuteCredentialsExchange'),
  auth0ActionsTrigger('pre-user-registration', 'v2', 'onExecutePreUserRegistration'),
  auth0ActionsTrigger('post-user-registration', 'v2', 'onExecutePostUserRegistration'),
  auth0ActionsTrigger('post-change-password', 'v2', 'onExecutePostChangePassword'),
  auth0ActionsTrigger('send-phone-message', 'v2', 'onExecuteSendPhoneMessage'),
  auth0ActionsTrigger('password-reset-post-challenge', 'v1', 'onExecutePostChallenge'),
  auth0ActionsTrigger('custom-token-exchange', 'v1', 'onExecuteCustomTokenExchange'),
];

const BY_ID = new Map<string, Trigger>(TRIGGERS.map((trigger) => [trigger.id, trigger]));

export function isTriggerId(id: string): id is TriggerId {
  return BY_ID.has(id);
}

/** The trigger with this id. Throws `UnknownTriggerError`, naming the closest ids, for any other string. */
export function getTrigger(id: string): Trigger {
  const trigger = BY_ID.get(id);
  if (!trigger) {
    const hint = didYouMean(id, TRIGGER_IDS);
    const known = `the triggers are ${TRIGGER_IDS.join(', ')}`;
    throw new UnknownTriggerError(
      `Unknown trigger "${id}"${hint ? `; ${hint} (${known})` : `; ${known}`}`,
      id,
    );
  }
  return trigger;
}

/**
 * The problems with a binding's match for a trigger, each with the closest valid names; empty when it is
 * valid. A match is only allowed where the trigger supports one, and then only the fields it supports. Leaving
 * the match out is always valid.
 */
export function validateBindingMatch(triggerId: string, match: unknown): string[] {
  const trigger = BY_ID.get(triggerId);
  if (!trigger) return [unknownTrigger(triggerId)];
  if (match === undefined) return [];
  const where = `trigger "${triggerId}"`;
  if (trigger.matchFields.length === 0) {
    return [`${where}: takes no match (its bindings receive every event); remove "match"`];
  }
  if (typeof match !== 'object' || match === null || Array.isArray(match)) {
    return [`${where}: match must be an object with ${fieldList(trigger.matchFields)}`];
  }

  const problems: string[] = [];
  for (const field of Object.keys(match)) {
    if ((trigger.matchFields as readonly string[]).includes(field)) continue;
    const hint = didYouMean(field, trigger.matchFields);
    problems.push(
      `${where}: match field "${field}" is not supported${hint ? `; ${hint}` : ''} (it takes ${fieldList(trigger.matchFields)})`,
    );
  }
  const fields = match as BindingMatch;
  const logMatch: LogMatch = { codes: fields.codes, categories: fields.categories };
  problems.push(...validateLogMatch(logMatch, where));
  const named = [fields.codes, fields.categories].some((names) => Array.isArray(names) && names.length > 0);
  if (problems.length === 0 && !named) {
    problems.push(
      `${where}: match names no ${fieldList(trigger.matchFields, 'or')}; leave "match" out to receive every event`,
    );
  }
  return problems;
}

function unknownTrigger(id: string): string {
  const hint = didYouMean(id, TRIGGER_IDS);
  return `unknown trigger "${id}"${hint ? `; ${hint}` : ''}`;
}

/** `did you mean "post-login"?`, or '' when nothing is close. */
function didYouMean(name: string, candidates: readonly string[]): string {
  const suggestions = closestMatches(name, candidates);
  return suggestions.length > 0 ? `did you mean ${suggestions.map((s) => `"${s}"`).join(', ')}?` : '';
}

function fieldList(fields: readonly string[], conjunction = 'and/or'): string {
  return fields.map((field) => `"${field}"`).join(` ${conjunction} `);
}
