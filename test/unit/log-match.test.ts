import { describe, expect, it } from 'vitest';
import { LogMatchConflictError, logMatchPattern, validateLogMatch } from '../../lambdas/shared/log-match';
import { eventPatternFor, RouteDefinitionError } from '../../lib/routes/route-model';

const SOURCE = 'auth0.logs';
const DETAIL_TYPE = 'Auth0 log';

function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('validateLogMatch', () => {
  it('accepts known codes, official categories and the unknown category', () => {
    // GIVEN / WHEN
    const problems = validateLogMatch(
      { codes: ['f', 'fp', 's'], categories: ['auth.login.fail', 'unknown'] },
      'route "ok"',
    );
    // THEN
    expect(problems).toEqual([]);
  });

  it('names an unknown code with the closest codes, prefixed with where it was found', () => {
    const problems = validateLogMatch({ codes: ['fp', 'fpp'] }, 'route "failed"');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^route "failed": unknown log type code "fpp"; did you mean .*"fp"/);
  });

  it('names an unknown category with the closest categories', () => {
    const problems = validateLogMatch({ categories: ['auth.login.fial'] }, 'trigger "auth0-log"');
    expect(problems).toEqual([
      expect.stringMatching(
        /^trigger "auth0-log": unknown category "auth\.login\.fial"; did you mean "auth\.login\.fail"/,
      ),
    ]);
  });

  it('reports every bad name, codes first, without a hint when nothing is close', () => {
    const problems = validateLogMatch(
      { codes: ['zzzzzzzzzzzzzzzzzzzz', 'fpp'], categories: ['nope.nothing.here.at.all'] },
      'x',
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toBe('x: unknown log type code "zzzzzzzzzzzzzzzzzzzz"');
    expect(problems[1]).toContain('"fpp"');
    expect(problems[2]).toContain('unknown category "nope.nothing.here.at.all"');
  });

  it('reports codes or categories that are not lists of strings (bindings arrive as JSON)', () => {
    const problems = validateLogMatch(
      { codes: 'fp' as never, categories: [42 as never] },
      'trigger "auth0-log"',
    );
    expect(problems).toEqual([
      'trigger "auth0-log": codes must be a list of log type codes, got "fp"',
      'trigger "auth0-log": categories must hold category strings, got 42',
    ]);
  });
});

describe('logMatchPattern', () => {
  it('matches the source and detail-type only, when the match names nothing', () => {
    expect(logMatchPattern({}, SOURCE, DETAIL_TYPE)).toEqual({
      source: [SOURCE],
      'detail-type': [DETAIL_TYPE],
    });
  });

  it('matches codes on detail.data.type', () => {
    expect(logMatchPattern({ codes: ['f', 'fp'] }, 'custom.source', 'Auth0 action: post-login')).toEqual({
      source: ['custom.source'],
      'detail-type': ['Auth0 action: post-login'],
      detail: { data: { type: ['f', 'fp'] } },
    });
  });

  it('matches categories on detail.category', () => {
    expect(logMatchPattern({ categories: ['user.fail'] }, SOURCE, DETAIL_TYPE)).toEqual({
      source: [SOURCE],
      'detail-type': [DETAIL_TYPE],
      detail: { category: ['user.fail'] },
    });
  });

  it('ORs codes and categories with $or when both are given', () => {
    expect(logMatchPattern({ codes: ['fp'], categories: ['user.fail'] }, SOURCE, DETAIL_TYPE)).toEqual({
      source: [SOURCE],
      'detail-type': [DETAIL_TYPE],
      $or: [{ detail: { data: { type: ['fp'] } } }, { detail: { category: ['user.fail'] } }],
    });
  });

  it('narrows with the raw pattern, merging nested objects', () => {
    const pattern = logMatchPattern(
      { codes: ['s'], pattern: { detail: { data: { connection: ['db'] } } } },
      SOURCE,
      DETAIL_TYPE,
    );
    expect(pattern).toEqual({
      source: [SOURCE],
      'detail-type': [DETAIL_TYPE],
      detail: { data: { type: ['s'], connection: ['db'] } },
    });
  });

  it('accepts a raw pattern that repeats a value the match already sets', () => {
    const pattern = logMatchPattern({ codes: ['s'], pattern: { source: [SOURCE] } }, SOURCE, DETAIL_TYPE);
    expect(pattern.source).toEqual([SOURCE]);
  });

  it('throws a conflict naming the path when the raw pattern sets a field differently', () => {
    // GIVEN a raw pattern that sets the type codes the match already sets
    const act = () =>
      logMatchPattern({ codes: ['fp'], pattern: { detail: { data: { type: ['s'] } } } }, SOURCE, DETAIL_TYPE);
    // THEN
    expect(act).toThrow(LogMatchConflictError);
    expect(act).toThrow(
      'the raw pattern sets "detail.data.type", which the match already sets from its codes, categories or source',
    );
    expect(thrownBy(act)).toMatchObject({ name: 'LogMatchConflictError', path: 'detail.data.type' });
  });

  it('throws a conflict when the raw pattern sets another source', () => {
    expect(() => logMatchPattern({ pattern: { source: ['other'] } }, SOURCE, DETAIL_TYPE)).toThrow(
      /sets "source"/,
    );
  });
});

describe('routes use the shared copy', () => {
  it('reports a raw pattern conflict as a RouteDefinitionError naming the route', () => {
    const route = {
      id: 'clash',
      description: 'sets the codes twice',
      match: { codes: ['fp'], pattern: { detail: { data: { type: ['s'] } } } },
      targets: [{ type: 'sqs' as const }],
    };
    const act = () => eventPatternFor(route, SOURCE);
    expect(act).toThrow(RouteDefinitionError);
    expect(act).toThrow(
      'route "clash": the raw pattern sets "detail.data.type", which the route already sets from its codes, categories or source',
    );
  });

  it('builds the same pattern as logMatchPattern with the Auth0 log detail-type', () => {
    const match = { codes: ['f'], categories: ['auth.login.fail'] };
    const route = { id: 'same', description: 'x', match, targets: [{ type: 'sqs' as const }] };
    expect(eventPatternFor(route, SOURCE)).toEqual(logMatchPattern(match, SOURCE, DETAIL_TYPE));
  });
});
