/**
 * How this project turns JSON Schemas into the validators its Lambda bundles carry: ajv standalone code,
 * compiled once at build time, importing nothing, so ajv stays a build-time tool and no schema library is
 * bundled or compiled on a cold start. Shared by the Actions event validators (scripts/action-event-schemas.ts)
 * and the log record validator (scripts/log-record-validator.ts), whose freshness tests compile again and
 * compare. Nothing here reads or writes files.
 */
import { Ajv, type Options } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';

export type JsonSchema = { [keyword: string]: unknown };

export class StandaloneValidatorError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StandaloneValidatorError';
  }
}

/** Keywords whose value is an object of schemas, a list of schemas, or one schema. */
export const SCHEMA_MAP_KEYWORDS: ReadonlySet<string> = new Set(['properties', 'definitions']);
export const SCHEMA_LIST_KEYWORDS: ReadonlySet<string> = new Set(['oneOf', 'anyOf', 'allOf']);
export const SUBSCHEMA_KEYWORDS: ReadonlySet<string> = new Set(['items', 'additionalProperties']);
/** Keywords that only annotate: validators are compiled without them, so their code holds none of them. */
export const ANNOTATION_KEYWORDS: ReadonlySet<string> = new Set(['description', 'title', 'format']);

const BUNDLE_ID = 'standalone-validators';

export interface StandaloneValidators {
  /** The schemas, by name; they refer to each other as `#/definitions/<name>`. */
  readonly definitions: Readonly<Record<string, JsonSchema>>;
  /** Each exported validate function, by export name: the name of the definition it validates, in order. */
  readonly exports: ReadonlyArray<readonly [exportName: string, definition: string]>;
  /** The first line of the file, saying where it comes from. */
  readonly header: string;
  /** ajv options besides the fixed ones of `compileStandaloneValidators`. */
  readonly options?: Pick<Options, 'allowUnionTypes'>;
}

/**
 * ESM source of one ajv validate function per export, with no import of its own. The definitions are compiled
 * as one bundle with refs not inlined, so a definition that several exports use is one function, and exports
 * of the same definition share one validator (aliased: ajv would declare it twice).
 *
 * `format` is an annotation only (dropped, and `validateFormats: false` in case one slips through): the sender
 * decides what an e-mail address or a URI is. No messages are compiled in: callers word their own, so none can
 * quote a value. Throws when a keyword would need an ajv runtime helper (the code would import it).
 */
export function compileStandaloneValidators(spec: StandaloneValidators): string {
  const definitions = Object.fromEntries(
    Object.entries(spec.definitions).map(([name, schema]) => [name, withoutAnnotations(schema)]),
  );
  const ajv = new Ajv({
    strict: true,
    allErrors: true,
    inlineRefs: false,
    validateFormats: false,
    messages: false,
    code: { source: true, esm: true, lines: true },
    ...spec.options,
  });
  ajv.addSchema({ $id: BUNDLE_ID, definitions });
  const exports: Record<string, string> = {};
  const aliases: string[] = [];
  const exported = new Map<string, string>();
  for (const [name, definition] of spec.exports) {
    const first = exported.get(definition);
    if (first === undefined) {
      exported.set(definition, name);
      exports[name] = `${BUNDLE_ID}#/definitions/${definition}`;
    } else aliases.push(`export const ${name} = ${first};`);
  }
  const code = withoutUnusedSchemaConstants(standaloneCode(ajv, exports));
  const imports = code.match(/\brequire\s*\(|^\s*import\b|\bimport\s*\(|\bfrom\s+["']/m);
  if (imports) {
    throw new StandaloneValidatorError(
      `The generated validators import a module (${imports[0]}): a schema keyword needs an ajv runtime helper. Remove that keyword (e.g. maxLength, uniqueItems) from the schemas.`,
    );
  }
  return [spec.header, code, ...aliases, ''].join('\n');
}

/** A copy of `schema` without annotation keywords, at every level. */
export function withoutAnnotations(schema: JsonSchema): JsonSchema {
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (ANNOTATION_KEYWORDS.has(keyword)) continue;
    if (SCHEMA_MAP_KEYWORDS.has(keyword)) {
      out[keyword] = Object.fromEntries(
        Object.entries(value as Record<string, JsonSchema>).map(([name, sub]) => [
          name,
          withoutAnnotations(sub),
        ]),
      );
    } else if (SCHEMA_LIST_KEYWORDS.has(keyword)) {
      out[keyword] = (value as JsonSchema[]).map(withoutAnnotations);
    } else if (SUBSCHEMA_KEYWORDS.has(keyword) && typeof value === 'object' && value !== null) {
      out[keyword] = withoutAnnotations(value as JsonSchema);
    } else {
      out[keyword] = value;
    }
  }
  return out;
}

/**
 * ajv's standalone code declares each compiled schema as a constant (`const schema12 = {...};`) whether or not
 * its code reads it; ours reads none. Dropping the unread ones keeps the file to the code that runs.
 */
function withoutUnusedSchemaConstants(code: string): string {
  return code
    .split('\n')
    .filter((line) => {
      const declared = /^const (schema\d+) = \{.*\};$/.exec(line)?.[1];
      return declared === undefined || new RegExp(`\\b${declared}\\b`).test(code.replace(line, ''));
    })
    .join('\n');
}

/** What the `.d.ts` beside a generated validator file declares. */
export interface ValidatorDeclarations {
  /** The script that writes them, named in the header. */
  readonly generator: string;
  /** The prefix of the two types: `LogRecord` gives `LogRecordValidationError`, `LogRecordValidateFunction`. */
  readonly typePrefix: string;
  /** What is validated, in words and as the function's parameter: `record`, `event`. */
  readonly subject: string;
  /** Each export's name and its doc comment. */
  readonly exports: ReadonlyArray<readonly [name: string, doc: string]>;
}

/** The declarations of a file written by `compileStandaloneValidators`, with ajv's error shape. */
export function validatorDeclarations(spec: ValidatorDeclarations): string {
  const { typePrefix, subject } = spec;
  return [
    `// Generated by ${spec.generator}. Do not edit.`,
    '',
    `/** What ajv reports; \`params\` may hold parts of the ${subject}, so never put it in a message. */`,
    `export interface ${typePrefix}ValidationError {`,
    '  readonly instancePath: string;',
    '  readonly schemaPath: string;',
    '  readonly keyword: string;',
    '  readonly params: Readonly<Record<string, unknown>>;',
    '}',
    '',
    `export interface ${typePrefix}ValidateFunction {`,
    `  (${subject}: unknown): boolean;`,
    '  /** The problems of the last call that returned false. */',
    `  errors?: readonly ${typePrefix}ValidationError[] | null;`,
    '}',
    '',
    ...spec.exports.map(
      ([name, doc]) => `/** ${doc} */\nexport declare const ${name}: ${typePrefix}ValidateFunction;`,
    ),
    '',
  ].join('\n');
}
