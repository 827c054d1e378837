/**
 * The seed journey against moto_server, through the real handler behind the local Function URL emulation:
 * create `logger` → secrets SERVICE_URL and API_KEY → code → save draft → publish v1 → version history, plus
 * every status code of the API. Every response and every log line is scanned for the secret values.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopEsbuild } from '../../lambdas/modules/adapters/esbuild-builder';
import { LOGGER_MODULE_CODE } from '../support/seed';
import { captureOutput, findLeaks } from './support/capture';
import {
  artifactOf,
  type FetchedResponse,
  jsonClient,
  type ManagementServer,
  secretsOf,
  startManagementServer,
  storeOf,
} from './support/server';

const SERVICE_URL = 'https://logs.journey.example/ingest?sig=j0urney-url-4a1b';
const API_KEY = 'journey-api-key-d41d8cd98f00b204';
const API_KEY_V2 = 'journey-api-key-rotated-e3b0c442';
const SECRETS = [SERVICE_URL, API_KEY, API_KEY_V2];

const LOGGER_CODE = LOGGER_MODULE_CODE;

const MODULES = '/api/v2/actions/modules';

describe('the Action Modules journey on moto_server', () => {
  let server: ManagementServer;
  let call: ReturnType<typeof jsonClient>;
  const responses: string[] = [];
  let output: ReturnType<typeof captureOutput>;
  let moduleId: string;
  let v1: FetchedResponse;

  beforeAll(async () => {
    output = captureOutput();
    server = await startManagementServer({
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      // The handler must ignore this: request bodies carry secret values.
      POWERTOOLS_LOGGER_LOG_EVENT: 'true',
    });
    call = jsonClient(server, responses);
  });

  afterAll(async () => {
    await server?.close();
    await stopEsbuild();
    output?.restore();
  });

  it('1. creates the module logger', async () => {
    const created = await call('POST', MODULES, { name: 'logger', code: '' });

    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toMatchObject({
      name: 'logger',
      code: '',
      secrets: [],
      actions_using_module_total: 0,
    });
    moduleId = created.body.id;
  });

  it('2. adds the secrets SERVICE_URL and API_KEY, and shows only their names', async () => {
    const first = await call('PATCH', `${MODULES}/${moduleId}`, {
      secrets: [{ name: 'SERVICE_URL', value: SERVICE_URL }],
    });
    const second = await call('PATCH', `${MODULES}/${moduleId}`, {
      secrets: [{ name: 'SERVICE_URL' }, { name: 'API_KEY', value: API_KEY }],
    });

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.body.secrets).toEqual([
      { name: 'API_KEY', updated_at: expect.any(String) },
      { name: 'SERVICE_URL', updated_at: first.body.secrets[0].updated_at },
    ]);
  });

  it('3–4. writes the code and saves the draft', async () => {
    const saved = await call('PATCH', `${MODULES}/${moduleId}`, { code: LOGGER_CODE });

    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ code: LOGGER_CODE, all_changes_published: false });
    expect(saved.body.latest_version_number).toBeUndefined();
  });

  it('5. publishes version 1, built into a content-addressed artifact without secret values', async () => {
    v1 = await call('POST', `${MODULES}/${moduleId}/versions`);

    expect(v1.status).toBe(200);
    expect(v1.body).toEqual({
      id: expect.any(String),
      module_id: moduleId,
      version_number: 1,
      code: LOGGER_CODE,
      secrets: [
        { name: 'API_KEY', updated_at: expect.any(String) },
        { name: 'SERVICE_URL', updated_at: expect.any(String) },
      ],
      dependencies: [],
      created_at: expect.any(String),
    });
    const { version, text: artifact } = await artifactOf(server, moduleId, v1.body.id);
    expect(version.artifact.key).toBe(`modules/artifacts/sha256/${version.artifact.sha256}.js`);
    expect(artifact).toContain('actions.secrets.SERVICE_URL');
    expect(artifact).toContain('module.exports');
    expect(findLeaks([artifact], SECRETS)).toEqual([]);
  });

  it('6. shows the version history and the module as fully published', async () => {
    const history = await call('GET', `${MODULES}/${moduleId}/versions`);
    const module = await call('GET', `${MODULES}/${moduleId}`);
    const version = await call('GET', `${MODULES}/${moduleId}/versions/${v1.body.id}`);
    const list = await call('GET', MODULES);

    expect(history.body).toMatchObject({ total: 1, page: 0, per_page: 20 });
    expect(history.body.versions).toHaveLength(1);
    expect(module.body).toMatchObject({
      all_changes_published: true,
      latest_version_number: 1,
      latest_version: { id: v1.body.id, version_number: 1, code: LOGGER_CODE },
    });
    expect(version.status).toBe(200);
    expect(list.body.modules.map((m: { name: string }) => m.name)).toContain('logger');
    expect(list.body.total).toBe(list.body.modules.length);
  });

  it('7. holds what an action pinned to version 1 needs: its code, artifact and secret values', async () => {
    const rotated = await call('PATCH', `${MODULES}/${moduleId}`, {
      secrets: [{ name: 'SERVICE_URL' }, { name: 'API_KEY', value: API_KEY_V2 }],
    });
    const store = storeOf(server);
    const secrets = secretsOf(server);
    const version = await store.getVersion(moduleId, v1.body.id);
    const draft = await store.get(moduleId);

    expect(rotated.status).toBe(200);
    expect(await secrets.readSet(moduleId, version?.secretsSetId as string)).toEqual({
      SERVICE_URL,
      API_KEY,
    });
    expect(await secrets.readSet(moduleId, draft?.secretsSetId as string)).toEqual({
      SERVICE_URL,
      API_KEY: API_KEY_V2,
    });
  });

  it('rolls the draft back to version 1, secret values included, and refuses a second rollback', async () => {
    const rolledBack = await call('POST', `${MODULES}/${moduleId}/rollback`, {
      module_version_id: v1.body.id,
    });
    const again = await call('POST', `${MODULES}/${moduleId}/rollback`, { module_version_id: v1.body.id });
    const nothingNew = await call('POST', `${MODULES}/${moduleId}/versions`);
    const secrets = secretsOf(server);
    const store = storeOf(server);
    const draft = await store.get(moduleId);

    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body.all_changes_published).toBe(true);
    expect(await secrets.readSet(moduleId, draft?.secretsSetId as string)).toEqual({ SERVICE_URL, API_KEY });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      errorCode: 'draft_equals_version',
    });
    expect(nothingNew.status).toBe(409);
    expect(nothingNew.body.errorCode).toBe('no_changes_to_publish');
  });

  it('answers 409 for a duplicate name, 404 for unknown ids, 405 for a wrong method', async () => {
    const duplicate = await call('POST', MODULES, { name: 'logger', code: '' });
    const noModule = await call('GET', `${MODULES}/00000000-0000-7000-8000-000000000000`);
    const noVersion = await call('GET', `${MODULES}/${moduleId}/versions/nope`);
    const noRoute = await call('GET', '/api/v2/actions/nothing');
    const wrongMethod = await call('DELETE', `${MODULES}/${moduleId}/versions`);

    expect(duplicate.status).toBe(409);
    expect(duplicate.body.errorCode).toBe('module_conflict');
    expect(noModule.status).toBe(404);
    expect(noModule.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      errorCode: 'module_not_found',
    });
    expect(noVersion.status).toBe(404);
    expect(noRoute.status).toBe(404);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  });

  it('answers 400 for a broken body and for a build failure, creating no version', async () => {
    const broken = await call(
      'PATCH',
      `${MODULES}/${moduleId}`,
      `{"secrets":[{"name":"X","value":"${API_KEY}"`,
    );
    const badCode = await call('PATCH', `${MODULES}/${moduleId}`, { code: 'module.exports = {' });
    const failed = await call('POST', `${MODULES}/${moduleId}/versions`);
    const otherModule = await call('PATCH', `${MODULES}/${moduleId}`, { code: "require('actions:other')" });
    const refused = await call('POST', `${MODULES}/${moduleId}/versions`);
    const history = await call('GET', `${MODULES}/${moduleId}/versions`);

    expect(broken.status).toBe(400);
    expect(badCode.status).toBe(200);
    expect(failed.status).toBe(400);
    expect(failed.body.errorCode).toBe('build_failed');
    expect(failed.body.message).toMatch(/logger\.js:1:\d+: /);
    expect(otherModule.status).toBe(200);
    expect(refused.body.message).toContain('Modules cannot require other modules');
    expect(history.body.total).toBe(1);
  });

  it('answers 412 for a stale If-Match and for deleting a module an action uses, then deletes it', async () => {
    const current = await call('GET', `${MODULES}/${moduleId}`);
    const stale = await call('PATCH', `${MODULES}/${moduleId}`, { code: '1' }, { 'If-Match': '"1"' });
    const store = storeOf(server);
    await store.putUsage({
      moduleId,
      actionId: 'action-1',
      actionName: 'send-logs',
      moduleVersionId: v1.body.id,
      moduleVersionNumber: 1,
      supportedTriggers: [{ id: 'post-login', version: 'v3' }],
    });

    const inUse = await call('DELETE', `${MODULES}/${moduleId}`);
    const actions = await call('GET', `${MODULES}/${moduleId}/actions`);
    const counted = await call('GET', `${MODULES}/${moduleId}`);
    await store.removeUsage(moduleId, 'action-1');
    const deleted = await call('DELETE', `${MODULES}/${moduleId}`);
    const gone = await call('GET', `${MODULES}/${moduleId}/versions`);
    const again = await call('POST', MODULES, { name: 'logger', code: '' });

    expect(current.headers.get('etag')).not.toBe('"1"');
    expect(stale.status).toBe(412);
    expect(inUse.status).toBe(412);
    expect(inUse.body.errorCode).toBe('module_in_use');
    expect(actions.body).toMatchObject({
      total: 1,
      actions: [{ action_id: 'action-1', module_version_number: 1 }],
    });
    expect(counted.body.actions_using_module_total).toBe(1);
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
    expect(again.status).toBe(201);
  });

  it('never wrote a secret value into a response or a log line', () => {
    const logs = output.lines;

    expect(responses.length).toBeGreaterThan(25);
    expect(logs.some((line) => line.includes('Published an action module version'))).toBe(true);
    expect(findLeaks([...responses, ...logs], SECRETS)).toEqual([]);
  });
});
