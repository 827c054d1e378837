import { describe, expect, it } from 'vitest';
import { isVersionSpec, npmNameProblem, parsePaging } from '../../lambdas/modules/validate';
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
