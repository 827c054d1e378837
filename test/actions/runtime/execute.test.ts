import { describe, expect, it } from 'vitest';
import { createActionApi, createActionCache } from '../../../lambdas/actions/runtime/api';
import {
  createRedactor,
  type ExecuteOptions,
  ExecutionBusyError,
  executeAction,
} from '../../../lambdas/actions/runtime/execute';

const SECRET = 'sk_live_action_secret_1';
const MODULE_SECRET = 'module-api-key-2';

function options(
  handler: (event: Record<string, unknown>, api: unknown) => unknown,
  more: Partial<ExecuteOptions> = {},
) {
  return {
    exports: { onExecuteAuth0Log: handler },
    handlerName: 'onExecuteAuth0Log',
    event: { log: { type: 's' } },
    secrets: { API_KEY: SECRET },
    timeoutMs: 1000,
    api: createActionApi({ cache: createActionCache(), emit: async () => undefined }),
    redact: [SECRET, MODULE_SECRET],
    ...more,
  } satisfies ExecuteOptions;
}

describe('executeAction', () => {
  it('calls the handler with the event, its secrets as event.secrets, and the api; captures its console', async () => {
    // GIVEN a handler that logs what it receives
    let received: Record<string, unknown> | undefined;
    const run = options(async (event, api) => {
      received = event;
      console.log('type', (event.log as { type: string }).type, typeof api);
      console.info('info');
      console.warn('warn');
      console.error('error', { n: 1 });
    });

    // WHEN it runs
    const result = await executeAction(run);

    // THEN it succeeded, with its lines captured (not printed) and its timing
    expect(result).toMatchObject({
      status: 'succeeded',
      logs: ['type s object', 'info', 'warn', 'error { n: 1 }'],
    });
    expect(result.error).toBeUndefined();
    expect(Date.parse(result.endedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt));
    expect(received?.secrets).toEqual({ API_KEY: SECRET });
    expect(Object.isFrozen(received?.secrets)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(SECRET);
  });

  it('fails with the thrown message, and redacts every secret value from the logs and the error', async () => {
    // GIVEN a handler that prints and throws the secrets, plainly and escaped
    const run = options(async (event) => {
      const secrets = event.secrets as Record<string, string>;
      console.log(`key=${secrets.API_KEY}`);
      console.log({ key: secrets.API_KEY, module: MODULE_SECRET });
      throw new TypeError(`cannot call https://x.example/?k=${secrets.API_KEY}`);
    });

    // WHEN it runs
    const result = await executeAction(run);

    // THEN the run failed and no secret value appears anywhere in the result
    expect(result.status).toBe('failed');
    expect(result.error).toEqual({
      name: 'TypeError',
      message: 'cannot call https://x.example/?k=[REDACTED]',
    });
    expect(result.logs).toEqual(['key=[REDACTED]', "{ key: '[REDACTED]', module: '[REDACTED]' }"]);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain(MODULE_SECRET);
  });

  it('describes a thrown value that is not an Error', async () => {
    const result = await executeAction(
      options(() => {
        throw { code: 42 };
      }),
    );

    expect(result.status).toBe('failed');
    expect(result.error?.message).toContain('{ code: 42 }');
  });

  it('times out a handler whose promise never settles', async () => {
    const result = await executeAction(options(() => new Promise(() => undefined), { timeoutMs: 100 }));

    expect(result.status).toBe('timed_out');
    expect(result.error).toEqual({
      name: 'ActionTimeoutError',
      message: 'The action did not finish within 100 ms.',
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(99);
    expect(result.durationMs).toBeLessThan(1000);
  });

  it('bounds the logs of one run and marks where they were cut', async () => {
    // GIVEN a handler that logs 100 lines of 100 bytes, and a bound of 1,000 bytes
    const run = options(
      async () => {
        for (let i = 0; i < 100; i++) console.log(`${String(i).padStart(3, '0')}${'x'.repeat(97)}`);
      },
      { maxLogBytes: 1000 },
    );

    // WHEN it runs
    const result = await executeAction(run);

    // THEN it keeps the first 1,000 bytes and one marker line
    expect(result.logs).toHaveLength(11);
    expect(result.logs.slice(0, 10).join('')).toHaveLength(1000);
    expect(result.logs[9]?.startsWith('009')).toBe(true);
    expect(result.logs[10]).toMatch(/^…truncated/);
  });

  it('cuts a line that does not fit, and never on a secret', async () => {
    const run = options(async () => console.log(`${'a'.repeat(10)}${SECRET}${'b'.repeat(100)}`), {
      maxLogBytes: 15,
    });

    const result = await executeAction(run);

    expect(result.logs).toEqual(['aaaaaaaaaa[REDA', expect.stringMatching(/^…truncated/)]);
  });

  it('fails clearly when the handler is not exported', async () => {
    const result = await executeAction({
      ...options(async () => undefined),
      exports: { onExecutePostLogin: () => 1 },
    });

    expect(result.status).toBe('failed');
    expect(result.error?.name).toBe('ActionHandlerNotFoundError');
    expect(result.error?.message).toContain(
      'The action does not export a function named onExecuteAuth0Log; its exports are: onExecutePostLogin.',
    );
  });

  it("runs the loader inside the run, so the action's top-level throw is a failed run", async () => {
    const result = await executeAction({
      ...options(async () => undefined),
      loadExports: () => {
        console.log('loading');
        throw new Error(`top-level ${SECRET}`);
      },
    });

    expect(result).toMatchObject({
      status: 'failed',
      logs: ['loading'],
      error: { message: 'top-level [REDACTED]' },
    });
  });

  it('restores the console afterwards, and refuses a second run while one is in progress', async () => {
    const original = console.log;
    let release: () => void = () => undefined;
    const first = executeAction(options(() => new Promise<void>((resolve) => (release = resolve))));

    await expect(executeAction(options(async () => undefined))).rejects.toThrow(ExecutionBusyError);
    expect(console.log).not.toBe(original);
    release();
    expect((await first).status).toBe('succeeded');
    expect(console.log).toBe(original);
  });
});

describe('createRedactor', () => {
  it('replaces longer values first, escaped forms too, and leaves values under 4 characters', () => {
    const redact = createRedactor(['abc', 'token-1', 'token-1-long', 'line"\nbreak']);

    expect(redact('abc token-1-long token-1')).toBe('abc [REDACTED] [REDACTED]');
    expect(redact(JSON.stringify({ v: 'line"\nbreak' }))).toBe('{"v":"[REDACTED]"}');
  });
});
