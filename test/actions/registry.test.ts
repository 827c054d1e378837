/**
 * The actions API over in-memory ports, called like HTTP with the modules API beside it, as the management
 * function serves them: the seed journey's registry side, pinning, rollback, bindings, limits and refusals.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ACTION_ROUTES } from '../../lambdas/actions/http';
import { ActionRegistry } from '../../lambdas/actions/registry';
import { evaluateActionBundle } from '../../lambdas/actions/runtime/bundle';
import { handleManagementRequest } from '../../lambdas/management/http';
import { MODULE_ROUTES } from '../../lambdas/modules/http';
import { ModuleRegistry } from '../../lambdas/modules/registry';
import type { RecordingLogger } from '../modules/support/fakes';
import { type FakeActionPorts, fakeStack } from './support/fakes';

const ACTIONS = '/api/v2/actions/actions';
const MODULES = '/api/v2/actions/modules';
const LOGGER_V1 = `module.exports = { sendLog: async (code, message) => ({ code, message, url: actions.secrets.SERVICE_URL, v: 1 }) };`;
const LOGGER_V2 = LOGGER_V1.replace('v: 1', 'v: 2');
const ACTION_CODE = `const logger = require('actions:logger');
exports.onExecuteAuth0Log = async (event) => logger.sendLog(event.data.type, 'failed login');`;

let ports: FakeActionPorts;
let bodies: string[];
// biome-ignore lint/suspicious/noExplicitAny: response bodies are read field by field
let call: (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

beforeEach(() => {
  const stack = fakeStack();
  ports = stack.actions;
  bodies = [];
  const modules = new ModuleRegistry(stack.modules);
  const actions = new ActionRegistry(stack.actions, {
    eventSource: 'auth0.logs',
    rulePrefix: 'a0b-action-',
    limits: { maxActions: 3, maxBindingsPerTrigger: 2 },
  });
  call = async (method, path, body) => {
    const url = new URL(path, 'http://localhost');
    const { response } = await handleManagementRequest(
      {
        method,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
      [...MODULE_ROUTES, ...ACTION_ROUTES],
      { modules, actions },
      stack.modules.logger,
    );
    bodies.push(response.body);
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined };
  };
});

async function publishLogger(code = LOGGER_V1) {
  let module = (await call('GET', MODULES)).body.modules.find((m: { name: string }) => m.name === 'logger');
  if (!module) {
    module = (
      await call('POST', MODULES, {
        name: 'logger',
        code,
        secrets: [
          { name: 'SERVICE_URL', value: 'https://logs.example.com/ingest' },
          { name: 'API_KEY', value: 'module-secret-value-1234' },
        ],
      })
    ).body;
  } else await call('PATCH', `${MODULES}/${module.id}`, { code });
  const version = (await call('POST', `${MODULES}/${module.id}/versions`)).body;
  return { module, version };
}

async function createAction(name = 'notify-on-failed-login', extra: Record<string, unknown> = {}) {
  return call('POST', ACTIONS, {
    name,
    supported_triggers: [{ id: 'auth0-log', version: 'v1' }],
    code: ACTION_CODE,
    secrets: [{ name: 'WEBHOOK_TOKEN', value: 'action-secret-value-5678' }],
    modules: [{ module_name: 'logger', module_version_number: 1 }],
    ...extra,
  });
}

describe('the actions API', () => {
  it('creates an action pinned to logger v1, deploys it into one bundle, and binds it to auth0-log', async () => {
    const { module, version: v1 } = await publishLogger();
    const created = await createAction();
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'notify-on-failed-login',
      supported_triggers: [{ id: 'auth0-log', version: 'v1' }],
      runtime: 'node22',
      secrets: [{ name: 'WEBHOOK_TOKEN', updated_at: expect.any(String) }],
      modules: [
        { module_id: module.id, module_name: 'logger', module_version_id: v1.id, module_version_number: 1 },
      ],
      all_changes_deployed: false,
    });
    const id = created.body.id;

    const deployed = await call('POST', `${ACTIONS}/${id}/deploy`);
    expect(deployed.status).toBe(200);
    expect(deployed.body).toMatchObject({ action_id: id, number: 1, deployed: true, status: 'built' });
    const live = ports.deployer.live.get(id);
    expect(live).toMatchObject({ actionId: id, versionNumber: 1, timeoutMs: 20_000 });
    expect(live?.moduleSecretSets).toEqual([
      { moduleId: module.id, moduleName: 'logger', setId: expect.any(String) },
    ]);

    // The bundle holds the action and logger v1, and runs with the module's own secrets.
    const bundle = await ports.artifacts.get(live?.bundle as never);
    const exports = evaluateActionBundle(bundle, '/tmp/bundle.js').load({
      moduleSecrets: { logger: { SERVICE_URL: 'https://svc.example', API_KEY: 'k' } },
    }) as { onExecuteAuth0Log: (event: unknown) => Promise<Record<string, unknown>> };
    expect(await exports.onExecuteAuth0Log({ data: { type: 'fp' } })).toEqual({
      code: 'fp',
      message: 'failed login',
      url: 'https://svc.example',
      v: 1,
    });
    expect(ports.builder.inputs[0]?.modules).toEqual(['logger']);

    const bound = await call('PATCH', '/api/v2/actions/triggers/auth0-log/bindings', {
      bindings: [{ ref: { type: 'action_name', value: 'notify-on-failed-login' }, match: { codes: ['fp'] } }],
    });
    expect(bound.status).toBe(200);
    expect(bound.body.bindings).toEqual([
      expect.objectContaining({
        trigger_id: 'auth0-log',
        display_name: 'notify-on-failed-login',
        match: { codes: ['fp'] },
      }),
    ]);
    expect(ports.rules.desired).toHaveLength(1);
    expect(ports.rules.desired[0]).toMatchObject({
      name: expect.stringMatching(/^a0b-action-/),
      eventPattern: {
        source: ['auth0.logs'],
        'detail-type': ['Auth0 log'],
        detail: { data: { type: ['fp'] } },
      },
      target: { arn: expect.stringContaining(`a0b-action-${id}:live`) },
    });

    // The module lists the action that uses it, and cannot be deleted while it does.
    const usage = await call('GET', `${MODULES}/${module.id}/actions`);
    expect(usage.body.actions).toEqual([
      expect.objectContaining({ action_id: id, module_version_id: v1.id, module_version_number: 1 }),
    ]);
    expect((await call('DELETE', `${MODULES}/${module.id}`)).status).toBe(412);
  });

  it('keeps running the pinned module version when logger v2 is published, until redeployed with v2', async () => {
    await publishLogger();
    const id = (await createAction()).body.id;
    await call('POST', `${ACTIONS}/${id}/deploy`);
    const firstBundle = ports.deployer.live.get(id)?.bundle.sha256;

    const { version: v2 } = await publishLogger(LOGGER_V2);
    expect(v2.version_number).toBe(2);
    expect(ports.deployer.live.get(id)?.bundle.sha256).toBe(firstBundle);
    expect(
      (await call('GET', `${ACTIONS}/${id}`)).body.deployed_version.modules[0].module_version_number,
    ).toBe(1);
    // Deploying again without changing the pin builds nothing new.
    expect((await call('POST', `${ACTIONS}/${id}/deploy`)).status).toBe(409);

    await call('PATCH', `${ACTIONS}/${id}`, {
      modules: [{ module_name: 'logger', module_version_number: 2 }],
    });
    const redeployed = await call('POST', `${ACTIONS}/${id}/deploy`);
    expect(redeployed.body).toMatchObject({ number: 2, modules: [{ module_version_number: 2 }] });
    expect(ports.deployer.live.get(id)?.bundle.sha256).not.toBe(firstBundle);
  });

  it('rolls back by deploying an older version as a new live version', async () => {
    await publishLogger();
    const id = (await createAction()).body.id;
    const v1 = (await call('POST', `${ACTIONS}/${id}/deploy`)).body;
    await call('PATCH', `${ACTIONS}/${id}`, { code: `${ACTION_CODE}\n// v2` });
    await call('POST', `${ACTIONS}/${id}/deploy`);
    const rolledBack = await call('POST', `${ACTIONS}/${id}/versions/${v1.id}/deploy`);
    expect(rolledBack.status).toBe(200);
    expect(rolledBack.body).toMatchObject({ number: 3, deployed: true, code: ACTION_CODE });
    expect(ports.deployer.live.get(id)?.versionNumber).toBe(3);
    const versions = await call('GET', `${ACTIONS}/${id}/versions`);
    expect(
      versions.body.versions.map((v: { number: number; deployed: boolean }) => [v.number, v.deployed]),
    ).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
  });

  it('refuses, naming the limit: a 4th action, a 4th module, a 3rd binding, an unknown trigger', async () => {
    await publishLogger();
    for (const name of ['a', 'b', 'c']) expect((await createAction(name)).status).toBe(201);
    const fourth = await createAction('d');
    expect(fourth).toMatchObject({ status: 400, body: { errorCode: 'too_many_actions' } });
    expect(fourth.body.message).toMatch(/limit: 3 actions/);

    const modules = [1, 2, 3, 4].map(() => ({ module_name: 'logger', module_version_number: 1 }));
    const tooMany = await call('PATCH', `${ACTIONS}/${(await call('GET', ACTIONS)).body.actions[0].id}`, {
      modules,
    });
    expect(tooMany.body).toMatchObject({ errorCode: 'too_many_modules' });

    const bindings = ['a', 'b', 'c'].map((value) => ({ ref: { type: 'action_name', value } }));
    const tooManyBindings = await call('PATCH', '/api/v2/actions/triggers/auth0-log/bindings', { bindings });
    expect(tooManyBindings.body).toMatchObject({ errorCode: 'too_many_bindings' });
    expect(tooManyBindings.body.message).toMatch(/limit: 2 bindings per trigger/);

    const unknown = await call('POST', ACTIONS, { name: 'x', supported_triggers: [{ id: 'auth0-logs' }] });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/did you mean "auth0-log"/);
    expect((await call('GET', '/api/v2/actions/triggers/post-logn/bindings')).status).toBe(404);
  });

  it('binds an action to post-login without a match, and lists every trigger as current', async () => {
    // GIVEN a deployed action written for post-login
    await publishLogger();
    const id = (
      await createAction('deny-blocked-countries', {
        supported_triggers: [{ id: 'post-login', version: 'v3' }],
        code: 'exports.onExecutePostLogin = async (event, api) => { api.access.deny("blocked"); };',
      })
    ).body.id;
    await call('POST', `${ACTIONS}/${id}/deploy`);
    const ref = { type: 'action_id', value: id };

    // WHEN it is bound with a match, then without
    const withMatch = await call('PATCH', '/api/v2/actions/triggers/post-login/bindings', {
      bindings: [{ ref, match: { codes: ['s'] } }],
    });
    const bound = await call('PATCH', '/api/v2/actions/triggers/post-login/bindings', {
      bindings: [{ ref }],
    });

    // THEN the match is refused, and the binding becomes a rule on post-login's detail-type
    expect(withMatch.body).toMatchObject({ statusCode: 400, errorCode: 'invalid_match' });
    expect(withMatch.body.message).toMatch(/takes no match/);
    expect(bound.status).toBe(200);
    expect(bound.body.bindings).toEqual([expect.objectContaining({ trigger_id: 'post-login' })]);
    expect(ports.rules.desired.map((rule) => rule.eventPattern)).toEqual([
      { source: ['auth0.logs'], 'detail-type': ['Auth0 action: post-login'] },
    ]);
    const triggers = (await call('GET', '/api/v2/actions/triggers')).body.triggers;
    expect(triggers).toHaveLength(9);
    expect(triggers.filter((trigger: { status: string }) => trigger.status !== 'CURRENT')).toEqual([]);
    expect(triggers.find((trigger: { id: string }) => trigger.id === 'post-login')).toMatchObject({
      version: 'v3',
      handler: 'onExecutePostLogin',
    });
  });

  it('binds only deployed actions, validates the match with did-you-mean, and unbinds', async () => {
    await publishLogger();
    const id = (await createAction()).body.id;
    const ref = { type: 'action_id', value: id };
    const undeployed = await call('PATCH', '/api/v2/actions/triggers/auth0-log/bindings', {
      bindings: [{ ref }],
    });
    expect(undeployed.body).toMatchObject({ errorCode: 'action_not_deployed' });
    await call('POST', `${ACTIONS}/${id}/deploy`);
    const syncs = ports.rules.syncs;
    const typo = await call('PATCH', '/api/v2/actions/triggers/auth0-log/bindings', {
      bindings: [{ ref, match: { codes: ['fpp'] } }],
    });
    expect(typo.body).toMatchObject({ statusCode: 400, errorCode: 'invalid_match' });
    expect(typo.body.message).toMatch(/unknown log type code "fpp"; did you mean .*"fp"/);
    expect(ports.rules.syncs).toBe(syncs);

    await call('PATCH', '/api/v2/actions/triggers/auth0-log/bindings', { bindings: [{ ref }] });
    expect(ports.rules.desired).toHaveLength(1);
    expect((await call('DELETE', `${ACTIONS}/${id}`)).body).toMatchObject({ errorCode: 'action_bound' });
    await call('PATCH', '/api/v2/actions/triggers/auth0-log/bindings', { bindings: [] });
    expect(ports.rules.desired).toHaveLength(0);
    expect((await call('DELETE', `${ACTIONS}/${id}`)).status).toBe(204);
    expect(ports.deployer.removed).toEqual([id]);
    // The module it pinned is free again.
    const moduleId = (await call('GET', MODULES)).body.modules[0].id;
    expect((await call('GET', `${MODULES}/${moduleId}/actions`)).body.actions).toEqual([]);
    expect((await call('DELETE', `${MODULES}/${moduleId}`)).status).toBe(204);
  });

  it('never writes a secret value into a response or a log line', async () => {
    await publishLogger();
    const id = (await createAction()).body.id;
    await call('POST', `${ACTIONS}/${id}/deploy`);
    await call('PATCH', `${ACTIONS}/${id}`, {
      secrets: [{ name: 'WEBHOOK_TOKEN', value: 'action-secret-value-9999' }],
    });
    await call('GET', `${ACTIONS}/${id}/versions`);
    const everything = [...bodies, ...(ports.logger as RecordingLogger).lines].join('\n');
    for (const value of [
      'module-secret-value-1234',
      'action-secret-value-5678',
      'action-secret-value-9999',
    ]) {
      expect(everything).not.toContain(value);
    }
  });
});
