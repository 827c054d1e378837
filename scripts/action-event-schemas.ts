/**
 * How the Actions event schemas and their validators are made: shared by scripts/gen-action-event-schemas.ts,
 * which writes them, and by the freshness test, which checks that the committed validators are what
 * `compileActionEventValidators` makes of the committed schemas. Nothing here reads or writes files.
 */
import { ACTION_TRIGGERS, type ActionTrigger } from '../lambdas/shared/surfaces';
import {
  ANNOTATION_KEYWORDS,
  compileStandaloneValidators,
  type JsonSchema,
  SCHEMA_LIST_KEYWORDS,
  SCHEMA_MAP_KEYWORDS,
  SUBSCHEMA_KEYWORDS,
  validatorDeclarations,
  withoutAnnotations,
} from './standalone-validators';

export type { JsonSchema };

export class ActionEventSchemaError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ActionEventSchemaError';
  }
}

/**
 * The keywords a trigger schema may use, besides the schema-valued and annotation ones of
 * scripts/standalone-validators.ts: those that mean the same in draft-04 (the EventBridge schema registry's
 * dialect) and draft-07 (ajv's), and whose compiled code needs no ajv runtime module (`maxLength` needs
 * ucs2length, `uniqueItems` and object `enum`s need equal), so the validators bundle nothing from ajv.
 */
const VALUE_KEYWORDS = new Set(['type', 'minimum', 'maximum', 'required', 'minItems', 'maxItems', '$ref']);

const COMPONENT_REF = '#/components/schemas/';
const DEFINITION_REF = '#/definitions/';

/**
 * One self-contained JSON Schema per trigger, from the AsyncAPI document's `/auth0/actions/<trigger>` channels:
 * the message payload's schema at the root, and only the component schemas it reaches under `definitions`,
 * referenced as `#/definitions/<name>`. Descriptions and `format`s are kept; nothing is added but a `title`.
 */
export function buildActionEventSchemas(spec: unknown): Record<ActionTrigger, JsonSchema> {
  const components = objectAt(spec, ['components', 'schemas']);
  const schemas = {} as Record<ActionTrigger, JsonSchema>;
  for (const trigger of ACTION_TRIGGERS) {
    const channel = `/auth0/actions/${trigger}`;
    const message = resolveMessage(
      spec,
      objectAt(spec, ['channels', channel, 'subscribe', 'message']),
      channel,
    );
    const payloadRef = objectAt(message, ['payload'], `the ${channel} message`).$ref;
    const rootName = componentName(payloadRef, `${channel} payload`);
    const used = new Set<string>();
    const root = rewrite(componentAt(components, rootName), `#/components/schemas/${rootName}`, used);
    const definitions: Record<string, JsonSchema> = {};
    const pending = [...used];
    while (pending.length > 0) {
      const name = pending.pop() as string;
      if (name in definitions) continue;
      const found = new Set<string>();
      definitions[name] = rewrite(componentAt(components, name), `#/components/schemas/${name}`, found);
      pending.push(...found);
    }
    if (rootName in definitions) {
      throw new ActionEventSchemaError(`${rootName} refers to itself; a trigger's root schema must not`);
    }
    const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
    schemas[trigger] = { title: rootName, ...root, definitions: sorted };
  }
  return schemas;
}

/** The action channels of the document that ACTION_TRIGGERS does not list, so the script can say so. */
export function unlistedActionChannels(spec: unknown): string[] {
  const channels = objectAt(spec, ['channels']);
  const listed = new Set(ACTION_TRIGGERS.map((trigger) => `/auth0/actions/${trigger}`));
  return Object.keys(channels).filter((name) => name.startsWith('/auth0/actions/') && !listed.has(name));
}

/** The name each trigger's validate function is exported under: `post-login` → `postLogin`. */
export function validatorExportName(trigger: ActionTrigger): string {
  return trigger.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

export interface ActionEventValidators {
  /** ESM source of one ajv validate function per trigger, with no import of its own. */
  readonly js: string;
  /** Its type declarations. */
  readonly dts: string;
}

/**
 * ajv standalone code for the schemas `buildActionEventSchemas` made (scripts/standalone-validators.ts). The
 * triggers' schemas are compiled as one bundle of definitions, so a definition that several triggers use
 * (ActionUser, ActionRequest, …) is one function, and triggers with the same root schema share one validator.
 * `format` is not enforced: refusing a real event because our format check disagreed would lose it.
 */
export function compileActionEventValidators(
  schemas: Readonly<Record<ActionTrigger, JsonSchema>>,
): ActionEventValidators {
  const definitions: Record<string, JsonSchema> = {};
  const rootOf = {} as Record<ActionTrigger, string>;
  const define = (name: string, schema: JsonSchema, trigger: ActionTrigger): void => {
    const compiled = withoutAnnotations(schema);
    const known = definitions[name];
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(compiled)) {
      throw new ActionEventSchemaError(
        `${trigger}: definition ${name} differs from another trigger's ${name}`,
      );
    }
    definitions[name] = compiled;
  };
  for (const trigger of ACTION_TRIGGERS) {
    const { definitions: own = {}, ...root } = schemas[trigger];
    const title = root.title;
    if (typeof title !== 'string') throw new ActionEventSchemaError(`${trigger}: the schema has no title`);
    for (const [name, schema] of Object.entries(own as Record<string, JsonSchema>))
      define(name, schema, trigger);
    define(title, root, trigger);
    rootOf[trigger] = title;
  }
  const js = compileStandaloneValidators({
    definitions,
    exports: ACTION_TRIGGERS.map((trigger) => [validatorExportName(trigger), rootOf[trigger]]),
    header: '// Generated by scripts/gen-action-event-schemas.ts from schemas.generated.json. Do not edit.',
  });
  return { js, dts: declarations() };
}

function declarations(): string {
  return validatorDeclarations({
    generator: 'scripts/gen-action-event-schemas.ts',
    typePrefix: 'ActionEvent',
    subject: 'event',
    exports: ACTION_TRIGGERS.map((trigger) => [
      validatorExportName(trigger),
      `Validates an Auth0 Actions \`${trigger}\` event object.`,
    ]),
  });
}

function resolveMessage(spec: unknown, message: JsonSchema, where: string): JsonSchema {
  if (message.$ref === undefined) return message;
  const ref = message.$ref;
  const prefix = '#/components/messages/';
  if (typeof ref !== 'string' || !ref.startsWith(prefix)) {
    throw new ActionEventSchemaError(`${where}: message $ref must start with ${prefix}, got ${String(ref)}`);
  }
  return objectAt(spec, ['components', 'messages', ref.slice(prefix.length)]);
}

function componentName(ref: unknown, where: string): string {
  if (typeof ref !== 'string' || !ref.startsWith(COMPONENT_REF)) {
    throw new ActionEventSchemaError(
      `${where}: expected a $ref to ${COMPONENT_REF}<name>, got ${String(ref)}`,
    );
  }
  return ref.slice(COMPONENT_REF.length);
}

function componentAt(components: JsonSchema, name: string): JsonSchema {
  return objectAt(components, [name], `components/schemas`);
}

/** A copy of `schema` with component refs made local; each component it refers to is added to `used`. */
function rewrite(schema: unknown, where: string, used: Set<string>): JsonSchema {
  if (!isObject(schema)) throw new ActionEventSchemaError(`${where}: expected a schema object`);
  const out: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    const at = `${where}/${keyword}`;
    if (keyword === '$ref') {
      const name = componentName(value, at);
      used.add(name);
      out.$ref = `${DEFINITION_REF}${name}`;
    } else if (SCHEMA_MAP_KEYWORDS.has(keyword)) {
      if (!isObject(value)) throw new ActionEventSchemaError(`${at}: expected an object of schemas`);
      out[keyword] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, rewrite(sub, `${at}/${name}`, used)]),
      );
    } else if (SCHEMA_LIST_KEYWORDS.has(keyword)) {
      if (!Array.isArray(value)) throw new ActionEventSchemaError(`${at}: expected a list of schemas`);
      out[keyword] = value.map((sub, i) => rewrite(sub, `${at}/${i}`, used));
    } else if (SUBSCHEMA_KEYWORDS.has(keyword)) {
      out[keyword] = typeof value === 'boolean' ? value : rewrite(value, at, used);
    } else if (VALUE_KEYWORDS.has(keyword) || ANNOTATION_KEYWORDS.has(keyword)) {
      out[keyword] = value;
    } else {
      throw new ActionEventSchemaError(
        `${at}: keyword "${keyword}" is not supported; the trigger schemas may use ${[...SCHEMA_MAP_KEYWORDS, ...SCHEMA_LIST_KEYWORDS, ...SUBSCHEMA_KEYWORDS, ...VALUE_KEYWORDS, ...ANNOTATION_KEYWORDS].join(', ')}`,
      );
    }
  }
  return out;
}

function objectAt(root: unknown, path: readonly string[], what = 'the AsyncAPI document'): JsonSchema {
  let node = root;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  if (!isObject(node)) throw new ActionEventSchemaError(`${what} has no object at ${path.join(' → ')}`);
  return node;
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
