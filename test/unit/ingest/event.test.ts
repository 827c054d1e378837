import { describe, expect, it } from 'vitest';
import {
  claimCheckKey,
  DETAIL_TYPE,
  entrySize,
  logDeliverable,
  toDetail,
  toEventEntry,
  toPointerDetail,
} from '../../../lambdas/ingest/event';
import { validateElement } from '../../../lambdas/ingest/validate';

const options = { busName: 'auth0-events', source: 'auth0.logs' };

function entryOf(element: unknown) {
  const result = validateElement(element, 0);
  if (!result.ok) throw new Error(result.message);
  return result.entry;
}

describe('toEventEntry', () => {
  it("uses Auth0's native EventBridge shape with the record verbatim and its category", () => {
    const data = {
      type: 'fp',
      date: '2026-03-04T05:06:07.089Z',
      scope: ['openid'],
      client_id: null,
      new_field: { x: 1 },
    };
    const entry = toEventEntry(logDeliverable(entryOf({ log_id: 'id-1', data })), options);
    expect(entry).toEqual({
      Source: 'auth0.logs',
      DetailType: DETAIL_TYPE,
      EventBusName: 'auth0-events',
      Time: new Date('2026-03-04T05:06:07.089Z'),
      Detail: JSON.stringify({ log_id: 'id-1', data, category: 'auth.login.fail' }),
    });
    expect(DETAIL_TYPE).toBe('Auth0 log');
  });

  it('passes an unknown type code through with the category "unknown"', () => {
    const data = { type: 'brand_new_code', date: '2026-01-01T00:00:00Z' };
    expect(
      JSON.parse(toEventEntry(logDeliverable(entryOf({ log_id: 'x', data })), options).Detail),
    ).toMatchObject({
      data,
      category: 'unknown',
    });
  });

  it('gives documented codes without a category the category "other"', () => {
    expect(toDetail(entryOf({ log_id: 'x', data: { type: 'fc' } })).category).toBe('other');
  });

  it('leaves Time out when the record date is missing or invalid, so EventBridge uses the arrival time', () => {
    for (const date of [undefined, 'yesterday', 42]) {
      const data = { type: 's', date };
      expect(toEventEntry(logDeliverable(entryOf({ log_id: 'x', data })), options).Time).toBeUndefined();
    }
  });
});

describe('entrySize', () => {
  it('counts Time as 14 bytes plus the UTF-8 bytes of Source, DetailType and Detail', () => {
    const entry = { Source: 'auth0.logs', DetailType: 'Auth0 log', Detail: '{"a":"é✓"}', Time: new Date() };
    // Detail: 8 ASCII bytes, 2 for "é" and 3 for "✓".
    expect(entrySize(entry)).toBe(10 + 9 + 13 + 14);
    expect(entrySize({ ...entry, Time: undefined })).toBe(32);
  });

  it('counts each resource', () => {
    expect(entrySize({ Source: 'a', DetailType: 'b', Detail: '{}', Resources: ['arn:x', 'é'] })).toBe(
      1 + 1 + 2 + 5 + 2,
    );
  });
});

describe('toPointerDetail', () => {
  it('keeps short scalar fields for routing and says where the whole record is', () => {
    const data = {
      type: 'f',
      date: 'd',
      user_id: 'auth0|1',
      details: { big: 'x' },
      description: 'y'.repeat(5000),
    };
    const pointer = { bucket: 'b', key: 'k', bytes: 10, sha256: 'abc' };
    const detail = toPointerDetail(toDetail(entryOf({ log_id: 'id', data })), pointer);
    expect(detail).toEqual({
      log_id: 'id',
      category: 'auth.login.fail',
      data: { type: 'f', date: 'd', user_id: 'auth0|1' },
      claim_check: pointer,
    });
  });
});

describe('claimCheckKey', () => {
  it('files by day and escapes the log_id', () => {
    expect(claimCheckKey('a/b c', new Date('2026-11-22T10:00:00Z'))).toBe(
      'claim-check/2026/11/22/a%2Fb%20c.json',
    );
  });
});
