import { describe, expect, it, vi } from 'vitest';
import {
  CACHE_LIMITS,
  createActionApi,
  createActionCache,
  EmitRejectedError,
  validateEmit,
} from '../../../lambdas/actions/runtime/api';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');

function clock(start = T0) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('api.cache', () => {
  it('keeps a string for 15 minutes by default and returns it with its expiry', () => {
    // GIVEN a cache and a value set without options
    const time = clock();
    const cache = createActionCache({ now: time.now });
    expect(cache.set('user', 'jane')).toEqual({ type: 'success' });

    // THEN it is there until 15 minutes have passed, and gone after
    expect(cache.get('user')).toEqual({ value: 'jane', expires_at: T0 + 15 * 60 * 1000 });
    time.advance(15 * 60 * 1000 - 1);
    expect(cache.get('user')?.value).toBe('jane');
    time.advance(1);
    expect(cache.get('user')).toBeUndefined();
  });

  it('uses the earlier of ttl and expires_at, and no more than 24 hours', () => {
    const time = clock();
    const cache = createActionCache({ now: time.now });

    cache.set('ttl', 'a', { ttl: 1000 });
    cache.set('both', 'b', { ttl: 5000, expires_at: T0 + 2000 });
    cache.set('long', 'c', { ttl: 48 * 60 * 60 * 1000 });

    expect(cache.get('ttl')?.expires_at).toBe(T0 + 1000);
    expect(cache.get('both')?.expires_at).toBe(T0 + 2000);
    expect(cache.get('long')?.expires_at).toBe(T0 + CACHE_LIMITS.maxTtlMs);
  });

  it('deletes a record', () => {
    const cache = createActionCache();
    cache.set('k', 'v');

    expect(cache.delete('k')).toEqual({ type: 'success' });
    expect(cache.get('k')).toBeUndefined();
  });

  it.each([
    [
      'a key that is not a string',
      () => createActionCache().set(42 as unknown as string, 'v'),
      'invalid_key',
    ],
    ['an empty key', () => createActionCache().set('', 'v'), 'invalid_key'],
    ['a key over 64 bytes', () => createActionCache().set('k'.repeat(65), 'v'), 'key_too_large'],
    [
      'a value that is not a string',
      () => createActionCache().set('k', { a: 1 } as unknown as string),
      'invalid_value',
    ],
    ['a value over 4 KB', () => createActionCache().set('k', 'é'.repeat(2049)), 'value_too_large'],
    ['a ttl of zero', () => createActionCache().set('k', 'v', { ttl: 0 }), 'invalid_options'],
    [
      'an expires_at in the past',
      () => createActionCache().set('k', 'v', { expires_at: 1 }),
      'invalid_options',
    ],
  ])('refuses %s', (_, set, code) => {
    const result = set();

    expect(result).toMatchObject({ type: 'error', code });
  });

  it('accepts a key of exactly 64 bytes and a value of exactly 4 KB', () => {
    const cache = createActionCache();

    expect(cache.set('k'.repeat(64), 'v'.repeat(4096))).toEqual({ type: 'success' });
    expect(cache.get('k'.repeat(64))?.value).toHaveLength(4096);
  });

  it('keeps at most 20 entries, dropping the one closest to expiry to make room', () => {
    // GIVEN 20 entries, the first expiring soonest
    const cache = createActionCache();
    cache.set('k0', 'v', { ttl: 1000 });
    for (let i = 1; i < 20; i++) cache.set(`k${i}`, 'v');

    // WHEN a 21st is set
    expect(cache.set('k20', 'v')).toEqual({ type: 'success' });

    // THEN the soonest to expire went, and the others are all there
    expect(cache.get('k0')).toBeUndefined();
    for (let i = 1; i <= 20; i++) expect(cache.get(`k${i}`)?.value).toBe('v');
  });

  it('keeps keys and values within 8 KB in total', () => {
    // GIVEN two values of 4000 bytes (8,004 bytes with their keys)
    const cache = createActionCache();
    cache.set('a1', 'x'.repeat(4000), { ttl: 1000 });
    cache.set('b1', 'y'.repeat(4000), { ttl: 2000 });

    // WHEN a third of 200 bytes arrives, which would take the total past 8,192
    cache.set('c1', 'z'.repeat(200));

    // THEN the record closest to expiry made room
    expect(cache.get('a1')).toBeUndefined();
    expect(cache.get('b1')?.value).toHaveLength(4000);
    expect(cache.get('c1')?.value).toHaveLength(200);
  });
});

describe('api.emit', () => {
  it('hands a valid event to the emit port, as a copy', async () => {
    // GIVEN an api whose emit port records what it is given
    const emit = vi.fn(async () => undefined);
    const api = createActionApi({ cache: createActionCache(), emit });
    const detail = { user_id: 'auth0|1', risk: 0.9, nested: { at: new Date(T0) } };

    // WHEN the action emits it
    await api.emit('User Flagged', detail);

    // THEN the port got the detail-type and the detail as JSON would carry it
    expect(emit).toHaveBeenCalledTimes(1);
    expect(emit).toHaveBeenCalledWith('User Flagged', {
      user_id: 'auth0|1',
      risk: 0.9,
      nested: { at: '2026-01-01T00:00:00.000Z' },
    });
  });

  it.each([
    [
      'an empty detail-type',
      '',
      {},
      'the detail-type must be a string of 1 to 128 characters, got 0 characters',
    ],
    ['a detail-type over 128 characters', 'x'.repeat(129), {}, 'got 129 characters'],
    ['a detail-type that is not a string', 7, {}, 'got a number'],
    ['an array', 'T', [1, 2], 'the detail must be a JSON object, got an array'],
    ['null', 'T', null, 'got null'],
    ['a string', 'T', 'text', 'got a string'],
    ['a class instance', 'T', new Map(), 'got an instance of Map'],
    ['a detail over 256 KB', 'T', { big: 'x'.repeat(256 * 1024) }, 'EventBridge takes at most 262144'],
  ])('refuses %s, and the port is not called', async (_, detailType, detail, message) => {
    const emit = vi.fn(async () => undefined);
    const api = createActionApi({ cache: createActionCache(), emit });

    await expect(api.emit(detailType as string, detail as object)).rejects.toThrow(message);
    expect(emit).not.toHaveBeenCalled();
  });

  it('refuses a detail that cannot be written as JSON', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;

    expect(() => validateEmit('T', cyclic)).toThrow(EmitRejectedError);
    expect(() => validateEmit('T', { n: 1n })).toThrow('the detail cannot be written as JSON');
  });

  it("passes the port's failure to the action", async () => {
    const api = createActionApi({
      cache: createActionCache(),
      emit: async () => {
        throw new Error('the bus is unavailable');
      },
    });

    await expect(api.emit('T', {})).rejects.toThrow('the bus is unavailable');
  });
});
