import { describe, expect, it } from 'vitest';
import { UnknownTriggerError } from '../../../lambdas/actions/bindings/errors';
import {
  getTrigger,
  isTriggerId,
  TRIGGER_IDS,
  TRIGGERS,
  validateBindingMatch,
} from '../../../lambdas/actions/bindings/triggers';
import { ACTION_TRIGGERS } from '../../../lambdas/shared/surfaces';

const AUTH0_ACTIONS_TRIGGERS = [
  ['post-login', 'onExecutePostLogin'],
  ['credentials-exchange', 'onExecuteCredentialsExchange'],
  ['pre-user-registration', 'onExecutePreUserRegistration'],
  ['post-user-registration', 'onExecutePostUserRegistration'],
  ['post-change-password', 'onExecutePostChangePassword'],
  ['send-phone-message', 'onExecuteSendPhoneMessage'],
  ['password-reset-post-challenge', 'onExecutePostChallenge'],
  ['custom-token-exchange', 'onExecuteCustomTokenExchange'],
] as const;

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('the trigger table', () => {
  it('lists auth0-log and the eight Auth0 Actions triggers, once each, in TRIGGER_IDS order', () => {
    expect(TRIGGERS.map((trigger) => trigger.id)).toEqual([
      'auth0-log',
      ...AUTH0_ACTIONS_TRIGGERS.map(([id]) => id),
    ]);
    expect(TRIGGER_IDS).toEqual(TRIGGERS.map((trigger) => trigger.id));
    expect(TRIGGER_IDS.slice(1)).toEqual([...ACTION_TRIGGERS]);
    expect(new Set(TRIGGERS.map((trigger) => trigger.handler)).size).toBe(TRIGGERS.length);
    expect(new Set(TRIGGERS.map((trigger) => trigger.detailType)).size).toBe(TRIGGERS.length);
  });

  it('makes auth0-log bindable, on Auth0 log events, with a codes/categories match', () => {
    const trigger = getTrigger('auth0-log');
    expect(trigger).toMatchObject({
      id: 'auth0-log',
      version: 'v1',
      handler: 'onExecuteAuth0Log',
      detailType: 'Auth0 log',
      matchFields: ['codes', 'categories'],
      eventFields: ['log_id', 'data', 'category'],
    });
  });

  it.each(AUTH0_ACTIONS_TRIGGERS)(
    'makes %s bindable, with handler %s, on its own events, without a match, giving the whole event',
    (id, handler) => {
      const trigger = getTrigger(id);
      expect(trigger).toMatchObject({
        id,
        handler,
        detailType: `Auth0 action: ${id}`,
        matchFields: [],
        eventFields: 'all',
      });
      expect(trigger.version).toMatch(/^v\d+$/);
      expect(getTrigger(id)).toBe(trigger);
    },
  );

  it.each(AUTH0_ACTIONS_TRIGGERS)('builds the %s pattern from the source and its detail-type only', (id) => {
    const trigger = getTrigger(id);
    const withRawPattern = { codes: ['fp'], pattern: { source: ['elsewhere'] } } as never;
    const expected = { source: ['custom.source'], 'detail-type': [`Auth0 action: ${id}`] };
    expect(trigger.pattern(undefined, 'custom.source')).toEqual(expected);
    expect(trigger.pattern(withRawPattern, 'custom.source')).toEqual(expected);
  });

  it('builds the auth0-log pattern from codes and categories only', () => {
    const trigger = getTrigger('auth0-log');
    const withRawPattern = { codes: ['fp'], pattern: { source: ['elsewhere'] } } as never;
    expect(trigger.pattern(withRawPattern, 'auth0.logs')).toEqual({
      source: ['auth0.logs'],
      'detail-type': ['Auth0 log'],
      detail: { data: { type: ['fp'] } },
    });
    expect(trigger.pattern(undefined, 'auth0.logs')).toEqual({
      source: ['auth0.logs'],
      'detail-type': ['Auth0 log'],
    });
  });
});

describe('getTrigger', () => {
  it('throws for an unknown id, suggesting the closest trigger', () => {
    const error = thrownBy(() => getTrigger('post-logn'));
    expect(error).toBeInstanceOf(UnknownTriggerError);
    expect((error as Error).message).toMatch(/^Unknown trigger "post-logn"; did you mean "post-login"/);
    expect(error).toMatchObject({ triggerId: 'post-logn' });
  });

  it('lists every trigger when nothing is close', () => {
    expect(() => getTrigger('zzzzzzzzzzzzzzzzzzzzzzzzz')).toThrow(
      `Unknown trigger "zzzzzzzzzzzzzzzzzzzzzzzzz"; the triggers are ${TRIGGER_IDS.join(', ')}`,
    );
  });

  it('does not treat Object.prototype names as triggers', () => {
    expect(isTriggerId('constructor')).toBe(false);
    expect(() => getTrigger('toString')).toThrow(UnknownTriggerError);
  });
});

describe('validateBindingMatch', () => {
  it('accepts no match, and codes and/or categories on auth0-log', () => {
    expect(validateBindingMatch('auth0-log', undefined)).toEqual([]);
    expect(validateBindingMatch('auth0-log', { codes: ['fp'] })).toEqual([]);
    expect(validateBindingMatch('auth0-log', { codes: ['f'], categories: ['auth.login.fail'] })).toEqual([]);
    expect(validateBindingMatch('post-login', undefined)).toEqual([]);
  });

  it('names an unknown code or category with the closest names', () => {
    expect(validateBindingMatch('auth0-log', { codes: ['fpp'], categories: ['user.fial'] })).toEqual([
      expect.stringMatching(/^trigger "auth0-log": unknown log type code "fpp"; did you mean .*"fp"/),
      expect.stringMatching(/^trigger "auth0-log": unknown category "user\.fial"; did you mean "user\.fail"/),
    ]);
  });

  it('refuses a match on a trigger that takes none', () => {
    expect(validateBindingMatch('post-login', { codes: ['s'] })).toEqual([
      'trigger "post-login": takes no match (its bindings receive every event); remove "match"',
    ]);
  });

  it('refuses fields the trigger does not support, suggesting the closest', () => {
    expect(validateBindingMatch('auth0-log', { code: ['fp'] })).toEqual([
      'trigger "auth0-log": match field "code" is not supported; did you mean "codes"? (it takes "codes" and/or "categories")',
    ]);
    expect(validateBindingMatch('auth0-log', { codes: ['fp'], pattern: { source: ['x'] } })).toEqual([
      'trigger "auth0-log": match field "pattern" is not supported (it takes "codes" and/or "categories")',
    ]);
  });

  it('refuses a match that names nothing, and one that is not an object', () => {
    expect(validateBindingMatch('auth0-log', { codes: [] })).toEqual([
      'trigger "auth0-log": match names no "codes" or "categories"; leave "match" out to receive every event',
    ]);
    expect(validateBindingMatch('auth0-log', ['fp'])).toEqual([
      'trigger "auth0-log": match must be an object with "codes" and/or "categories"',
    ]);
  });

  it('reports an unknown trigger with the closest ids', () => {
    expect(validateBindingMatch('auth0-logs', { codes: ['fp'] })).toEqual([
      expect.stringMatching(/^unknown trigger "auth0-logs"; did you mean "auth0-log"/),
    ]);
  });
});
