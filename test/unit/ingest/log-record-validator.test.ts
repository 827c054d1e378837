import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { LOG_RECORD_SCHEMA } from '../../../lambdas/ingest/log-record/schema';
import { validateLogRecord } from '../../../lambdas/ingest/log-record/validator.generated';
import { compileLogRecordValidator } from '../../../scripts/log-record-validator';

const generated = (name: string): string =>
  readFileSync(new URL(`../../../lambdas/ingest/log-record/${name}`, import.meta.url), 'utf8');

const date = '2026-12-03T10:00:00.000Z';

describe('the generated log record validator', () => {
  it('is what compiling LOG_RECORD_SCHEMA gives (npm run gen:log-record-validator)', () => {
    const { js, dts } = compileLogRecordValidator();

    expect(generated('validator.generated.js')).toBe(js);
    expect(generated('validator.generated.d.ts')).toBe(dts);
    expect(compileLogRecordValidator().js).toBe(js);
  });

  it('imports nothing, so neither ajv nor a schema library is bundled into the ingest', () => {
    const js = generated('validator.generated.js');

    expect(js).not.toMatch(/\brequire\s*\(|^\s*import\b|\bfrom\s+["']|\bimport\s*\(/m);
    expect(js).not.toContain('ajv/dist/runtime');
  });

  it.each([
    ['what real tenants send', { type: 's', date, scope: 'openid', client_id: null, added_later: [1] }, true],
    ['scope as an array', { type: 's', date, scope: ['openid', 'profile'] }, true],
    ['any details', { type: 'sapi', date, details: { request: { body: [null] } } }, true],
    ['no date', { type: 's' }, false],
    ['a numeric ip', { type: 's', date, ip: 1234 }, false],
    ['a scope array of numbers', { type: 's', date, scope: [1] }, false],
    ['is_mobile as a string', { type: 's', date, is_mobile: 'yes' }, false],
    ['a null organization_id', { type: 's', date, organization_id: null }, false],
  ])('judges %s as the schema registry’s schema does', (_, record, valid) => {
    // GIVEN the schema as registered, compiled at run time
    const { description: _description, ...schema } = LOG_RECORD_SCHEMA;
    const registered = new Ajv({ allowUnionTypes: true }).compile(schema);

    // THEN the validator compiled at build time agrees with it
    expect(registered(record)).toBe(valid);
    expect(validateLogRecord(record)).toBe(valid);
  });

  it('refuses a length keyword, which would need an ajv runtime helper in the bundle', () => {
    const withMaxLength = {
      ...LOG_RECORD_SCHEMA,
      properties: { ...LOG_RECORD_SCHEMA.properties, ip: { type: 'string', maxLength: 45 } },
    };

    expect(() => compileLogRecordValidator(withMaxLength)).toThrow('import a module');
  });
});
