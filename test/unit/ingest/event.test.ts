import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  claimCheckKey,
  DETAIL_TYPE,
  entrySize,
  logDeliverable,
  parseDate,
  toDetail,
  toEventEntry,
  toPointerDetail,
} from '../../../lambdas/ingest/event';
import { parseJsonFaithfully } from '../../../lambdas/ingest/fidelity';
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

describe('parseDate', () => {
  const pad = (value: number, width: number) => String(value).padStart(width, '0');

  it('reads the form Auth0 writes exactly as Date.parse does, edge dates included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 999 }),
        (year, month, day, hour, minute, second, ms) => {
          const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}Z`;
          expect(Object.is(parseDate(text), Date.parse(text))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees with Date.parse on month ends, leap days and every other text', () => {
    for (const text of [
      '2026-12-03T10:00:00Z',
      '2026-12-03T10:00:00.000+01:00',
      '2026-12-03 10:00:00.000Z',
      '2026-1a-03T10:00:00.000Z',
      '0099-12-03T10:00:00.000Z',
      '2026-02-29T10:00:00.000Z',
      '2026-02-30T10:00:00.000Z',
      '2026-04-31T10:00:00.000Z',
      '2024-02-29T10:00:00.000Z',
      '2100-02-29T10:00:00.000Z',
      '1000-01-01T00:00:00.000Z',
      '2026-12-31T23:59:59.999Z',
      'not a date at all, 24 ch',
      '',
    ]) {
      expect(Object.is(parseDate(text), Date.parse(text))).toBe(true);
    }
    fc.assert(
      fc.property(fc.string({ minLength: 24, maxLength: 24 }), (text) => {
        expect(Object.is(parseDate(text), Date.parse(text))).toBe(true);
      }),
    );
  });
});

describe('a log deliverable once its detail is written', () => {
  it('lets go of the parsed record and reads it back from the JSON, numbers exact', () => {
    const text =
      '{"log_id":"90020261203","data":{"type":"s","date":"2026-12-03T10:00:00.000Z","n":1234567890123456789,"x":0.10000000000000000001,"user":{"id":"u1"}}}';
    const element = parseJsonFaithfully(text);
    const deliverable = logDeliverable(entryOf(element));
    const entry = toEventEntry(deliverable, options);
    deliverable.written?.(entry.Detail);

    expect(Object.values(deliverable)).not.toContain((element as { data: unknown }).data);
    expect(JSON.stringify(deliverable.record)).toBe(text);
    expect(toEventEntry(deliverable, options).Detail).toBe(entry.Detail);
    expect(deliverable.pointerDetails({ bucket: 'b', key: 'k', bytes: 1, sha256: 'h' })[1]).toMatchObject({
      data: { type: 's', date: '2026-12-03T10:00:00.000Z' },
    });
  });
});
