import { describe, expect, it } from 'vitest';
import { validateElement } from '../../../lambdas/ingest/validate';

const date = '2026-01-01T00:00:00.000Z';

describe('validateElement', () => {
  it('accepts what real tenants send: scope as a string or an array, client_id null, new fields', () => {
    for (const data of [
      { type: 's', date, scope: 'openid profile', client_id: null },
      {
        type: 's',
        date,
        scope: ['openid', 'profile'],
        client_id: 'abc',
        field_auth0_added_later: { x: [1] },
      },
    ]) {
      const result = validateElement({ log_id: 'id', data }, 0);
      expect(result).toMatchObject({ ok: true, entry: { logId: 'id', type: 's', data, warnings: [] } });
    }
  });

  it('takes the log_id from the entry, then data.log_id, then data._id', () => {
    expect(validateElement({ log_id: 'entry', data: { type: 's', log_id: 'data' } }, 0)).toMatchObject({
      entry: { logId: 'entry' },
    });
    expect(validateElement({ data: { type: 's', log_id: 'data' } }, 0)).toMatchObject({
      entry: { logId: 'data' },
    });
    expect(validateElement({ data: { type: 's', _id: 'legacy' } }, 0)).toMatchObject({
      entry: { logId: 'legacy' },
    });
  });

  it('accepts bare records that carry their own log_id or _id (the logs envelope)', () => {
    const record = { type: 'f', date, log_id: 'bare' };
    expect(validateElement(record, 3)).toMatchObject({
      ok: true,
      entry: { logId: 'bare', data: record, position: 3 },
    });
  });

  it('publishes a record that differs from the schema, with warnings naming the fields and not their values', () => {
    const result = validateElement(
      { log_id: 'id', data: { type: 's', date: 'not a date', ip: 1234, is_mobile: 'yes' } },
      0,
    );
    expect(result.ok).toBe(true);
    const warnings = result.ok ? result.entry.warnings : [];
    expect(warnings.join('\n')).toMatch(/ip:/);
    expect(warnings.join('\n')).toMatch(/is_mobile:/);
    expect(warnings.join('\n')).not.toMatch(/1234|yes/);
  });

  it('says where a record differs from the schema and what was expected, alternatives named together', () => {
    const warningsOf = (data: Record<string, unknown>) => {
      const result = validateElement({ log_id: 'id', data }, 0);
      return result.ok ? result.entry.warnings : ['not published'];
    };

    expect(warningsOf({ type: 's', date, ip: 1234, is_mobile: 'yes' })).toEqual([
      'ip: must be a string or null',
      'is_mobile: must be a boolean',
    ]);
    expect(warningsOf({ type: 's', scope: 5 })).toEqual([
      'date: is required',
      'scope: must be a string or an array or null',
    ]);
    expect(warningsOf({ type: 's', date, scope: ['openid', 5], client_id: {} })).toEqual([
      'client_id: must be a string or null',
      'scope[1]: must be a string',
    ]);
    expect(warningsOf({ type: 's', date: 'yesterday' })).toEqual(['date: not an ISO 8601 date']);
  });

  it.each([
    ['a string', 'hello', 'not_an_object'],
    ['null', null, 'not_an_object'],
    ['an array', [1], 'not_an_object'],
    ['data that is not an object', { log_id: 'x', data: 'oops' }, 'data_not_an_object'],
    ['no type', { log_id: 'x', data: { date } }, 'missing_type'],
    ['an empty type', { log_id: 'x', data: { type: '' } }, 'missing_type'],
    ['a numeric type', { log_id: 'x', data: { type: 7 } }, 'missing_type'],
    ['no log_id nor _id', { data: { type: 's' } }, 'missing_log_id'],
    ['an empty log_id', { log_id: ' ', data: { type: 's' } }, 'missing_log_id'],
    ['an absurdly long log_id', { log_id: 'x'.repeat(1025), data: { type: 's' } }, 'invalid_log_id'],
  ])('finds %s permanently unusable', (_, element, reason) => {
    const result = validateElement(element, 2);
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok ? '' : result.message).toMatch(/^Entry 2 /);
  });
});
