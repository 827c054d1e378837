/**
 * Regenerates the Actions trigger event schemas and their compiled validators from the AsyncAPI document:
 *
 *   npm run gen:action-schemas -- [path/to/auth0-log-streams-and-actions-asyncapi.yml]
 *   npm run gen:action-schemas -- --validators-only
 *
 * writes lambdas/ingest/action-events/schemas.generated.json (one self-contained JSON Schema per trigger) and
 * validators.generated.js + .d.ts (ajv standalone code compiled from that JSON). The document is kept outside
 * the repository (shared reference material), so the generated files are committed. `--validators-only`
 * recompiles the validators from the committed JSON (after an ajv upgrade, say) without the document; the
 * freshness test fails until one of the two has been run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { ACTION_TRIGGERS } from '../lambdas/shared/surfaces';
import {
  buildActionEventSchemas,
  compileActionEventValidators,
  unlistedActionChannels,
} from './action-event-schemas';

const targetDir = resolve('lambdas/ingest/action-events');
const schemasFile = resolve(targetDir, 'schemas.generated.json');

if (process.argv[2] === '--validators-only') {
  writeValidators(JSON.parse(readFileSync(schemasFile, 'utf8')));
} else {
  const source = resolve(process.argv[2] ?? '../shared/reference/auth0-log-streams-and-actions-asyncapi.yml');
  const spec: unknown = parse(readFileSync(source, 'utf8'));
  const schemas = buildActionEventSchemas(spec);
  mkdirSync(targetDir, { recursive: true });
  writeFileSync(schemasFile, `${JSON.stringify(schemas, null, 2)}\n`);
  writeValidators(schemas);
  for (const channel of unlistedActionChannels(spec)) {
    console.log(`Skipped ${channel}: its trigger is not in ACTION_TRIGGERS (lambdas/shared/surfaces.ts)`);
  }
}

function writeValidators(schemas: Parameters<typeof compileActionEventValidators>[0]): void {
  const validators = compileActionEventValidators(schemas);
  writeFileSync(resolve(targetDir, 'validators.generated.js'), validators.js);
  writeFileSync(resolve(targetDir, 'validators.generated.d.ts'), validators.dts);
  console.log(`Wrote ${ACTION_TRIGGERS.length} trigger validators to ${targetDir}`);
}
