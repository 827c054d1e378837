import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { ACTION_EVENT_SCHEMAS } from '../lambdas/ingest/action-events/schemas';
import { DEFAULT_SOURCE } from '../lambdas/ingest/config';
import { DETAIL_TYPE } from '../lambdas/ingest/event';
import { LOG_RECORD_SCHEMA } from '../lambdas/ingest/log-record/schema';
import { EVENT_STREAM_TYPES } from '../lambdas/shared/event-stream-types';
import { ROUTABLE_CATEGORIES } from '../lambdas/shared/log-types';
import {
  ACTION_TRIGGERS,
  type ActionTrigger,
  actionDetailType,
  eventDetailType,
} from '../lambdas/shared/surfaces';
import { checkName, InvalidPropsError } from './validation';

export interface EventSchemasProps {
  /**
   * The schema registry name.
   * @default 'auth0-event-bridge'
   */
  readonly registryName?: string;
  /**
   * The `source` of the events the schema describes.
   * @default 'auth0.logs'
   */
  readonly eventSource?: string;
}

type JsonSchema = Record<string, unknown>;

const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';

/** The EventBridge envelope fields every event on the bus has, `detail` aside. */
const ENVELOPE_REQUIRED = [
  'version',
  'id',
  'detail-type',
  'source',
  'account',
  'time',
  'region',
  'resources',
  'detail',
];

function envelopeProperties(source: string, detailType: string, detailRef: string): JsonSchema {
  return {
    version: { type: 'string' },
    id: { type: 'string' },
    'detail-type': { type: 'string', enum: [detailType] },
    source: { type: 'string', enum: [source] },
    account: { type: 'string' },
    time: { type: 'string', format: 'date-time' },
    region: { type: 'string' },
    resources: { type: 'array', items: { type: 'string' } },
    detail: { $ref: `#/definitions/${detailRef}` },
  };
}

/** What stands in for an event too large for EventBridge; every surface's detail may carry one. */
const CLAIM_CHECK: JsonSchema = {
  type: 'object',
  description:
    'Present when the record was too large for one event: data then holds only its short scalar fields, and the whole detail is in S3',
  required: ['bucket', 'key', 'bytes', 'sha256'],
  properties: {
    bucket: { type: 'string' },
    key: { type: 'string' },
    bytes: { type: 'integer' },
    sha256: { type: 'string', description: 'Hex SHA-256 of the stored detail JSON' },
  },
};

/**
 * The JSON Schema (draft 4) of an `Auth0 log` event as it arrives at a target: the EventBridge envelope, with
 * `detail` = `{log_id, data, category, claim_check?}`. The log record is `LOG_RECORD_SCHEMA`, the schema the
 * ingest's validator is compiled from, so the registry cannot drift from the code.
 */
export function auth0LogEventSchema(source = DEFAULT_SOURCE): JsonSchema {
  return {
    $schema: DRAFT_04,
    title: 'Auth0Log',
    description: `An Auth0 tenant log record published by the Auth0 Event Bridge ingest function (source ${source}).`,
    'x-amazon-events-source': source,
    'x-amazon-events-detail-type': DETAIL_TYPE,
    type: 'object',
    required: ENVELOPE_REQUIRED,
    properties: envelopeProperties(source, DETAIL_TYPE, 'Auth0LogDetail'),
    definitions: {
      Auth0LogDetail: {
        type: 'object',
        required: ['log_id', 'data', 'category'],
        properties: {
          log_id: { type: 'string', description: 'The Auth0 log_id; unique per record, the dedup key' },
          data: { $ref: '#/definitions/LogRecord' },
          category: {
            type: 'string',
            enum: [...ROUTABLE_CATEGORIES],
            description:
              'The official log-stream category of data.type, or "unknown" for codes not in the catalogue',
          },
          claim_check: { $ref: '#/definitions/ClaimCheck' },
        },
      },
      LogRecord: { ...LOG_RECORD_SCHEMA, title: 'LogRecord' },
      ClaimCheck: CLAIM_CHECK,
    },
  };
}

/**
 * The JSON Schema (draft 4) of an `Auth0 action: <trigger>` event: the EventBridge envelope, with `detail` =
 * the Actions `event` object as the ingest publishes it: validated against the trigger's schema (generated from
 * Auth0's AsyncAPI document), and without `secrets`, which the ingest strips, so no schema names them either.
 */
export function auth0ActionEventSchema(trigger: ActionTrigger, source = DEFAULT_SOURCE): JsonSchema {
  const { definitions = {}, ...event } = ACTION_EVENT_SCHEMAS[trigger] as {
    definitions?: Record<string, JsonSchema>;
  } & JsonSchema;
  const { secrets: _stripped, ...properties } = event.properties as Record<string, JsonSchema>;
  const detailName = String(event.title);
  const detail = {
    ...event,
    properties: { ...properties, claim_check: { $ref: '#/definitions/ClaimCheck' } },
  };
  const detailType = actionDetailType(trigger);
  return {
    $schema: DRAFT_04,
    title: `Auth0Action${pascalCase(trigger)}`,
    description: `An Auth0 Actions ${trigger} event object, without its secrets, published by the Auth0 Event Bridge ingest function (source ${source}).`,
    'x-amazon-events-source': source,
    'x-amazon-events-detail-type': detailType,
    type: 'object',
    required: ENVELOPE_REQUIRED,
    properties: envelopeProperties(source, detailType, detailName),
    definitions: {
      [detailName]: detail,
      ...reachableDefinitions(detail, definitions),
      ClaimCheck: CLAIM_CHECK,
    },
  };
}

/**
 * The JSON Schema (draft 4) of an `Auth0 event: <type>` event: the EventBridge envelope, with `detail` = the
 * Auth0 Event Streams CloudEvent, its `type` normalised (`user.created`, never `com.auth0.user.created`).
 */
export function auth0StreamEventSchema(type: string, source = DEFAULT_SOURCE): JsonSchema {
  const detailType = eventDetailType(type);
  return {
    $schema: DRAFT_04,
    title: `Auth0Event${pascalCase(type)}`,
    description: `An Auth0 Event Streams ${type} CloudEvent published by the Auth0 Event Bridge ingest function (source ${source}).`,
    'x-amazon-events-source': source,
    'x-amazon-events-detail-type': detailType,
    type: 'object',
    required: ENVELOPE_REQUIRED,
    properties: envelopeProperties(source, detailType, 'CloudEvent'),
    definitions: {
      CloudEvent: {
        type: 'object',
        description:
          'The CloudEvent Auth0 delivered (structured mode), as received but for its type. Auth0 spells specversion spec_version in some deliveries; both are passed on as sent.',
        additionalProperties: true,
        required: ['id', 'source', 'type'],
        properties: {
          id: { type: 'string', description: 'Unique per event; the dedup key' },
          source: { type: 'string', description: 'The Auth0 tenant that sent the event' },
          specversion: { type: 'string', enum: ['1.0'] },
          type: {
            type: 'string',
            enum: [type],
            description: 'The event type, without the com.auth0. prefix',
          },
          time: { type: 'string', format: 'date-time' },
          dataschema: { type: 'string', format: 'uri' },
          data: {
            type: 'object',
            description: 'The event data, as Auth0 sent it (for user events, data.object is the user)',
            additionalProperties: true,
          },
          claim_check: { $ref: '#/definitions/ClaimCheck' },
        },
      },
      ClaimCheck: CLAIM_CHECK,
    },
  };
}

/** The definitions `schema` refers to, directly or through another, in a stable (sorted) order. */
function reachableDefinitions(
  schema: JsonSchema,
  definitions: Record<string, JsonSchema>,
): Record<string, JsonSchema> {
  const reached = new Set<string>();
  const pending = [schema];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const [, name = ''] of JSON.stringify(next).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) {
      const found = definitions[name];
      if (found === undefined || reached.has(name)) continue;
      reached.add(name);
      pending.push(found);
    }
  }
  return Object.fromEntries([...reached].sort().map((name) => [name, definitions[name] as JsonSchema]));
}

/** `post-login` → `PostLogin`, `organization.member.added` → `OrganizationMemberAdded`. */
function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/** What EventBridge accepts as a schema name. */
const SCHEMA_NAME = /^[A-Za-z0-9._@-]{1,385}$/;

/**
 * An EventBridge schema registry holding the schema of every event the bridge publishes, so subscribers can
 * download code bindings: `Auth0 log`, one `Auth0 action: <trigger>` per Actions trigger, and one
 * `Auth0 event: <type>` per documented Event Streams type.
 */
export class EventSchemas extends Construct {
  public readonly registry: CfnRegistry;
  /** The `Auth0 log` schema. */
  public readonly schema: CfnSchema;
  public readonly actionSchemas: Readonly<Record<ActionTrigger, CfnSchema>>;
  /** By normalised Event Streams type (`user.created`). */
  public readonly eventSchemas: Readonly<Record<string, CfnSchema>>;

  public constructor(scope: Construct, id: string, props: EventSchemasProps = {}) {
    super(scope, id);
    const where = `EventSchemas ${this.node.path}`;
    checkName(
      where,
      'registryName',
      props.registryName,
      /^(?!aws\.)[A-Za-z0-9._-]{1,64}$/,
      '1-64 letters, digits, ".", "_" or "-", not starting with "aws."',
    );
    const source = props.eventSource ?? DEFAULT_SOURCE;
    // Schema names are `<source>@<name>`, so the source must be made of what a schema name may hold.
    checkName(
      where,
      'eventSource',
      props.eventSource,
      /^[A-Za-z0-9._-]{1,300}$/,
      '1-300 letters, digits, ".", "_" or "-" (it starts the schema names)',
    );
    this.registry = new CfnRegistry(this, 'Registry', {
      registryName: props.registryName ?? 'auth0-event-bridge',
      description:
        'Schemas of the Auth0 events on the bus: log records, Actions events and Event Streams events',
    });
    // Construct ids are a contract: Auth0LogSchema predates the others and keeps its id.
    this.schema = new CfnSchema(this, 'Auth0LogSchema', {
      registryName: this.registry.attrRegistryName,
      schemaName: `${source}@Auth0Log`,
      type: 'JSONSchemaDraft4',
      description: `The "${DETAIL_TYPE}" event: detail = {log_id, data (the Auth0 log record), category, claim_check?}`,
      content: JSON.stringify(auth0LogEventSchema(source)),
    });

    const schemaFor = (kind: 'Action' | 'Event', name: string, description: string, content: JsonSchema) => {
      const schemaName = `${source}@Auth0${kind}-${name}`;
      if (!SCHEMA_NAME.test(schemaName)) {
        throw new InvalidPropsError(
          `${where}: schema name ${JSON.stringify(schemaName)} is not a valid name`,
        );
      }
      return new CfnSchema(this, `${kind}${pascalCase(name)}Schema`, {
        registryName: this.registry.attrRegistryName,
        schemaName,
        type: 'JSONSchemaDraft4',
        description,
        content: JSON.stringify(content),
      });
    };
    this.actionSchemas = Object.fromEntries(
      ACTION_TRIGGERS.map((trigger) => [
        trigger,
        schemaFor(
          'Action',
          trigger,
          `The "${actionDetailType(trigger)}" event: detail = the Actions event object, without secrets`,
          auth0ActionEventSchema(trigger, source),
        ),
      ]),
    ) as Record<ActionTrigger, CfnSchema>;
    this.eventSchemas = Object.fromEntries(
      EVENT_STREAM_TYPES.map((type) => [
        type,
        schemaFor(
          'Event',
          type,
          `The "${eventDetailType(type)}" event: detail = the Event Streams CloudEvent`,
          auth0StreamEventSchema(type, source),
        ),
      ]),
    );
  }
}

/** @deprecated The registry now holds every surface's schemas: use EventSchemasProps. */
export type LogEventSchemaProps = EventSchemasProps;
/** @deprecated The registry now holds every surface's schemas: use EventSchemas. */
export const LogEventSchema = EventSchemas;
/** @deprecated Use EventSchemas. */
export type LogEventSchema = EventSchemas;
