/**
 * Regenerates the log record validator from LOG_RECORD_SCHEMA (lambdas/ingest/log-record/schema.ts):
 *
 *   npm run gen:log-record-validator
 *
 * writes lambdas/ingest/log-record/validator.generated.js + .d.ts (ajv standalone code). Run it after changing
 * the schema or upgrading ajv; the freshness test fails until then.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compileLogRecordValidator } from './log-record-validator';

const targetDir = resolve('lambdas/ingest/log-record');
const { js, dts } = compileLogRecordValidator();
writeFileSync(resolve(targetDir, 'validator.generated.js'), js);
writeFileSync(resolve(targetDir, 'validator.generated.d.ts'), dts);
console.log(`Wrote the log record validator to ${targetDir}`);
