import { beforeEach, describe, expect, it } from 'vitest';
import { type Call, inMemoryApi, MODULES } from './support/api';
import { type FakePorts, fakePorts } from './support/fakes';

const SERVICE_URL = 'https://logs.example.test/ingest?token=unit-s3rv1ce';
const API_KEY = 'unit-api-key-7f3a9c';

describe('module registry core', () => {
  let ports: FakePorts;
  let call: Call;
  let bodies: string[];

  beforeEach(() => {
    ports = fakePorts();
    ({ call, bodies } = inMemoryApi(ports, { limits: { maxVersionsPerModule: 3 } }));
  });

  async function createLogger(extra: Record<string, unknown> = {}) {
    const created = await call('POST', MODULES, { name: 'logger', code: 'module.exports = {};', ...extra });
    expect(created.status).toBe(201);
    return created.body.id as string;
  }

  describe('create', () => {
    it('creates a module with Auth0 fields and no version yet', async () => {
      const response = await call('POST', MODULES, { name: 'logger', code: 'module.exports = 1;' });

      expect(response.status).toBe(201);
      expect(response.headers.ETag).toBe('"1"');
      expect(response.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'logger',
        code: 'module.exports = 1;',
        dependencies: [],
        secrets: [],
        actions_using_module_total: 0,
        all_changes_published: false,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      });
    });

    it('answers 409 for a second module with the same name', async () => {
      await createLogger();

      const second = await call('POST', MODULES, { name: 'logger', code: '' });

      expect(second.status).toBe(409);
      expect(second.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        message: 'An action module named "logger" already exists.',
        errorCode: 'module_conflict',
      });
    });

    it.each([
      ['Logger', 'uppercase'],
      ['-logger', 'leading hyphen'],
      ['log ger', 'space'],
      ['log.ger', 'dot'],
      ['actions:logger', 'colon'],
    ])('refuses the name %j (%s) and states the rule', async (name) => {
      const response = await call('POST', MODULES, { name, code: '' });

      expect(response.status).toBe(400);
      expect(response.body.errorCode).toBe('invalid_module_name');
      expect(response.body.message).toContain('^[a-z0-9][a-z0-9_-]*$');
    });

    it('refuses unknown fields and a body that is not JSON, without echoing the body', async () => {
      const unknown = await call('POST', MODULES, { name: 'x', code: '', runtime: 'node22' });
      const broken = await call('POST', MODULES, `{"name":"x","secrets":[{"name":"A","value":"${API_KEY}"`);

      expect(unknown.status).toBe(400);
      expect(unknown.body.message).toContain('"runtime"');
      expect(broken.status).toBe(400);
      expect(broken.text).not.toContain(API_KEY);
    });

    it('publishes at once when asked with publish: true', async () => {
      const response = await call('POST', MODULES, {
        name: 'logger',
        code: 'module.exports = 2;',
        publish: true,
      });

      expect(response.status).toBe(201);
      expect(response.body.latest_version_number).toBe(1);
      expect(response.body.all_changes_published).toBe(true);
      expect(response.body.latest_version).toMatchObject({ version_number: 1, code: 'module.exports = 2;' });
    });

    it('answers 415 to a body that is not JSON, naming its type, and creates nothing', async () => {
      const form = await call('POST', MODULES, 'name=formed&code=module.exports%3D3', {
        'Content-Type': 'application/x-www-form-urlencoded',
      });
      const plain = await call('POST', MODULES, JSON.stringify({ name: 'plain', code: '' }), {
        'Content-Type': 'text/plain; charset=utf-8',
      });
      const untyped = await call(
        'PATCH',
        `${MODULES}/${await createLogger()}`,
        { code: 'x' },
        {
          'Content-Type': '',
        },
      );

      expect([form.status, plain.status, untyped.status]).toEqual([415, 415, 415]);
      expect(form.body).toMatchObject({ errorCode: 'unsupported_media_type' });
      expect(form.body.message).toContain('"application/x-www-form-urlencoded"');
      expect(plain.body.message).toContain('"text/plain"');
      expect(untyped.body.message).toContain('no Content-Type');
      expect((await call('GET', MODULES)).body.modules.map((m: { name: string }) => m.name)).toEqual([
        'logger',
      ]);
    });

    it('takes application/json with a charset, and application/*+json', async () => {
      const charset = await call(
        'POST',
        MODULES,
        { name: 'a', code: '' },
        {
          'Content-Type': 'application/json; charset=utf-8',
        },
      );
      const suffix = await call(
        'POST',
        MODULES,
        { name: 'b', code: '' },
        {
          'Content-Type': 'application/merge-patch+json',
        },
      );

      expect([charset.status, suffix.status]).toEqual([201, 201]);
    });
  });

  describe('dependencies', () => {
    it('resolves latest and ranges to exact versions when the draft is saved', async () => {
      const id = await createLogger({ dependencies: [{ name: 'lodash', version: 'latest' }] });

      const updated = await call('PATCH', `${MODULES}/${id}`, {
        dependencies: [
          { name: 'lodash', version: 'latest' },
          { name: 'uuid', version: '^9.0.0' },
        ],
      });

      expect(updated.status).toBe(200);
      expect(updated.body.dependencies).toEqual([
        { name: 'lodash', version: '4.17.21' },
        { name: 'uuid', version: '9.0.1' },
      ]);
    });

    it('does not ask the registry again for a dependency already pinned to that exact version', async () => {
      const id = await createLogger({ dependencies: [{ name: 'lodash', version: '4.17.20' }] });
      ports.resolver.calls.length = 0;

      await call('PATCH', `${MODULES}/${id}`, { dependencies: [{ name: 'lodash', version: '4.17.20' }] });

      expect(ports.resolver.calls).toEqual([]);
    });

    it('answers 400 naming an unknown package or version', async () => {
      const id = await createLogger();

      const noPackage = await call('PATCH', `${MODULES}/${id}`, {
        dependencies: [{ name: 'no-such-package', version: 'latest' }],
      });
      const noVersion = await call('PATCH', `${MODULES}/${id}`, {
        dependencies: [{ name: 'lodash', version: '99.0.0' }],
      });

      expect(noPackage.status).toBe(400);
      expect(noPackage.body.message).toContain('"no-such-package" does not exist');
      expect(noVersion.status).toBe(400);
      expect(noVersion.body.message).toContain('"lodash" has no version matching "99.0.0"');
    });

    it.each([
      ['Lodash', 'uppercase'],
      ['.hidden', 'leading dot'],
      ['fs', 'core module'],
      ['a b', 'space'],
    ])('refuses the package name %j (%s)', async (name) => {
      const id = await createLogger();

      const response = await call('PATCH', `${MODULES}/${id}`, {
        dependencies: [{ name, version: '1.0.0' }],
      });

      expect(response.status).toBe(400);
      expect(response.body.errorCode).toBe('invalid_dependency');
    });

    it.each(['git+https://example.test/x.git', 'file:../x', 'npm:other@1'])(
      'refuses the version spec %j',
      async (version) => {
        const id = await createLogger();

        const response = await call('PATCH', `${MODULES}/${id}`, {
          dependencies: [{ name: 'lodash', version }],
        });

        expect(response.status).toBe(400);
      },
    );
  });

  describe('secrets', () => {
    it('shows names and updated_at only, and replaces the whole list on PATCH as Auth0 does', async () => {
      const id = await createLogger();

      const set = await call('PATCH', `${MODULES}/${id}`, {
        secrets: [
          { name: 'SERVICE_URL', value: SERVICE_URL },
          { name: 'API_KEY', value: API_KEY },
        ],
      });
      const removed = await call('PATCH', `${MODULES}/${id}`, { secrets: [{ name: 'API_KEY' }] });

      expect(set.body.secrets).toEqual([
        { name: 'API_KEY', updated_at: expect.any(String) },
        { name: 'SERVICE_URL', updated_at: expect.any(String) },
      ]);
      expect(removed.body.secrets.map((secret: { name: string }) => secret.name)).toEqual(['API_KEY']);
      const module = ports.store.modules.get(id)?.record;
      expect(await ports.secrets.readSet(id, module?.secretsSetId as string)).toEqual({ API_KEY });
    });

    it('answers 400 when a secret is listed without a value but has none yet', async () => {
      const id = await createLogger();

      const response = await call('PATCH', `${MODULES}/${id}`, { secrets: [{ name: 'NEW' }] });

      expect(response.status).toBe(400);
      expect(response.body.errorCode).toBe('secret_value_required');
    });

    it('keeps the values a version was published with, whatever the draft does later', async () => {
      const id = await createLogger({ secrets: [{ name: 'API_KEY', value: 'first-value' }] });
      const v1 = await call('POST', `${MODULES}/${id}/versions`);

      await call('PATCH', `${MODULES}/${id}`, { secrets: [{ name: 'API_KEY', value: 'second-value' }] });
      await call('PATCH', `${MODULES}/${id}`, { secrets: [] });
      const version = ports.store.versions.get(id)?.[0];

      expect(v1.status).toBe(200);
      expect(v1.body.secrets).toEqual([{ name: 'API_KEY', updated_at: expect.any(String) }]);
      expect(await ports.secrets.readSet(id, version?.secretsSetId as string)).toEqual({
        API_KEY: 'first-value',
      });
      expect(JSON.stringify(ports.secrets.documents.get(id))).not.toContain('second-value');
    });

    it('answers 400 naming the Secrets Manager limit when the values would not fit in one secret', async () => {
      ports = fakePorts({ secrets: new (await import('./support/fakes')).InMemorySecretStore(30_000) });
      ({ call } = inMemoryApi(ports));
      const id = await createLogger();
      const big = (n: number) =>
        Array.from({ length: 5 }, (_, i) => ({ name: `S${i}`, value: `${n}`.repeat(4000) }));

      const first = await call('PATCH', `${MODULES}/${id}`, { secrets: big(1) });
      await call('POST', `${MODULES}/${id}/versions`);
      const second = await call('PATCH', `${MODULES}/${id}`, { secrets: big(2) });

      expect(first.status).toBe(200);
      expect(second.status).toBe(400);
      expect(second.body.errorCode).toBe('secrets_too_large');
      expect(second.body.message).toContain('limit: 30000 bytes');
    });
  });

  describe('publish and versions', () => {
    it('publishes the draft as version 1, 2, … and lists them newest first', async () => {
      const id = await createLogger();

      const v1 = await call('POST', `${MODULES}/${id}/versions`);
      await call('PATCH', `${MODULES}/${id}`, { code: 'module.exports = { v: 2 };' });
      const v2 = await call('POST', `${MODULES}/${id}/versions`);
      const list = await call('GET', `${MODULES}/${id}/versions`);
      const one = await call('GET', `${MODULES}/${id}/versions/${v1.body.id}`);

      expect([v1.status, v2.status]).toEqual([200, 200]);
      expect(v2.body).toEqual({
        id: expect.any(String),
        module_id: id,
        version_number: 2,
        code: 'module.exports = { v: 2 };',
        secrets: [],
        dependencies: [],
        created_at: expect.any(String),
      });
      expect(list.body.versions.map((v: { version_number: number }) => v.version_number)).toEqual([2, 1]);
      expect(list.body).toMatchObject({ total: 2, page: 0, per_page: 20 });
      expect(one.body).toMatchObject({ version_number: 1, code: 'module.exports = {};' });
    });

    it('answers 409 when the draft has nothing new to publish', async () => {
      const id = await createLogger();
      await call('POST', `${MODULES}/${id}/versions`);

      const again = await call('POST', `${MODULES}/${id}/versions`);

      expect(again.status).toBe(409);
      expect(again.body.errorCode).toBe('no_changes_to_publish');
    });

    it('answers 412 at the version limit', async () => {
      const id = await createLogger();
      for (let n = 1; n <= 3; n++) {
        await call('PATCH', `${MODULES}/${id}`, { code: `module.exports = ${n};` });
        expect((await call('POST', `${MODULES}/${id}/versions`)).status).toBe(200);
      }
      await call('PATCH', `${MODULES}/${id}`, { code: 'module.exports = 4;' });

      const fourth = await call('POST', `${MODULES}/${id}/versions`);

      expect(fourth.status).toBe(412);
      expect(fourth.body.errorCode).toBe('too_many_versions');
      expect(fourth.body.message).toContain('limit: 3 versions per module');
    });

    it('creates no version when the build fails, and says why', async () => {
      const id = await createLogger();
      await call('PATCH', `${MODULES}/${id}`, { code: 'BUILD_ERROR(' });

      const failed = await call('POST', `${MODULES}/${id}/versions`);
      const module = await call('GET', `${MODULES}/${id}`);

      expect(failed.status).toBe(400);
      expect(failed.body.errorCode).toBe('build_failed');
      expect(failed.body.message).toContain('logger.js:1:1');
      expect(module.body.latest_version_number).toBeUndefined();
      expect(ports.store.versions.get(id) ?? []).toEqual([]);
    });

    it('pages versions with page and per_page', async () => {
      const { call: bigCall } = inMemoryApi(ports);
      const id = (await bigCall('POST', MODULES, { name: 'paged', code: '0' })).body.id;
      for (let n = 1; n <= 5; n++) {
        await bigCall('PATCH', `${MODULES}/${id}`, { code: `${n}` });
        await bigCall('POST', `${MODULES}/${id}/versions`);
      }

      const page1 = await bigCall('GET', `${MODULES}/${id}/versions?page=1&per_page=2`);
      const bad = await bigCall('GET', `${MODULES}/${id}/versions?per_page=0`);

      expect(page1.body.versions.map((v: { version_number: number }) => v.version_number)).toEqual([3, 2]);
      expect(page1.body).toMatchObject({ total: 5, page: 1, per_page: 2 });
      expect(bad.status).toBe(400);
    });

    it('honours If-Match on publish and on PATCH', async () => {
      const id = await createLogger();
      const stale = '"1"';
      await call('PATCH', `${MODULES}/${id}`, { code: 'module.exports = 5;' });

      const refusedPatch = await call('PATCH', `${MODULES}/${id}`, { code: 'x' }, { 'If-Match': stale });
      const refusedPublish = await call('POST', `${MODULES}/${id}/versions`, undefined, {
        'If-Match': stale,
      });
      const accepted = await call('POST', `${MODULES}/${id}/versions`, undefined, { 'If-Match': '"2"' });

      expect(refusedPatch.status).toBe(412);
      expect(refusedPatch.body.errorCode).toBe('precondition_failed');
      expect(refusedPublish.status).toBe(412);
      expect(accepted.status).toBe(200);
      expect(accepted.body.code).toBe('module.exports = 5;');
    });
  });

  describe('rollback', () => {
    it('copies a version’s code, dependencies and secret values into the draft', async () => {
      const id = await createLogger({
        secrets: [{ name: 'API_KEY', value: 'v1-key' }],
        dependencies: [{ name: 'lodash', version: '4.17.20' }],
      });
      const v1 = await call('POST', `${MODULES}/${id}/versions`);
      await call('PATCH', `${MODULES}/${id}`, {
        code: 'module.exports = "v2";',
        secrets: [
          { name: 'API_KEY', value: 'v2-key' },
          { name: 'EXTRA', value: 'x' },
        ],
        dependencies: [],
      });
      await call('POST', `${MODULES}/${id}/versions`);

      const rolledBack = await call('POST', `${MODULES}/${id}/rollback`, { module_version_id: v1.body.id });

      expect(rolledBack.status).toBe(200);
      expect(rolledBack.body).toMatchObject({
        code: 'module.exports = {};',
        dependencies: [{ name: 'lodash', version: '4.17.20' }],
        secrets: [{ name: 'API_KEY' }],
        all_changes_published: false,
        latest_version_number: 2,
      });
      const draft = ports.store.modules.get(id)?.record;
      expect(await ports.secrets.readSet(id, draft?.secretsSetId as string)).toEqual({ API_KEY: 'v1-key' });
    });

    it('answers 409 when the draft already equals the version, and 404 for an unknown version', async () => {
      const id = await createLogger();
      const v1 = await call('POST', `${MODULES}/${id}/versions`);

      const same = await call('POST', `${MODULES}/${id}/rollback`, { module_version_id: v1.body.id });
      const unknown = await call('POST', `${MODULES}/${id}/rollback`, { module_version_id: 'nope' });
      const missingField = await call('POST', `${MODULES}/${id}/rollback`, {});

      expect(same.status).toBe(409);
      expect(same.body.errorCode).toBe('draft_equals_version');
      expect(unknown.status).toBe(404);
      expect(missingField.status).toBe(400);
    });
  });

  describe('delete and actions using a module', () => {
    it('answers 412 while an action uses the module, lists the actions, then deletes', async () => {
      const id = await createLogger();
      const v1 = await call('POST', `${MODULES}/${id}/versions`);
      await ports.store.putUsage({
        moduleId: id,
        actionId: 'act-1',
        actionName: 'send-logs',
        moduleVersionId: v1.body.id,
        moduleVersionNumber: 1,
        supportedTriggers: [{ id: 'post-login', version: 'v3' }],
      });

      const refused = await call('DELETE', `${MODULES}/${id}`);
      const actions = await call('GET', `${MODULES}/${id}/actions`);
      const module = await call('GET', `${MODULES}/${id}`);
      await ports.store.removeUsage(id, 'act-1');
      const deleted = await call('DELETE', `${MODULES}/${id}`);
      const gone = await call('GET', `${MODULES}/${id}`);

      expect(refused.status).toBe(412);
      expect(refused.body.errorCode).toBe('module_in_use');
      expect(actions.body).toEqual({
        actions: [
          {
            action_id: 'act-1',
            action_name: 'send-logs',
            module_version_id: v1.body.id,
            module_version_number: 1,
            supported_triggers: [{ id: 'post-login', version: 'v3' }],
          },
        ],
        total: 1,
        page: 0,
        per_page: 20,
      });
      expect(module.body.actions_using_module_total).toBe(1);
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe('');
      expect(gone.status).toBe(404);
    });
  });

  describe('routing', () => {
    it('answers 405 with Allow for a method a path does not serve, and 404 elsewhere', async () => {
      const wrong = await call('PUT', MODULES);
      const nowhere = await call('GET', '/api/v2/actions/modulez');

      expect(wrong.status).toBe(405);
      expect(wrong.headers.Allow).toBe('GET, POST');
      expect(nowhere.status).toBe(404);
    });

    it('refuses to rename a module', async () => {
      const id = await createLogger();

      const response = await call('PATCH', `${MODULES}/${id}`, { name: 'other' });

      expect(response.status).toBe(400);
      expect(response.body.errorCode).toBe('name_immutable');
    });

    it('never puts a secret value in a response or a log line', async () => {
      const id = await createLogger({ secrets: [{ name: 'SERVICE_URL', value: SERVICE_URL }] });
      await call('PATCH', `${MODULES}/${id}`, {
        secrets: [{ name: 'SERVICE_URL' }, { name: 'API_KEY', value: API_KEY }],
      });
      await call('POST', `${MODULES}/${id}/versions`);
      await call('GET', `${MODULES}/${id}`);
      await call('GET', `${MODULES}`);
      await call('PATCH', `${MODULES}/${id}`, { secrets: [{ name: 'API_KEY', value: 'x'.repeat(5000) }] });

      const everything = [...bodies, ...ports.logger.lines].join('\n');

      expect(bodies.length).toBeGreaterThan(5);
      expect(everything).not.toContain(SERVICE_URL);
      expect(everything).not.toContain(API_KEY);
      expect(everything).not.toContain('x'.repeat(100));
    });
  });
});
