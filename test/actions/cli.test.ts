/**
 * `a0bridge actions …` in-process against the management API over in-memory ports, served by the real local
 * server with its management token: the seed journey, bindings, secrets, executions, --json and errors.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionRecord } from '../../lambdas/actions/model';
import { findLeaks } from '../modules/support/capture';
import { a0bridge, type CliInput, type CliStack, startCliStack } from './support/cli-stack';

const ACTION = 'notify-on-failed-login';
const SERVICE_URL = 'https://logs.cli.example/ingest?k=actions-cli-url';
const MODULE_KEY = 'actions-cli-module-key-7f7f';
const WEBHOOK_TOKEN = 'actions-cli-webhook-token-3c3c';
const PROMPTED = 'actions-cli-prompted-value-8d8d';
const LOGGER = `module.exports = { sendLog: async (code, message) => ({ code, message, url: actions.secrets.SERVICE_URL }) };\n`;
const ACTION_CODE = `const logger = require('actions:logger');
exports.onExecuteAuth0Log = async (event) => logger.sendLog(event.data.type, 'failed login');\n`;

let stack: CliStack;
let dir: string;
const transcripts: string[] = [];

/** `a0bridge <args>` against the test stack, its endpoint and token from the environment. */
async function a0(args: string[], input: CliInput = {}) {
  const run = await a0bridge(args, {
    env: { A0BRIDGE_ENDPOINT: stack.url, A0BRIDGE_TOKEN: stack.token },
    ...input,
  });
  transcripts.push(run.stdout, run.stderr, ...run.prompts);
  return run;
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** The module side of the seed journey, through the CLI: logger with two secrets, published as v1. */
async function publishLogger() {
  const steps = [
    await a0(['modules', 'create', 'logger']),
    await a0(['modules', 'secrets', 'set', 'logger', 'SERVICE_URL'], { stdin: `${SERVICE_URL}\n` }),
    await a0(['modules', 'secrets', 'set', 'logger', 'API_KEY'], { stdin: MODULE_KEY }),
    await a0(['modules', 'update', 'logger', '--code', await file('logger.js', LOGGER)]),
    await a0(['modules', 'publish', 'logger']),
  ];
  expect(steps.map(({ code }) => code)).toEqual([0, 0, 0, 0, 0]);
}

/** An action pinned to logger v1 with code, deployed: what bindings and executions need. */
async function deployedAction(name = ACTION) {
  await a0(['actions', 'create', name]);
  await a0(['actions', 'modules', name, 'add', 'logger@1']);
  await a0(['actions', 'code', name, await file('action.js', ACTION_CODE)]);
  const deployed = await a0(['actions', 'deploy', name]);
  expect(deployed.code).toBe(0);
  return (await stack.ports().actions.store.listActions({ offset: 0, limit: 100 })).items.find(
    (action) => action.name === name,
  )?.id as string;
}

beforeAll(async () => {
  stack = await startCliStack();
  dir = await mkdtemp(join(tmpdir(), 'a0bridge-actions-cli-'));
});

beforeEach(() => stack.reset({ maxModulesPerAction: 1 }));

afterAll(async () => {
  await stack?.close();
});

describe('a0bridge actions', () => {
  it('walks the seed journey: pin logger v1, code, deploy, bind to fp, no runs yet, roll back', async () => {
    await publishLogger();

    const created = await a0(['actions', 'create', ACTION]);
    const pinned = await a0(['actions', 'modules', ACTION, 'add', 'logger@1']);
    const saved = await a0(['actions', 'code', ACTION, await file('action.js', ACTION_CODE)]);
    const deployed = await a0(['actions', 'deploy', ACTION]);
    const bound = await a0(['actions', 'bind', ACTION, '--codes', 'fp']);
    const listed = await a0(['actions', 'bindings']);
    const runs = await a0(['actions', 'executions', 'list', ACTION]);
    await a0(['actions', 'code', ACTION, await file('action-v2.js', `${ACTION_CODE}// v2\n`)]);
    const redeployed = await a0(['actions', 'deploy', ACTION]);
    const rolledBack = await a0(['actions', 'rollback', ACTION, '1']);
    const history = await a0(['actions', 'versions', ACTION]);
    const listed2 = await a0(['actions', 'list']);

    const { actions } = stack.ports();
    const id = [...actions.deployer.live.keys()][0] as string;
    expect(created).toMatchObject({ code: 0, stdout: expect.stringContaining(`Created action ${ACTION} (`) });
    expect(created.stdout).toContain(`Next: npm run a0bridge -- actions code ${ACTION} action.js`);
    expect(pinned.stdout).toMatch(/^logger\s+v1\s/m);
    expect(saved.stdout).toContain(`Next: npm run a0bridge -- actions deploy ${ACTION}`);
    expect(deployed.stdout).toMatch(new RegExp(`Deployed ${ACTION} version 1 \\(.+\\) in \\d+ ms\\.`));
    expect(deployed.stdout).toContain('It runs with logger v1.');
    expect(deployed.stdout).toContain(`Next: npm run a0bridge -- actions bind ${ACTION}`);
    expect(bound.stdout).toContain(`Bound ${ACTION} to auth0-log for log codes fp (binding 1 of 1).`);
    expect(actions.rules.desired).toHaveLength(1);
    expect(actions.rules.desired[0]?.eventPattern).toMatchObject({ detail: { data: { type: ['fp'] } } });
    expect(listed.stdout).toMatch(new RegExp(`^1\\s+${ACTION}\\s+${id}\\s+log codes fp\\s`, 'm'));
    expect(runs).toMatchObject({ code: 0, stdout: expect.stringContaining('(none)\n0 execution(s)') });
    expect(redeployed.stdout).toContain('It is bound to auth0-log: this version runs on its events');
    expect(rolledBack.stdout).toMatch(
      new RegExp(`Rolled ${ACTION} back to v1: .* live again as version 3 \\(`),
    );
    expect(actions.deployer.live.get(id)).toMatchObject({ versionNumber: 3 });
    expect(listed2.stdout).toMatch(
      new RegExp(`^${ACTION}\\s+${id}\\s+auth0-log\\s+deployed\\s+logger v1\\s+0\\s+0\\s`, 'm'),
    );
    expect(history.stdout.split('\n').filter((line) => /^v\d/.test(line))).toEqual([
      expect.stringMatching(/^v3\s+\S+\s+live\s.*logger v1/),
      expect.stringMatching(/^v2\s+\S+\s+-\s/),
      expect.stringMatching(/^v1\s+\S+\s+-\s/),
    ]);
  });

  it('binds by replacing its own entry in place, keeps the other bindings and their order, and unbinds', async () => {
    await publishLogger();
    await deployedAction('first');
    await deployedAction('second');

    await a0(['actions', 'bind', 'first', '--codes', 'fp']);
    await a0(['actions', 'bind', 'second', '--categories', 'auth.login.fail']);
    const rebound = await a0(['actions', 'bind', 'first', '--codes', 'f,fp', '--codes', 's']);
    const afterRebind = stack.ports().actions.store.bindings.get('auth0-log');
    const unbound = await a0(['actions', 'unbind', 'first']);
    const again = await a0(['actions', 'unbind', 'first']);

    expect(rebound.stdout).toContain('Rebound first to auth0-log for log codes f, fp, s (binding 1 of 2).');
    expect(afterRebind?.map(({ actionName, match }) => [actionName, match])).toEqual([
      ['first', { codes: ['f', 'fp', 's'] }],
      ['second', { categories: ['auth.login.fail'] }],
    ]);
    expect(unbound.code).toBe(0);
    expect(
      stack
        .ports()
        .actions.store.bindings.get('auth0-log')
        ?.map(({ actionName, match }) => [actionName, match]),
    ).toEqual([['second', { categories: ['auth.login.fail'] }]]);
    expect(again).toMatchObject({ code: 2, stderr: 'Action first is not bound to auth0-log.\n' });
  });

  it('pins the latest published module version when none is given', async () => {
    await publishLogger();
    await a0(['modules', 'update', 'logger', '--code', await file('logger-v2.js', `${LOGGER}// v2\n`)]);
    await a0(['modules', 'publish', 'logger']);
    await a0(['actions', 'create', ACTION, '--code-file', await file('action.js', ACTION_CODE)]);

    const pinned = await a0(['actions', 'modules', ACTION, 'add', 'logger']);
    const repinned = await a0(['actions', 'modules', ACTION, 'add', 'logger@v1']);
    const unpinned = await a0(['actions', 'modules', ACTION, 'remove', 'logger']);

    expect(pinned.stdout).toMatch(/^logger\s+v2\s/m);
    expect(repinned.stdout).toMatch(/^logger\s+v1\s/m);
    expect(repinned.stdout).not.toMatch(/^logger\s+v2\s/m);
    expect(unpinned.stdout).toContain('(none)');
  });

  it('prints the API JSON with --json, with the endpoint and token given as options', async () => {
    await publishLogger();
    await deployedAction();
    await a0(['actions', 'bind', ACTION, '--codes', 'fp']);
    const options = ['--json', '--endpoint', stack.url, '--token', stack.token];

    const action = await a0bridge(['actions', 'get', ACTION, ...options]);
    const bindings = await a0bridge(['actions', 'bindings', ...options]);

    expect(JSON.parse(action.stdout)).toMatchObject({
      name: ACTION,
      supported_triggers: [{ id: 'auth0-log', version: 'v1' }],
      modules: [{ module_name: 'logger', module_version_number: 1 }],
      deployed_version: { number: 1, deployed: true },
      all_changes_deployed: true,
    });
    expect(JSON.parse(bindings.stdout)).toMatchObject({
      bindings: [{ display_name: ACTION, match: { codes: ['fp'] } }],
      total: 1,
    });
  });

  it('reads secret values from stdin or a hidden prompt, never from the command line, and keeps the others', async () => {
    await publishLogger();
    const id = await deployedAction();

    const fromStdin = await a0(['actions', 'secrets', ACTION, 'set', 'WEBHOOK_TOKEN'], {
      stdin: `${WEBHOOK_TOKEN}\n`,
    });
    const prompted = await a0(['actions', 'secrets', ACTION, 'set', 'PROMPTED'], { prompt: PROMPTED });
    const onArgv = await a0(['actions', 'secrets', ACTION, 'set', 'ON_ARGV', 'value-on-argv']);
    const removed = await a0(['actions', 'secrets', ACTION, 'remove', 'PROMPTED']);
    const names = JSON.parse((await a0(['actions', 'secrets', ACTION, 'list', '--json'])).stdout);
    await a0(['actions', 'deploy', ACTION]);

    const { actions } = stack.ports();
    const live = actions.deployer.live.get(id);
    expect(fromStdin).toMatchObject({ code: 0, stdout: expect.stringContaining('Set secret WEBHOOK_TOKEN') });
    expect(prompted.prompts).toEqual(['Value for PROMPTED (not shown): ']);
    expect(onArgv).toMatchObject({ code: 2, stderr: expect.stringContaining('never from the command line') });
    expect(removed.stdout).toContain(`Next: npm run a0bridge -- actions deploy ${ACTION}`);
    expect(names.map((secret: { name: string }) => secret.name)).toEqual(['WEBHOOK_TOKEN']);
    // Set by name alone in the later PATCHes, WEBHOOK_TOKEN kept the value read from stdin.
    expect(await actions.secrets.readSet(id, live?.secretsSetId as string)).toEqual({
      WEBHOOK_TOKEN,
    });
    expect(
      findLeaks(transcripts, [SERVICE_URL, MODULE_KEY, WEBHOOK_TOKEN, PROMPTED, 'value-on-argv']),
    ).toEqual([]);
  });

  it('lists and shows executions: status, version, trigger, event, timing, error and console output', async () => {
    await publishLogger();
    const id = await deployedAction();
    const execution: ExecutionRecord = {
      id: 'exec-0001',
      actionId: id,
      actionName: ACTION,
      actionVersionId: 'version-id-1',
      actionVersionNumber: 1,
      triggerId: 'auth0-log',
      eventId: 'event-42',
      status: 'failed',
      startedAt: '2026-01-02T03:04:05.678Z',
      endedAt: '2026-01-02T03:04:05.790Z',
      durationMs: 112,
      logs: ['{ code: "fp" }', 'sending to the logger'],
      error: { name: 'Error', message: 'External service failure' },
    };
    stack.ports().actions.executions.records.push(execution);

    const listed = await a0(['actions', 'executions', 'list', ACTION]);
    const shown = await a0(['actions', 'executions', 'get', 'exec-0001']);
    const missing = await a0(['actions', 'executions', 'get', 'exec-nope']);

    expect(listed.stdout).toMatch(
      /^exec-0001\s+failed\s+v1\s+event-42\s+2026-01-02 03:04:05Z\s+112 ms\s+Error: External service failure$/m,
    );
    expect(listed.stdout).toContain('1 execution(s)');
    expect(shown.stdout).toMatch(/^Status:\s+failed$/m);
    expect(shown.stdout).toMatch(/^Version:\s+v1 \(version-id-1\)$/m);
    expect(shown.stdout).toMatch(/^Trigger:\s+auth0-log$/m);
    expect(shown.stdout).toMatch(/^Event id:\s+event-42$/m);
    expect(shown.stdout).toMatch(/^Duration:\s+112 ms$/m);
    expect(shown.stdout).toMatch(/^Error:\s+Error: External service failure$/m);
    expect(shown.stdout).toContain('--- console ---\n{ code: "fp" }\nsending to the logger\n');
    expect(missing).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Error 404 (execution_not_found)'),
    });
  });

  it('creates, deploys and binds a post-login action, whose binding takes every post-login event', async () => {
    const code = await file(
      'deny.js',
      "exports.onExecutePostLogin = async (event, api) => { api.access.deny('blocked country'); };",
    );

    const created = await a0(['actions', 'create', 'deny', '--trigger', 'post-login', '--code-file', code]);
    const deployed = await a0(['actions', 'deploy', 'deny']);
    const bound = await a0(['actions', 'bind', 'deny']);
    const listed = await a0(['actions', 'bindings', '--trigger', 'post-login']);

    expect([created.code, deployed.code, bound.code, listed.code]).toEqual([0, 0, 0, 0]);
    expect(created.stdout).toContain('for trigger post-login');
    expect(bound.stdout).toMatch(/^Bound deny to post-login/m);
    expect(listed.stdout).toMatch(/^1\s+deny\s/m);
    expect(stack.ports().actions.rules.desired.map((rule) => rule.eventPattern)).toEqual([
      { source: ['auth0.logs'], 'detail-type': ['Auth0 action: post-login'] },
    ]);
  });

  it('shows the api calls a post-login execution recorded, and gives them in --json', async () => {
    // GIVEN a post-login execution that recorded two api calls and had one past the limits
    await publishLogger();
    const id = await deployedAction();
    const execution: ExecutionRecord = {
      id: 'exec-0002',
      actionId: id,
      actionName: ACTION,
      actionVersionId: 'version-id-1',
      actionVersionNumber: 1,
      triggerId: 'post-login',
      eventId: 'event-43',
      status: 'succeeded',
      startedAt: '2026-01-02T03:04:05.678Z',
      endedAt: '2026-01-02T03:04:05.700Z',
      durationMs: 22,
      logs: [],
      recorded: [
        { method: 'api.access.deny', args: ['blocked country'] },
        { method: 'api.idToken.setCustomClaim', args: ['https://example.com/tier', { level: 2 }] },
      ],
      recordedOmitted: 1,
    };
    stack.ports().actions.executions.records.push(execution);

    // WHEN it is shown, as text and as JSON
    const shown = await a0(['actions', 'executions', 'get', 'exec-0002']);
    const json = JSON.parse((await a0(['actions', 'executions', 'get', 'exec-0002', '--json'])).stdout);

    // THEN the calls are listed as they were made, and marked as not applied
    expect(shown.stdout).toMatch(/^Status:\s+succeeded$/m);
    expect(shown.stdout).toContain(
      [
        '--- api calls (recorded, not applied: the action ran after the transaction) ---',
        'api.access.deny("blocked country")',
        'api.idToken.setCustomClaim("https://example.com/tier", {"level":2})',
        '… and 1 more, past the limits',
        '(no console output)',
      ].join('\n'),
    );
    expect(json).toMatchObject({
      trigger_id: 'post-login',
      outcome: 'succeeded',
      recorded: [
        { method: 'api.access.deny', args: ['blocked country'] },
        { method: 'api.idToken.setCustomClaim', args: ['https://example.com/tier', { level: 2 }] },
      ],
      recorded_omitted: 1,
    });
  });

  it('shows server refusals with their status and errorCode, and deletes a bound action with --force', async () => {
    await publishLogger();
    await a0(['modules', 'create', 'other', '--publish']);
    await a0(['actions', 'create', ACTION, '--code-file', await file('action.js', ACTION_CODE)]);
    await a0(['actions', 'modules', ACTION, 'add', 'logger']);
    const undeployed = await a0(['actions', 'bind', ACTION]);
    await a0(['actions', 'deploy', ACTION]);
    const unchanged = await a0(['actions', 'deploy', ACTION]);
    await a0(['actions', 'bind', ACTION]);

    const tooMany = await a0(['actions', 'modules', ACTION, 'add', 'other']);
    const bound = await a0(['actions', 'delete', ACTION, '--yes']);
    const unasked = await a0(['actions', 'delete', ACTION]);
    const unknown = await a0(['actions', 'get', 'nothing-here']);
    const forced = await a0(['actions', 'delete', ACTION, '--force', '--yes']);

    expect(undeployed).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Error 400 (action_not_deployed): '),
    });
    expect(undeployed.stderr).toContain(`\nNext: npm run a0bridge -- actions deploy ${ACTION}\n`);
    expect(unchanged).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Error 409 (no_changes_to_publish): '),
    });
    expect(unchanged.stderr).toContain(`npm run a0bridge -- actions rollback ${ACTION} <version>`);
    expect(tooMany).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Error 400 (too_many_modules): '),
    });
    expect(tooMany.stderr).toContain('limit: 1 modules per action');
    expect(bound).toMatchObject({ code: 1, stderr: expect.stringContaining('Error 412 (action_bound): ') });
    expect(bound.stderr).toContain(
      `Next: npm run a0bridge -- actions unbind ${ACTION}, or npm run a0bridge -- actions delete`,
    );
    expect(unasked).toMatchObject({ code: 2, stderr: expect.stringContaining('needs --yes') });
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('No action is named') });
    expect(forced).toMatchObject({ code: 0, stdout: expect.stringContaining(`Deleted action ${ACTION}`) });
    expect(stack.ports().actions.store.bindings.get('auth0-log')).toEqual([]);
  });

  it('is listed by a0bridge --help, explains its commands, and points parse errors at its help', async () => {
    const help = await a0bridge(['--help']);
    const areaHelp = await a0bridge(['actions', '--help']);
    const badOption = await a0bridge(['actions', 'list', '--nope']);

    expect(help.stdout).toMatch(/^ {2}actions\s+Actions:/m);
    expect(areaHelp.stdout).toContain('modules <action> add <module>[@<n>]');
    expect(areaHelp.stdout).toContain('--endpoint <url>');
    expect(badOption).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Run a0bridge actions --help for the commands and options.'),
    });
  });
});
