import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../lambdas/modules/errors';
import { AUTH0_LIMITS } from '../../lambdas/modules/limits';
import {
  isVersionSpec,
  npmNameProblem,
  parseCreateModule,
  parsePaging,
  parseUpdateModule,
} from '../../lambdas/modules/validate';
import { inMemoryApi, MODULES } from './support/api';
import { FakeResolver, fakePorts } from './support/fakes';

describe('npm package names and version specs', () => {
  it.each(['lodash', '@auth0/auth0-spa-js', 'is-number', 'a.b_c~d'])('accepts %j', (name) => {
    expect(npmNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    ['Lodash', 'uppercase'],
    ['_private', 'starts with a dot or an underscore'],
    ['a'.repeat(215), 'longer than 214'],
    ['http', 'reserved'],
    ['@scope/a/b', 'may contain only'],
  ])('refuses %j (%s)', (name, reason) => {
    expect(npmNameProblem(name)).toContain(reason);
  });

  it.each(['1.2.3', '^4.17.0', '~1.2', '1.x', '>=1 <2', 'latest', 'next'])('accepts the spec %j', (spec) => {
    expect(isVersionSpec(spec)).toBe(true);
  });

  it.each(['', 'git+ssh://x', 'file:../x', 'npm:a@1', 'http://x/y.tgz', 'x'.repeat(51)])(
    'refuses the spec %j',
    (spec) => {
      expect(isVersionSpec(spec)).toBe(false);
    },
  );
});

describe('paging', () => {
  it('is off without parameters unless a default applies, and checks its bounds', () => {
    expect(parsePaging({})).toBeUndefined();
    expect(parsePaging({}, 20)).toEqual({ page: 0, perPage: 20 });
    expect(parsePaging({ page: '3', per_page: '100' })).toEqual({ page: 3, perPage: 100 });
    expect(() => parsePaging({ per_page: '101' })).toThrow('per_page must be an integer from 1 to 100');
    expect(() => parsePaging({ page: '-1' })).toThrow('page must be an integer');
    expect(() => parsePaging({ page: '1.5' })).toThrow('page must be an integer');
  });
});

describe("Auth0's limits at their real numbers, in memory", () => {
  it('takes 10 dependencies and refuses 11', async () => {
    const packages = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`pkg-${i}`, ['1.0.0', '1.2.0']]),
    );
    const { call } = inMemoryApi(fakePorts({ resolver: new FakeResolver(packages) }));
    const id = (await call('POST', MODULES, { name: 'deps', code: '' })).body.id;
    const dependencies = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ name: `pkg-${i}`, version: '^1.0.0' }));

    const atLimit = await call('PATCH', `${MODULES}/${id}`, { dependencies: dependencies(10) });
    const past = await call('PATCH', `${MODULES}/${id}`, { dependencies: dependencies(11) });

    expect(atLimit.status).toBe(200);
    expect(atLimit.body.dependencies).toHaveLength(10);
    expect(atLimit.body.dependencies[0]).toEqual({ name: 'pkg-0', version: '1.2.0' });
    expect(past.status).toBe(400);
    expect(past.body.message).toContain('at most 10 npm dependencies');
  });

  it('creates 100 modules and refuses the 101st', async () => {
    const { call } = inMemoryApi(fakePorts());
    for (let i = 0; i < 100; i++) {
      expect((await call('POST', MODULES, { name: `m${i}`, code: '' })).status).toBe(201);
    }

    const past = await call('POST', MODULES, { name: 'one-too-many', code: '' });

    expect(past.status).toBe(400);
    expect(past.body.errorCode).toBe('too_many_modules');
  });

  it('publishes 50 versions and answers 412 for the 51st', async () => {
    const { call } = inMemoryApi(fakePorts());
    const id = (await call('POST', MODULES, { name: 'v', code: '' })).body.id;
    for (let n = 1; n <= 50; n++) {
      await call('PATCH', `${MODULES}/${id}`, { code: `${n}` });
      expect((await call('POST', `${MODULES}/${id}/versions`)).status).toBe(200);
    }
    await call('PATCH', `${MODULES}/${id}`, { code: '51' });

    const past = await call('POST', `${MODULES}/${id}/versions`);

    expect(past.status).toBe(412);
    expect(past.body.message).toContain('limit: 50 versions per module');
  });
});

describe('secrets sent in the wrong shape', () => {
  // Distinctive, so that any excerpt of it in a message shows; the number is a value pasted as one.
  const VALUE = 'sk_live_w7Qz9Xv2pLmN4';
  const NUMBER = 73519024;
  const SHAPES: ReadonlyArray<[string, unknown, string]> = [
    ['a string', VALUE, 'secrets must be an array of {name, value} objects, got a string'],
    ['a NAME=value string', `API_KEY=${VALUE}`, 'secrets must be an array of {name, value} objects'],
    ['a number', NUMBER, 'secrets must be an array of {name, value} objects, got a number'],
    ['an object of names to values', { API_KEY: VALUE }, 'secrets must be an array of {name, value} objects'],
    ['an array of strings', [`API_KEY=${VALUE}`], 'secrets[0] must be an object {name, value}, got a string'],
    ['an array of numbers', [NUMBER], 'secrets[0] must be an object {name, value}, got a number'],
    ['an array of pairs', [['API_KEY', VALUE]], 'secrets[0] must be an object {name, value}, got an array'],
    ['a second item that is a string', [{ name: 'A', value: 'a' }, VALUE], 'secrets[1] must be an object'],
    ['a number as value', [{ name: 'A', value: NUMBER }], 'secrets[0] (A): value must be a string'],
    ['an object as value', [{ name: 'A', value: { v: VALUE } }], 'secrets[0] (A): value must be a string'],
    ['the value as name', [{ name: VALUE.replace('_', ' ') }], 'secrets[0]: the secret name'],
    ['NAME=value as name', [{ name: `API_KEY=${VALUE}`, value: 'x' }], 'secrets[0]: the secret name'],
    ['a number as name', [{ name: NUMBER, value: 'x' }], 'secrets[0]: name must be a non-empty string'],
    ['the value as a field name', [{ [VALUE]: 'x' }], 'secrets[0] has fields other than name and value'],
  ];
  const excerpts = [VALUE, VALUE.slice(0, 12), VALUE.slice(8), String(NUMBER)];
  const leaks = (text: string) => excerpts.filter((excerpt) => text.includes(excerpt));

  it.each(SHAPES)('names what is wrong with %s on create, without the value', (_shape, secrets, expected) => {
    const attempt = () => parseCreateModule({ name: 'logger', code: '', secrets }, AUTH0_LIMITS);

    expect(attempt).toThrow(InvalidRequestError);
    expect(attempt).toThrow(expected);
    expect(leaks(messageOf(attempt))).toEqual([]);
  });

  it.each(SHAPES)('names what is wrong with %s on update, without the value', (_shape, secrets, expected) => {
    const attempt = () => parseUpdateModule({ secrets }, AUTH0_LIMITS);

    expect(attempt).toThrow(expected);
    expect(leaks(messageOf(attempt))).toEqual([]);
  });

  it.each(SHAPES)(
    'answers 400 to %s over HTTP, with no excerpt of the value in the body',
    async (_shape, secrets, expected) => {
      const { call } = inMemoryApi(fakePorts());
      const id = (await call('POST', MODULES, { name: 'logger', code: '' })).body.id;

      const created = await call('POST', MODULES, { name: 'other', code: '', secrets });
      const updated = await call('PATCH', `${MODULES}/${id}`, { secrets });

      expect(created.status).toBe(400);
      expect(created.body.message).toContain(expected);
      expect(updated.status).toBe(400);
      expect(updated.body.message).toContain(expected);
      expect(leaks(created.text + updated.text)).toEqual([]);
    },
  );
});

function messageOf(attempt: () => unknown): string {
  try {
    attempt();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}
