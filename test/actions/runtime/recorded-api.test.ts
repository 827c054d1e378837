import { describe, expect, it } from 'vitest';
import { TRIGGER_IDS } from '../../../lambdas/actions/bindings/triggers';
import { createActionCache } from '../../../lambdas/actions/runtime/api';
import { createRedactor, REDACTED } from '../../../lambdas/actions/runtime/execute';
import {
  ANSWERS,
  createCallRecorder,
  createTriggerApi,
  isRecordedMethod,
  RECORDED_METHODS,
  RECORDING_LIMITS,
  recordedMethodNames,
  sanitizeRecording,
  UNISSUED_TOKEN,
} from '../../../lambdas/actions/runtime/recorded-api';

const SECRET = 'sk_live_51Hx9recorded';
const redact = createRedactor([SECRET]);

// biome-ignore lint/suspicious/noExplicitAny: an action's api is untyped JavaScript to the action
type AnyApi = any;

/** An api for `triggerId` and what it recorded, with a port that keeps emitted events. */
function apiFor(triggerId: string, limits = RECORDING_LIMITS) {
  const recorder = createCallRecorder({ redact, limits });
  const emitted: [string, Record<string, unknown>][] = [];
  const api: AnyApi = createTriggerApi(triggerId, {
    cache: createActionCache(),
    emit: async (detailType, detail) => {
      emitted.push([detailType, detail]);
    },
    record: recorder.record,
  });
  return { api, recorder, emitted };
}

/** Every trigger with the method names Auth0's API object reference lists for it. */
const EXPECTED: Record<string, string[]> = {
  'auth0-log': [],
  'post-login': [
    'api.access.deny',
    'api.accessToken.addScope',
    'api.accessToken.removeScope',
    'api.accessToken.setCustomClaim',
    'api.authentication.challengeWith',
    'api.authentication.challengeWithAny',
    'api.authentication.enrollWith',
    'api.authentication.enrollWithAny',
    'api.authentication.recordMethod',
    'api.authentication.setPrimaryUser',
    'api.idToken.setCustomClaim',
    'api.multifactor.enable',
    'api.prompt.render',
    'api.redirect.encodeToken',
    'api.redirect.sendUserTo',
    'api.refreshToken.revoke',
    'api.refreshToken.setExpiresAt',
    'api.refreshToken.setIdleExpiresAt',
    'api.rules.wasExecuted',
    ...(RECORDED_METHODS['post-login'].samlResponse?.map((name) => `api.samlResponse.${name}`) ?? []),
    'api.session.revoke',
    'api.session.setExpiresAt',
    'api.session.setIdleExpiresAt',
    'api.transaction.setMetadata',
    'api.user.setAppMetadata',
    'api.user.setUserMetadata',
  ],
  'credentials-exchange': ['api.access.deny', 'api.accessToken.setCustomClaim'],
  'pre-user-registration': [
    'api.access.deny',
    'api.user.setAppMetadata',
    'api.user.setUserMetadata',
    'api.validation.error',
  ],
  'post-user-registration': [],
  'post-change-password': [],
  'send-phone-message': [],
  'password-reset-post-challenge': [
    'api.access.deny',
    'api.authentication.challengeWith',
    'api.authentication.challengeWithAny',
    'api.redirect.encodeToken',
    'api.redirect.sendUserTo',
    'api.transaction.setResultUrl',
  ],
  'custom-token-exchange': [
    'api.access.deny',
    'api.access.rejectInvalidSubjectToken',
    'api.authentication.setUserById',
    'api.authentication.setUserByConnection',
  ],
};

describe('the recorded api table', () => {
  it('lists every trigger, with the methods of its Auth0 API object', () => {
    expect(Object.keys(RECORDED_METHODS).sort()).toEqual([...TRIGGER_IDS].sort());
    for (const triggerId of TRIGGER_IDS) {
      expect([triggerId, recordedMethodNames(triggerId)]).toEqual([triggerId, EXPECTED[triggerId]]);
    }
    expect(RECORDED_METHODS['post-login'].samlResponse).toHaveLength(24);
  });

  it('knows a method only for the triggers that list it, and nothing from Object.prototype', () => {
    expect(isRecordedMethod('post-login', 'api.idToken.setCustomClaim')).toBe(true);
    expect(isRecordedMethod('credentials-exchange', 'api.idToken.setCustomClaim')).toBe(false);
    expect(isRecordedMethod('post-login', 'api.access.hasOwnProperty')).toBe(false);
    expect(isRecordedMethod('post-login', 'api.toString.call')).toBe(false);
    expect(isRecordedMethod('constructor', 'api.access.deny')).toBe(false);
    expect(isRecordedMethod('post-login', 'access.deny')).toBe(false);
    expect(recordedMethodNames('__proto__')).toEqual([]);
  });
});

describe.each(TRIGGER_IDS)('the %s api', (triggerId) => {
  it('records every listed method in order, with JSON-copied arguments, and returns the api or Auth0’s answer', () => {
    // GIVEN the trigger's api
    const { api, recorder } = apiFor(triggerId);
    const methods = recordedMethodNames(triggerId);

    // WHEN the action calls each method once
    const returned = methods.map((method, index) => {
      const [, space, name] = method.split('.') as [string, string, string];
      return api[space][name](`arg-${index}`, { index });
    });

    // THEN each call is recorded as it was made
    expect(recorder.recording()).toEqual({
      calls: methods.map((method, index) => ({ method, args: [`arg-${index}`, { index }] })),
      omitted: 0,
    });
    expect(returned).toEqual(methods.map((method) => (method in ANSWERS ? ANSWERS[method] : api)));
    // AND the api holds exactly the trigger's namespaces, besides cache and emit
    expect(Object.keys(api).sort()).toEqual(
      ['cache', 'emit', ...Object.keys(RECORDED_METHODS[triggerId])].sort(),
    );
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('keeps api.cache and api.emit working', async () => {
    const { api, recorder, emitted } = apiFor(triggerId);
    expect(api.cache.set('k', 'v')).toEqual({ type: 'success' });
    expect(api.cache.get('k')).toMatchObject({ value: 'v' });
    await api.emit('Action result', { ok: true });
    expect(emitted).toEqual([['Action result', { ok: true }]]);
    expect(recorder.recording().calls).toEqual([]);
  });
});

describe('a post-login api', () => {
  it('records access.deny and chained token calls, and answers rules.wasExecuted and redirect.encodeToken', () => {
    const { api, recorder } = apiFor('post-login');

    const chained = api.accessToken
      .setCustomClaim('https://example.com/tier', 'gold')
      .idToken.setCustomClaim('https://example.com/roles', ['admin'])
      .access.deny('blocked country');
    const token = api.redirect.encodeToken({ secret: SECRET, payload: { user: 'auth0|1' } });
    api.redirect.sendUserTo('https://example.com/verify', { query: { session_token: token } });

    expect(chained).toBe(api);
    expect(api.rules.wasExecuted('rul_1')).toBe(false);
    expect(token).toBe(UNISSUED_TOKEN);
    expect(recorder.recording().calls).toEqual([
      { method: 'api.accessToken.setCustomClaim', args: ['https://example.com/tier', 'gold'] },
      { method: 'api.idToken.setCustomClaim', args: ['https://example.com/roles', ['admin']] },
      { method: 'api.access.deny', args: ['blocked country'] },
      { method: 'api.redirect.encodeToken', args: [{ secret: REDACTED, payload: { user: 'auth0|1' } }] },
      {
        method: 'api.redirect.sendUserTo',
        args: ['https://example.com/verify', { query: { session_token: UNISSUED_TOKEN } }],
      },
      { method: 'api.rules.wasExecuted', args: ['rul_1'] },
    ]);
  });

  it('throws a TypeError, as Auth0 does, for a method or namespace the trigger does not have', () => {
    const { api, recorder } = apiFor('post-login');
    expect(() => api.access.allow('x')).toThrow(TypeError);
    expect(() => api.validation.error('code', 'message')).toThrow(TypeError);
    expect(() => {
      api.access.extra = () => undefined;
    }).toThrow(TypeError);
    const credentials: AnyApi = apiFor('credentials-exchange').api;
    expect(() => credentials.idToken.setCustomClaim('a', 1)).toThrow(TypeError);
    expect(() => credentials.accessToken.addScope('read')).toThrow(TypeError);
    const log: AnyApi = apiFor('auth0-log').api;
    expect(() => log.access.deny('x')).toThrow(TypeError);
    expect(recorder.recording().calls).toEqual([]);
  });
});

describe('createCallRecorder', () => {
  it('copies arguments through JSON, so later changes by the action do not show', () => {
    const { api, recorder } = apiFor('post-login');
    const metadata: Record<string, unknown> = { plan: 'pro', at: new Date('2026-01-02T03:04:05Z') };
    api.user.setAppMetadata('billing', metadata, undefined, () => 1);
    metadata.plan = 'changed';
    expect(recorder.recording().calls).toEqual([
      {
        method: 'api.user.setAppMetadata',
        args: ['billing', { plan: 'pro', at: '2026-01-02T03:04:05.000Z' }, null, null],
      },
    ]);
    expect(Object.isFrozen(recorder.recording().calls[0]?.args[1])).toBe(true);
  });

  it('redacts secret values in strings, keys and numbers, as executions redact their logs', () => {
    const numeric = createCallRecorder({ redact: createRedactor([SECRET, '98765432']) });
    numeric.record('api.access.deny', [
      `key ${SECRET} leaked`,
      { [SECRET]: { nested: [SECRET, JSON.stringify({ key: SECRET })] } },
      98765432,
    ]);
    expect(numeric.recording().calls[0]?.args).toEqual([
      `key ${REDACTED} leaked`,
      { [REDACTED]: { nested: [REDACTED, JSON.stringify({ key: REDACTED })] } },
      REDACTED,
    ]);
    expect(JSON.stringify(numeric.recording())).not.toContain(SECRET);
  });

  it('keeps a "__proto__" key of the arguments as a key', () => {
    const recorder = createCallRecorder({ redact });
    recorder.record('api.user.setUserMetadata', JSON.parse('["prefs", {"__proto__": {"polluted": true}}]'));
    const [call] = recorder.recording().calls;
    const value = call?.args[1] as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('records arguments JSON cannot hold as a note, without throwing', () => {
    const { api, recorder } = apiFor('post-login');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(api.accessToken.setCustomClaim('loop', circular)).toBe(api);
    expect(api.accessToken.setCustomClaim('big', 10n)).toBe(api);
    const hostile = {
      toJSON() {
        throw Object.defineProperty(new Error(), 'message', {
          get() {
            throw new Error('no');
          },
        });
      },
    };
    expect(api.accessToken.setCustomClaim('hostile', hostile)).toBe(api);
    expect(recorder.recording().calls.map((call) => call.args)).toEqual([
      [expect.stringMatching(/^\[arguments JSON cannot represent: Converting circular structure/)],
      [expect.stringMatching(/^\[arguments JSON cannot represent: .*BigInt/)],
      ['[arguments JSON cannot represent: an error that cannot be described]'],
    ]);
  });

  it('keeps at most maxCalls calls, and counts the rest', () => {
    const recorder = createCallRecorder({ redact, limits: { ...RECORDING_LIMITS, maxCalls: 2 } });
    for (const reason of ['one', 'two', 'three']) recorder.record('api.access.deny', [reason]);
    expect(recorder.recording()).toEqual({
      calls: [
        { method: 'api.access.deny', args: ['one'] },
        { method: 'api.access.deny', args: ['two'] },
      ],
      omitted: 1,
    });
  });

  it('notes arguments past maxArgsBytes by their size, and counts a call past maxTotalBytes', () => {
    // GIVEN 64 bytes a call and 130 in all: the note of a too-large call takes 74, a 40-character string 44
    const recorder = createCallRecorder({
      redact,
      limits: { maxCalls: 10, maxArgsBytes: 64, maxTotalBytes: 130 },
    });
    // WHEN
    recorder.record('api.access.deny', ['x'.repeat(200)]);
    recorder.record('api.access.deny', ['y'.repeat(40)]);
    recorder.record('api.access.deny', ['z'.repeat(40)]);
    recorder.record('api.access.deny', ['short']);
    // THEN the third call does not fit in what is left, the fourth does
    expect(recorder.recording()).toEqual({
      calls: [
        {
          method: 'api.access.deny',
          args: ['…truncated: the arguments are 204 bytes as JSON; at most 64 are kept'],
        },
        { method: 'api.access.deny', args: ['y'.repeat(40)] },
        { method: 'api.access.deny', args: ['short'] },
      ],
      omitted: 1,
    });
  });

  it('records nothing once closed', () => {
    const { api, recorder } = apiFor('post-login');
    api.access.deny('in the run');
    recorder.close();
    expect(api.access.deny('from a timer, after the run')).toBe(api);
    expect(recorder.recording()).toEqual({
      calls: [{ method: 'api.access.deny', args: ['in the run'] }],
      omitted: 0,
    });
  });
});

describe('sanitizeRecording', () => {
  it('keeps only the trigger’s methods with argument arrays, redacted and bounded again', () => {
    const fromChild = {
      calls: [
        { method: 'api.access.deny', args: [`reason ${SECRET}`] },
        { method: 'api.idToken.setCustomClaim', args: ['claim', 1] },
        { method: 'api.access.deny', args: 'not an array' },
        { method: 'process.exit', args: [] },
        null,
        { method: 'api.accessToken.setCustomClaim', args: ['big', 'b'.repeat(100)] },
      ],
      omitted: 2,
    };
    const sanitized = sanitizeRecording('credentials-exchange', fromChild, redact, {
      maxCalls: 10,
      maxArgsBytes: 64,
      maxTotalBytes: 1000,
    });
    expect(sanitized).toEqual({
      calls: [
        { method: 'api.access.deny', args: [`reason ${REDACTED}`] },
        {
          method: 'api.accessToken.setCustomClaim',
          args: ['…truncated: the arguments are 110 bytes as JSON; at most 64 are kept'],
        },
      ],
      omitted: 6,
    });
  });

  it('reads anything malformed as nothing recorded, and never trusts the count it is told', () => {
    for (const malformed of [undefined, null, 'calls', 7, [], { calls: 'x', omitted: -3 }]) {
      expect(sanitizeRecording('post-login', malformed, redact)).toEqual({ calls: [], omitted: 0 });
    }
    expect(sanitizeRecording('post-login', { calls: [], omitted: 1.5 }, redact).omitted).toBe(0);
    const flood = { calls: Array.from({ length: 60 }, () => ({ method: 'api.access.deny', args: [] })) };
    const kept = sanitizeRecording('post-login', flood, redact);
    expect(kept.calls).toHaveLength(RECORDING_LIMITS.maxCalls);
    expect(kept.omitted).toBe(10);
  });
});
