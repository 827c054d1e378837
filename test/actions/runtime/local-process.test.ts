import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assembleActionBundle } from '../../../lambdas/actions/runtime/bundle';
import {
  ActionProcess,
  type ActionProcessOptions,
  CHILD_ENVIRONMENT,
} from '../../../lambdas/actions/runtime/local-process';

const HANDLER = { handlerName: 'onExecuteAuth0Log', triggerId: 'auth0-log', timeoutMs: 1000 } as const;

let directory: string;
const started: ActionProcess[] = [];

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), 'action-process-test-'));
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((action) => action.stop()));
  expect(actionChildren()).toEqual([]);
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

let bundles = 0;
function writeBundle(actionCode: string, modules: { name: string; code: string }[] = []): string {
  const path = join(directory, `bundle-${bundles++}.js`);
  writeFileSync(path, assembleActionBundle({ action: { code: actionCode }, modules }).content);
  return path;
}

async function startAction(
  actionCode: string,
  options: Partial<ActionProcessOptions> & { modules?: { name: string; code: string }[] } = {},
): Promise<ActionProcess> {
  const { modules, ...rest } = options;
  const action = await ActionProcess.start({
    bundlePath: writeBundle(actionCode, modules),
    secrets: {},
    moduleSecrets: {},
    onEmit: async () => undefined,
    ...rest,
  });
  started.push(action);
  return action;
}

/** The action children of this process still running (their entry is the built child, or child.ts under tsx). */
function actionChildren(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const ppid = /^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
        const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return Number(ppid) === process.pid && /a0bridge-action-child-|runtime\/child\.[jt]s/.test(command);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Looks for a value everywhere an action could reach without being given it. */
const SEARCH = `
const { readFileSync } = require('node:fs');
function search(value) {
  const places = [];
  if (JSON.stringify(process.env).includes(value)) places.push('process.env');
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    let text = '';
    try { const v = globalThis[name]; text = typeof v === 'string' ? v : JSON.stringify(v) ?? ''; } catch {}
    if (text.includes(value)) places.push('globalThis.' + name);
  }
  for (const file of ['/proc/self/environ', '/proc/self/cmdline']) {
    try { if (readFileSync(file, 'latin1').includes(value)) places.push(file); } catch {}
  }
  if (process.argv.join(' ').includes(value) || process.execArgv.join(' ').includes(value)) places.push('argv');
  return places;
}
`;

describe('ActionProcess', () => {
  it("keeps each action's secrets out of every other action's reach, and AWS credentials out of both", async () => {
    // GIVEN AWS credentials in this process's environment, and two actions with secrets of their own
    const parentOnly = {
      AWS_ACCESS_KEY_ID: 'AKIAPARENTONLY00001',
      AWS_SECRET_ACCESS_KEY: 'parent-only-secret-access-key',
      AWS_SESSION_TOKEN: 'parent-only-session-token',
      INGEST_TOKEN: 'parent-only-ingest-token',
    };
    const saved = Object.fromEntries(Object.keys(parentOnly).map((name) => [name, process.env[name]]));
    Object.assign(process.env, parentOnly);
    const code = `${SEARCH}
      exports.onExecuteAuth0Log = async (event) => {
        globalThis.mine = event.secrets.VALUE; // so the search of globals is seen to work
        console.log('own: ' + search(event.secrets.VALUE).join(','));
        console.log('other: ' + search(event.other).join(','));
        console.log('aws: ' + ['AKIAPARENTONLY00001', 'parent-only-secret-access-key', 'parent-only-ingest-token'].flatMap(search).join(','));
        console.log('env: ' + Object.keys(process.env).sort().join(','));
      };`;
    let alpha: ActionProcess;
    let bravo: ActionProcess;
    try {
      alpha = await startAction(code, { secrets: { VALUE: 'alpha-secret-value' } });
      bravo = await startAction(code, { secrets: { VALUE: 'bravo-secret-value' } });
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }

    // WHEN each looks for the other's value
    const [a, b] = await Promise.all([
      alpha.run({ other: 'bravo-secret-value' }, HANDLER),
      bravo.run({ other: 'alpha-secret-value' }, HANDLER),
    ]);

    // THEN each finds only its own (where it put it), and neither finds the other's or the credentials
    for (const result of [a, b]) {
      expect(result.status).toBe('succeeded');
      expect(result.logs.slice(0, 3)).toEqual(['own: globalThis.mine', 'other: ', 'aws: ']);
      const names = (result.logs[3] ?? '').replace('env: ', '').split(',');
      expect(names.filter((name) => name.startsWith('AWS_'))).toEqual([]);
      expect(names.every((name) => name === '' || CHILD_ENVIRONMENT.includes(name))).toBe(true);
    }
    expect(alpha.pid).not.toBe(bravo.pid);
  });

  it('resolves actions:logger to the pinned module, which sees only its own secrets', async () => {
    const action = await startAction(
      `const logger = require('actions:logger');
       exports.onExecuteAuth0Log = async (event) => {
         await logger.sendLog('logger_success', 'Your Action was able to use the Logger Action Module');
         console.log('action sees its own: ' + Object.keys(event.secrets));
       };`,
      {
        secrets: { ACTION_ONLY: 'action-only-value' },
        moduleSecrets: {
          logger: { SERVICE_URL: 'https://logs.example.com/ingest', API_KEY: 'logger-api-key' },
        },
        modules: [
          {
            name: 'logger',
            code: `module.exports = { sendLog: async (code, message) => {
              console.log(code + ' ' + message + ' -> ' + Object.keys(actions.secrets).join(','));
              console.log('url ' + actions.secrets.SERVICE_URL);
            } };`,
          },
        ],
      },
    );

    const result = await action.run({}, HANDLER);

    expect(result.logs).toEqual([
      'logger_success Your Action was able to use the Logger Action Module -> SERVICE_URL,API_KEY',
      'url [REDACTED]',
      'action sees its own: ACTION_ONLY',
    ]);
  });

  it('fails a run that throws, with the message, and redacts secret values from logs and error', async () => {
    const action = await startAction(
      `exports.onExecuteAuth0Log = async (event) => {
         console.log('calling with ' + event.secrets.API_KEY);
         throw new Error('upstream refused key ' + event.secrets.API_KEY + ' and ' + event.moduleKey);
       };`,
      { secrets: { API_KEY: 'sk_test_action_key' }, moduleSecrets: { logger: { KEY: 'module-only-key' } } },
    );

    const result = await action.run({ moduleKey: 'module-only-key' }, HANDLER);

    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      name: 'Error',
      message: 'upstream refused key [REDACTED] and [REDACTED]',
    });
    expect(result.logs).toEqual(['calling with [REDACTED]']);
  });

  it.each([
    ['an endless loop', 'while (true) {}'],
    ['a promise that never settles', 'await new Promise(() => {});'],
  ])(
    'times out %s within the timeout and a margin, and the next run works in a fresh process',
    async (_, body) => {
      // GIVEN an action that hangs when asked to
      const action = await startAction(
        `exports.onExecuteAuth0Log = async (event) => { console.log('run ' + event.n); if (event.hang) { ${body} } };`,
        { killGraceMs: 200 },
      );
      const firstPid = action.pid as number;

      // WHEN it hangs
      const began = Date.now();
      const hung = await action.run({ n: 1, hang: true }, { ...HANDLER, timeoutMs: 300 });
      const elapsed = Date.now() - began;

      // THEN the run timed out in time and its process is gone; the next run gets a new one
      expect(hung.status).toBe('timed_out');
      expect(hung.error?.name).toBe('ActionTimeoutError');
      expect(elapsed).toBeGreaterThanOrEqual(295);
      expect(elapsed).toBeLessThan(300 + 200 + 300);
      await expect.poll(() => isRunning(firstPid)).toBe(false);
      const next = await action.run({ n: 2 }, HANDLER);
      expect(next).toMatchObject({ status: 'succeeded', logs: ['run 2'] });
      expect(action.pid).not.toBe(firstPid);
    },
  );

  it('fails a run whose process dies, and starts afresh for the next', async () => {
    const action = await startAction(
      `exports.onExecuteAuth0Log = async (event) => {
         if (event.exit) process.exit(3);
         if (event.throwLater) { setTimeout(() => { throw new Error('late ' + event.secrets.TOKEN); }); await new Promise(() => {}); }
         console.log('alive');
       };`,
      { secrets: { TOKEN: 'late-token-value' } },
    );

    const exited = await action.run({ exit: true }, HANDLER);
    const thrown = await action.run({ throwLater: true }, HANDLER);
    const next = await action.run({}, HANDLER);

    expect(exited.status).toBe('failed');
    expect(exited.error?.message).toBe('The action process exited with code 3 during the run.');
    expect(thrown.status).toBe('failed');
    expect(thrown.error?.message).toBe(
      'The action process exited with code 70 during the run after an uncaught Error: late [REDACTED].',
    );
    expect(next).toMatchObject({ status: 'succeeded', logs: ['alive'] });
  });

  it('captures console output and cuts it at the bound', async () => {
    const action = await startAction(
      `exports.onExecuteAuth0Log = async () => { for (let i = 0; i < 50; i++) console.log('line ' + i + ' ' + '.'.repeat(40)); };`,
      { maxLogBytes: 500 },
    );

    const result = await action.run({}, HANDLER);

    expect(result.logs.slice(0, 2)).toEqual([`line 0 ${'.'.repeat(40)}`, `line 1 ${'.'.repeat(40)}`]);
    expect(result.logs.slice(0, -1).join('')).toHaveLength(500);
    expect(result.logs.at(-1)).toMatch(/^…truncated/);
  });

  it('keeps api.cache across warm runs of the same process, within the limits', async () => {
    const action = await startAction(`exports.onExecuteAuth0Log = async (event, api) => {
      const seen = api.cache.get('count');
      const count = seen ? Number(seen.value) + 1 : 1;
      console.log('count ' + count + ' ' + api.cache.set('count', String(count)).type);
      console.log('too big ' + api.cache.set('big', 'x'.repeat(4097)).code);
    };`);

    const first = await action.run({}, HANDLER);
    const second = await action.run({}, HANDLER);

    expect(first.logs).toEqual(['count 1 success', 'too big value_too_large']);
    expect(second.logs).toEqual(['count 2 success', 'too big value_too_large']);
  });

  it('publishes what api.emit is given through onEmit, and refuses invalid events on both sides', async () => {
    // GIVEN an action that emits a valid event, an invalid one, and forges an emit message past api.emit
    const emitted: [string, unknown][] = [];
    const action = await startAction(
      `exports.onExecuteAuth0Log = async (event, api) => {
         await api.emit('User Flagged', { user_id: event.user, score: 0.9 });
         await api.emit('', {}).catch((error) => console.log(error.name + ': ' + error.message));
         await api.emit('Array', [1]).catch((error) => console.log(error.message));
         process.send({ type: 'emit', id: 999, detailType: 'Forged', detail: 'not an object' });
       };`,
      {
        onEmit: async (detailType, detail) => {
          emitted.push([detailType, detail]);
        },
      },
    );

    // WHEN it runs
    const result = await action.run({ user: 'auth0|123' }, HANDLER);

    // THEN only the valid event was published, and the action saw why the others were refused
    expect(result.status).toBe('succeeded');
    expect(emitted).toEqual([['User Flagged', { user_id: 'auth0|123', score: 0.9 }]]);
    expect(result.logs).toEqual([
      'EmitRejectedError: api.emit: the detail-type must be a string of 1 to 128 characters, got 0 characters.',
      'api.emit: the detail must be a JSON object, got an array.',
    ]);
  });

  it('gives a post-login run the post-login api, and returns its calls with secrets redacted', async () => {
    // GIVEN a post-login action whose secret and whose module's secret end up in its api calls
    const action = await startAction(
      `const vault = require('actions:vault');
       exports.onExecutePostLogin = async (event, api) => {
         api.access.deny('denied for ' + event.user)
           .idToken.setCustomClaim('https://example.com/k', { own: event.secrets.KEY, module: vault.token() });
         setTimeout(() => api.access.deny('after the run'), 10);
       };`,
      {
        secrets: { KEY: 'own-secret-value-1' },
        moduleSecrets: { vault: { TOKEN: 'module-secret-value-2' } },
        modules: [{ name: 'vault', code: 'exports.token = () => actions.secrets.TOKEN;' }],
      },
    );

    // WHEN it runs on a post-login event, and then on another
    const result = await action.run(
      { user: 'auth0|7' },
      { ...HANDLER, handlerName: 'onExecutePostLogin', triggerId: 'post-login' },
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await action.run(
      { user: 'auth0|8' },
      { ...HANDLER, handlerName: 'onExecutePostLogin', triggerId: 'post-login' },
    );

    // THEN the run succeeded with both calls recorded, and both secret values redacted
    expect(result.status).toBe('succeeded');
    expect(result.recorded).toEqual({
      calls: [
        { method: 'api.access.deny', args: ['denied for auth0|7'] },
        {
          method: 'api.idToken.setCustomClaim',
          args: ['https://example.com/k', { own: '[REDACTED]', module: '[REDACTED]' }],
        },
      ],
      omitted: 0,
    });
    // AND the call made by a timer after the first run is in neither run
    expect(next.recorded?.calls.map((call) => call.args[0])).toEqual([
      'denied for auth0|8',
      'https://example.com/k',
    ]);
  });

  it('checks the calls a child reports against the trigger, and redacts them again', async () => {
    // GIVEN an action that forges its run's result, with calls the post-login api has not and its secret
    const action = await startAction(
      `exports.onExecutePostLogin = async (event) => {
         process.send({
           type: 'result',
           id: 0,
           result: { status: 'succeeded', startedAt: 'now', endedAt: 'now', durationMs: 1, logs: [] },
           recorded: {
             calls: [
               { method: 'api.access.deny', args: ['key ' + event.secrets.KEY] },
               { method: 'api.admin.grantEverything', args: [] },
               { method: 'api.idToken.setCustomClaim', args: 'not an array' },
             ],
             omitted: 'many',
           },
         });
       };`,
      { secrets: { KEY: 'own-secret-value-3' } },
    );

    // WHEN it runs
    const result = await action.run(
      {},
      { ...HANDLER, handlerName: 'onExecutePostLogin', triggerId: 'post-login' },
    );

    // THEN only the post-login call is kept, redacted by this process; the others are counted, not shown
    expect(result.recorded).toEqual({
      calls: [{ method: 'api.access.deny', args: ['key [REDACTED]'] }],
      omitted: 2,
    });
  });

  it('does not publish what api.emit is given after the run has ended', async () => {
    const emitted: string[] = [];
    const action = await startAction(
      `exports.onExecuteAuth0Log = async (event, api) => {
         if (event.late) setTimeout(() => api.emit('Late', {}).catch((error) => { globalThis.late = error.message; }), 10);
         else console.log(globalThis.late);
       };`,
      { onEmit: async (detailType) => void emitted.push(detailType) },
    );

    await action.run({ late: true }, HANDLER);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const next = await action.run({}, HANDLER);

    expect(emitted).toEqual([]);
    expect(next.logs).toEqual(['api.emit was called after the run had ended; the event was not published.']);
  });

  it("rejects the action's api.emit when publishing fails", async () => {
    const action = await startAction(
      `exports.onExecuteAuth0Log = async (event, api) => {
         await api.emit('T', {}).catch((error) => console.log(error.name + ': ' + error.message));
       };`,
      {
        onEmit: async () => {
          throw new Error('PutEvents failed: throttled');
        },
      },
    );

    const result = await action.run({}, HANDLER);

    expect(result.logs).toEqual(['EmitFailedError: PutEvents failed: throttled']);
  });

  it('fails clearly when the handler is not exported', async () => {
    const action = await startAction('exports.onExecutePostLogin = async () => {};');

    const result = await action.run({}, HANDLER);

    expect(result.status).toBe('failed');
    expect(result.error?.message).toMatch(
      /^The action does not export a function named onExecuteAuth0Log; its exports are: onExecutePostLogin\./,
    );
  });

  it('refuses to start on a file that is not a bundle, and leaves no process behind', async () => {
    const path = join(directory, 'not-a-bundle.js');
    writeFileSync(path, 'module.exports = {};');

    await expect(
      ActionProcess.start({
        bundlePath: path,
        secrets: {},
        moduleSecrets: {},
        onEmit: async () => undefined,
      }),
    ).rejects.toThrow('The action bundle could not be loaded');
    expect(actionChildren()).toEqual([]);
  });

  it('says why a child could not start', async () => {
    const start = ActionProcess.start({
      bundlePath: writeBundle('exports.onExecuteAuth0Log = async () => {};'),
      secrets: {},
      moduleSecrets: {},
      onEmit: async () => undefined,
      childEntry: { path: join(directory, 'missing-child.cjs'), execArgv: [] },
    });

    await expect(start).rejects.toThrow(
      /The action process exited while starting\. Its last output:[\s\S]*Cannot find module/,
    );
  });

  it('stop() kills the process, even in the middle of a run', async () => {
    const action = await startAction('exports.onExecuteAuth0Log = async () => { while (true) {} };');
    const pid = action.pid as number;
    expect(isRunning(pid)).toBe(true);
    expect(actionChildren()).toEqual([pid]);

    const running = action.run({}, { ...HANDLER, timeoutMs: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 100)); // the child is now in its loop
    await action.stop();

    expect(isRunning(pid)).toBe(false);
    expect(actionChildren()).toEqual([]);
    expect((await running).status).toBe('failed');
    await expect(action.run({}, HANDLER)).rejects.toThrow('This ActionProcess was stopped');
  });
});
