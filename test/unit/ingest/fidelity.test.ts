import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { claimCheckKey, eventTime } from '../../../lambdas/ingest/event';
import {
  decodeUtf8Losslessly,
  inspectRecord,
  MAX_RECORD_DEPTH,
  parseExactly,
  parseJsonFaithfully,
  stringifySafely,
  stringsAreWellFormed,
} from '../../../lambdas/ingest/fidelity';
import { receiveLogs } from '../../../lambdas/ingest/logs';

const nested = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { next: value };
  return value;
};

describe('decodeUtf8Losslessly', () => {
  it('decodes valid UTF-8 as usual', () => {
    expect(decodeUtf8Losslessly(Buffer.from('héllo 日本 🎉'))).toBe('héllo 日本 🎉');
  });

  it('keeps each invalid byte as its own lone surrogate, so different bytes stay different', () => {
    const a = decodeUtf8Losslessly(Buffer.from([0x61, 0xff, 0x62]));
    const b = decodeUtf8Losslessly(Buffer.from([0x61, 0xfe, 0x62]));
    expect(a).toBe('a\udcffb');
    expect(b).toBe('a\udcfeb');
    expect(a.isWellFormed()).toBe(false);
  });

  it('treats overlong forms, encoded surrogates and truncated sequences as invalid', () => {
    expect(decodeUtf8Losslessly(Buffer.from([0xc0, 0xaf]))).toBe('\udcc0\udcaf');
    expect(decodeUtf8Losslessly(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\udced\udca0\udc80');
    expect(decodeUtf8Losslessly(Buffer.from([0x78, 0xe6, 0x97]))).toBe('x\udce6\udc97');
    expect(decodeUtf8Losslessly(Buffer.from([0xe6, 0x97, 0xa5, 0xf4, 0x90, 0x80, 0x80]))).toBe(
      '日\udcf4\udc90\udc80\udc80',
    );
  });
});

describe('parseJsonFaithfully', () => {
  it('writes back numbers a double cannot hold exactly, byte for byte', () => {
    const text =
      '{"a":9007199254740993,"b":0.10000000000000000001,"c":123456789012345678901234567890,"d":1e-400}';
    expect(JSON.stringify(parseJsonFaithfully(text))).toBe(text);
  });

  it('keeps numbers a double holds exactly as plain numbers', () => {
    const parsed = parseJsonFaithfully(
      '{"id":"90020240101000000000000000000000000000000000000000000001","n":1.5,"m":12345678901234}',
    );
    expect(parsed).toEqual({
      id: '90020240101000000000000000000000000000000000000000000001',
      n: 1.5,
      m: 12345678901234,
    });
  });
});

describe('inspectRecord', () => {
  it('accepts an ordinary record', () => {
    expect(inspectRecord({ type: 'f', details: { a: [1, 'x', null, true] } })).toBeUndefined();
  });

  it(`quarantines nesting deeper than ${MAX_RECORD_DEPTH} levels, recursing no deeper than that`, () => {
    expect(inspectRecord(nested(MAX_RECORD_DEPTH - 1))).toBeUndefined();
    expect(inspectRecord(nested(MAX_RECORD_DEPTH + 1))?.reason).toBe('too_deep');
    expect(inspectRecord(nested(200_000))?.reason).toBe('too_deep');
  });

  it('finds a lone surrogate in a value or a field name, naming the field but not the value', () => {
    const problem = inspectRecord({ data: { description: 'secret\ud800value' } });
    expect(problem).toMatchObject({ reason: 'invalid_unicode' });
    expect(problem?.message).toMatch(/^Field data\.description /);
    expect(problem?.message).not.toContain('secret');
    expect(inspectRecord({ 'k\udc00': 1 })?.reason).toBe('invalid_unicode');
  });

  it('finds numbers EventBridge refuses: non-finite, and integers past 64 bits', () => {
    expect(inspectRecord(parseJsonFaithfully('{"n":1e999}'))?.reason).toBe('unrepresentable_number');
    expect(inspectRecord(parseJsonFaithfully('{"n":-1e999}'))?.reason).toBe('unrepresentable_number');
    expect(inspectRecord(parseJsonFaithfully('{"n":9223372036854775808}'))?.reason).toBe(
      'unrepresentable_number',
    );
    expect(inspectRecord(parseJsonFaithfully('{"n":1e20}'))?.reason).toBe('unrepresentable_number');
    expect(inspectRecord(parseJsonFaithfully('{"n":9223372036854775807}'))).toBeUndefined();
    expect(inspectRecord(parseJsonFaithfully('{"n":1.5e300}'))).toBeUndefined();
  });
});

describe('stringifySafely', () => {
  it('equals JSON.stringify on ordinary values', () => {
    const value = { a: [1, 'two', null, { b: true }], c: 'é', d: undefined };
    expect(stringifySafely(value)).toBe(JSON.stringify(value));
  });

  it('writes nesting that overflows JSON.stringify, and it parses back', () => {
    const deep = nested(100_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    const text = stringifySafely(deep);
    expect(text.startsWith('{"next":{"next":')).toBe(true);
    expect(text).toBe(`${'{"next":'.repeat(100_000)}"leaf"${'}'.repeat(100_000)}`);
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('escapes U+FFFE and U+FFFF, which SQS refuses', () => {
    expect(stringifySafely({ s: '\ufffe\uffff' })).toBe('{"s":"\\ufffe\\uffff"}');
    expect(JSON.parse(stringifySafely({ s: '\ufffe\uffff' }))).toEqual({ s: '\ufffe\uffff' });
  });
});

describe('event time and claim-check keys', () => {
  it('uses the record date as the event time only where EventBridge takes it', () => {
    expect(eventTime('2026-11-22T10:00:00Z')?.toISOString()).toBe('2026-11-22T10:00:00.000Z');
    expect(eventTime('0000-01-01T00:00:00Z')).toBeUndefined();
    expect(eventTime('1969-12-31T23:59:59Z')).toBeUndefined();
    expect(eventTime('+010000-01-01T00:00:00Z')).toBeUndefined();
    expect(eventTime('yesterday')).toBeUndefined();
  });

  it('keeps claim-check keys within 1024 bytes, one key per log_id', () => {
    const now = new Date('2026-11-22T00:00:00Z');
    expect(claimCheckKey('abc', now)).toBe('claim-check/2026/11/22/abc.json');
    const long = claimCheckKey('日'.repeat(300), now);
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(1024);
    expect(long).toMatch(/^claim-check\/2026\/11\/22\/sha256-[0-9a-f]{64}\.json$/);
    expect(claimCheckKey('日'.repeat(301), now)).not.toBe(long);
  });
});

describe('stringsAreWellFormed', () => {
  it('vouches for the strings of text that is well-formed and spells no \\u escape', () => {
    expect(stringsAreWellFormed('[{"log_id":"a","data":{"type":"s","é":"ok"}}]')).toBe(true);
    expect(stringsAreWellFormed('[{"log_id":"a","data":{"type":"s","x":"\\ud800"}}]')).toBe(false);
    expect(stringsAreWellFormed('[{"log_id":"a","data":{"type":"s","x":"\\u00e9"}}]')).toBe(false);
    expect(stringsAreWellFormed('[{"log_id":"a","data":{"type":"s","x":"\ud800"}}]')).toBe(false);
  });

  it('leaves every lone surrogate a JSON text can carry to be found, in values and in field names', () => {
    for (const text of [
      '[{"log_id":"a","data":{"type":"s","x":"\\ud800"}}]',
      '[{"log_id":"a","data":{"type":"s","\\udc80":"x"}}]',
      '[{"log_id":"a","data":{"type":"s","x":"\udfff"}}]',
    ]) {
      const { deliverables, quarantine } = receiveLogs(text);
      expect(deliverables).toEqual([]);
      expect(quarantine[0]?.reason).toBe('invalid_unicode');
    }
  });
});

describe('parseJsonFaithfully, searching only where the parsed value holds numbers', () => {
  /** A number token as a sender might write it: short, long, with a long fraction, or a large exponent. */
  const numberToken = fc.oneof(
    fc.integer({ min: -1000, max: 100_000 }).map(String),
    fc.stringMatching(/^-?[1-9]\d{14,24}$/),
    fc.stringMatching(/^-?\d\.\d{13,22}$/),
    fc.stringMatching(/^-?\d(\.\d{1,3})?[eE][+-]?\d{1,4}$/),
    fc.constantFrom('0', '-0', '0.1', '0.10000000000000000001', '1e999', '9007199254740993', '1.0'),
  );
  const names = fc.constantFrom('n', 'elapsedTime', 'x"n', 'n\\', 'é', 'data', 'user_id');
  const space = fc.constantFrom('', '', '', ' ', '\n  ');
  const text = fc.letrec<{ value: string }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      numberToken,
      fc.constantFrom(
        '"plain"',
        '"with \\"quotes\\" inside"',
        '"a\\\\b"',
        '"n\\":123456789012345678901"',
        'true',
        'null',
      ),
      fc
        .array(fc.tuple(names, space, tie('value')), { maxLength: 5 })
        .map((members) => `{${members.map(([n, s, v]) => `${JSON.stringify(n)}${s}:${s}${v}`).join(',')}}`),
      fc.array(tie('value'), { maxLength: 4 }).map((elements) => `[${elements.join(',')}]`),
    ),
  })).value;

  it('parses every text as the exact parse does', () => {
    fc.assert(
      fc.property(text, (json) => {
        expect(JSON.stringify(parseJsonFaithfully(json))).toBe(JSON.stringify(parseExactly(json)));
      }),
      { numRuns: 3000 },
    );
  });

  it('keeps a long member number exactly, and takes short ones as they are', () => {
    const body =
      '[{"log_id":"a","data":{"type":"s","details":{"elapsedTime":900,"id":123456789012345678901}}}]';
    expect(JSON.stringify(parseJsonFaithfully(body))).toBe(body);
    const short = '[{"log_id":"a","data":{"type":"s","details":{"elapsedTime":900,"ratio":0.25}}}]';
    expect(parseJsonFaithfully(short)).toEqual(JSON.parse(short));
  });

  it('is not misled by a repeated name written with a space before its colon', () => {
    const body = '{"n":5,"n" : 0.9000000000002854}';
    expect(JSON.stringify(parseJsonFaithfully(body))).toBe('{"n":0.9000000000002854}');
  });

  it('keeps a long number in an array, and one after a name with escapes', () => {
    const array = '{"ids":[1,123456789012345678901],"x\\"n":12345678901234567890123}';
    expect(JSON.stringify(parseJsonFaithfully(array))).toBe(array);
  });
});
