import { describe, expect, it } from 'vitest';
import { EVENT_STREAM_TYPES, isKnownEventStreamType } from '../../lambdas/shared/event-stream-types';
import {
  eventMatchPattern,
  logMatchPattern,
  validateEventMatch,
  validateLogMatch,
} from '../../lambdas/shared/log-match';
import {
  eventPatternFor,
  type RouteDefinition,
  RouteDefinitionError,
  type RouteMatch,
  validateRoutes,
} from '../../lib/routes/route-model';

const SOURCE = 'auth0.logs';

const route = (match: RouteMatch, id = 'x'): RouteDefinition => ({
  id,
  description: 'test',
  match,
  targets: [{ type: 'sqs' }],
});

function validationError(routes: RouteDefinition[]): string {
  try {
    validateRoutes(routes);
  } catch (error) {
    expect(error).toBeInstanceOf(RouteDefinitionError);
    return (error as Error).message;
  }
  throw new Error('validateRoutes accepted the routes');
}

describe('eventPatternFor with triggers and event types', () => {
  it('matches only the detail-types of the triggers, with no $or, when the route names only triggers', () => {
    // GIVEN / WHEN
    const pattern = eventPatternFor(route({ triggers: ['post-login', 'post-change-password'] }), SOURCE);
    // THEN
    expect(pattern).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 action: post-login', 'Auth0 action: post-change-password'],
    });
  });

  it('matches Event Streams types by their normalised detail-type, once per type whatever the spelling', () => {
    const pattern = eventPatternFor(
      route({ eventTypes: ['user.created', 'com.auth0.user.created', 'com.auth0.user.deleted'] }),
      SOURCE,
    );
    expect(pattern).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 event: user.created', 'Auth0 event: user.deleted'],
    });
  });

  it('puts triggers and event types in one detail-type list, since neither needs more than its detail-type', () => {
    const pattern = eventPatternFor(
      route({ triggers: ['post-user-registration'], eventTypes: ['user.created'] }),
      'custom.source',
    );
    expect(pattern).toEqual({
      source: ['custom.source'],
      'detail-type': ['Auth0 action: post-user-registration', 'Auth0 event: user.created'],
    });
  });

  it('ORs log codes with triggers, each alternative carrying its own detail-type', () => {
    const pattern = eventPatternFor(route({ codes: ['fp', 'f'], triggers: ['post-login'] }), SOURCE);
    expect(pattern).toEqual({
      source: [SOURCE],
      $or: [
        { 'detail-type': ['Auth0 log'], detail: { data: { type: ['fp', 'f'] } } },
        { 'detail-type': ['Auth0 action: post-login'] },
      ],
    });
  });

  it('ORs codes, categories, triggers and event types as three alternatives', () => {
    const pattern = eventPatternFor(
      route({
        codes: ['s'],
        categories: ['auth.login.fail'],
        triggers: ['post-login'],
        eventTypes: ['user.created'],
      }),
      SOURCE,
    );
    expect(pattern).toEqual({
      source: [SOURCE],
      $or: [
        { 'detail-type': ['Auth0 log'], detail: { data: { type: ['s'] } } },
        { 'detail-type': ['Auth0 log'], detail: { category: ['auth.login.fail'] } },
        { 'detail-type': ['Auth0 action: post-login', 'Auth0 event: user.created'] },
      ],
    });
  });

  it('narrows a single-surface match with the raw pattern, merged in place', () => {
    const pattern = eventPatternFor(
      route({ triggers: ['post-login'], pattern: { detail: { user: { email_verified: [false] } } } }),
      SOURCE,
    );
    expect(pattern).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 action: post-login'],
      detail: { user: { email_verified: [false] } },
    });
  });

  it('ANDs the raw pattern with every alternative of a multi-surface match', () => {
    const pattern = eventPatternFor(
      route({
        categories: ['auth.login.success'],
        triggers: ['post-login'],
        pattern: { detail: { tenant: ['prod'] } },
      }),
      SOURCE,
    );
    expect(pattern).toEqual({
      source: [SOURCE],
      $or: [
        { 'detail-type': ['Auth0 log'], detail: { category: ['auth.login.success'] } },
        { 'detail-type': ['Auth0 action: post-login'] },
      ],
      detail: { tenant: ['prod'] },
    });
  });

  it('reports a raw pattern that sets another detail-type as a conflict naming the route', () => {
    const act = () =>
      eventPatternFor(
        route({ triggers: ['post-login'], pattern: { 'detail-type': ['Auth0 log'] } }, 'clash'),
        SOURCE,
      );
    expect(act).toThrow(RouteDefinitionError);
    expect(act).toThrow(/^route "clash": the raw pattern sets "detail-type"/);
  });

  it('builds exactly the log pattern of today for a route with only codes and categories', () => {
    const match = { codes: ['fp'], categories: ['user.fail'], pattern: { detail: { data: { ip: ['1'] } } } };
    expect(eventMatchPattern(match, SOURCE)).toEqual(logMatchPattern(match, SOURCE, 'Auth0 log'));
    expect(eventMatchPattern({ codes: ['fp'] }, SOURCE)).toEqual({
      source: [SOURCE],
      'detail-type': ['Auth0 log'],
      detail: { data: { type: ['fp'] } },
    });
  });

  it('treats empty trigger and event type lists as not given', () => {
    expect(eventMatchPattern({ codes: ['fp'], triggers: [], eventTypes: [] }, SOURCE)).toEqual(
      eventMatchPattern({ codes: ['fp'] }, SOURCE),
    );
  });
});

describe('route validation of triggers and event types', () => {
  it('names an unknown trigger with the closest one', () => {
    const message = validationError([route({ triggers: ['post-logn' as never] })]);
    expect(message).toBe(
      'Invalid routes in config/routes.ts:\n  - route "x": unknown trigger "post-logn"; did you mean "post-login"?',
    );
  });

  it('names an unknown event type with the closest normalised one, in either spelling', () => {
    const message = validationError([
      route({ eventTypes: ['user.craeted'] }, 'a'),
      route({ eventTypes: ['com.auth0.user.delted'] }, 'b'),
    ]);
    expect(message).toContain('route "a": unknown event type "user.craeted"; did you mean "user.created"');
    expect(message).toContain(
      'route "b": unknown event type "com.auth0.user.delted"; did you mean "user.deleted"',
    );
  });

  it('accepts every known trigger and event type, in both spellings', () => {
    expect(() =>
      validateRoutes([
        route({
          triggers: ['post-login', 'custom-token-exchange'],
          eventTypes: ['user.created', 'com.auth0.organization.member.added', 'group.role.assigned'],
        }),
      ]),
    ).not.toThrow();
  });

  it('reports triggers and event types that are not lists of strings', () => {
    const problems = validateEventMatch(
      { triggers: 'post-login' as never, eventTypes: [7 as never] },
      'route "shape"',
    );
    expect(problems).toEqual([
      'route "shape": triggers must be a list of triggers, got "post-login"',
      'route "shape": eventTypes must hold event type strings, got 7',
    ]);
  });

  it('still fails a match that names nothing, even with empty lists', () => {
    const message = validationError([route({ triggers: [], eventTypes: [] })]);
    expect(message).toContain(
      'route "x": match names no codes, categories, triggers, event types or pattern',
    );
  });

  it('lists every problem of a route: codes first, then triggers, then event types', () => {
    const problems = validateEventMatch(
      { codes: ['fpp'], triggers: ['post-logn'], eventTypes: ['nope.nothing.here.at.all.really'] },
      'route "many"',
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toContain('unknown log type code "fpp"');
    expect(problems[1]).toContain('unknown trigger "post-logn"');
    expect(problems[2]).toBe('route "many": unknown event type "nope.nothing.here.at.all.really"');
  });

  it('leaves the log-only check (what action bindings use) blind to the new fields', () => {
    expect(validateLogMatch({ triggers: ['post-logn'] } as never, 'trigger "auth0-log"')).toEqual([]);
  });
});

describe('EVENT_STREAM_TYPES', () => {
  it('knows the documented user, organization and group types, in either spelling', () => {
    expect(EVENT_STREAM_TYPES).toEqual(
      expect.arrayContaining([
        'user.created',
        'user.updated',
        'user.deleted',
        'organization.member.added',
        'group.member.added',
      ]),
    );
    expect(isKnownEventStreamType('user.created')).toBe(true);
    expect(isKnownEventStreamType('com.auth0.user.created')).toBe(true);
    expect(isKnownEventStreamType('user.logged_in')).toBe(false);
    expect(isKnownEventStreamType('com.auth0.')).toBe(false);
  });

  it('lists each type once, in its normalised spelling', () => {
    expect(new Set(EVENT_STREAM_TYPES).size).toBe(EVENT_STREAM_TYPES.length);
    for (const type of EVENT_STREAM_TYPES) expect(type).toMatch(/^[a-z]+(\.[a-z_]+)+$/);
  });
});
