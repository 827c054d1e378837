import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { Construct } from 'constructs';
import { z } from 'zod';
import { DEFAULT_SOURCE } from '../lambdas/ingest/config';
import { DETAIL_TYPE } from '../lambdas/ingest/event';
import { LogRecordSchema } from '../lambdas/ingest/validate';
import { ROUTABLE_CATEGORIES } from '../lambdas/shared/log-types';
import { checkName } from './validation';

export interface LogEventSchemaProps {
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

/**
 * The JSON Schema (draft 4) of an `Auth0 log` event as it arrives at a target: the EventBridge envelope, with
 * `detail` = `{log_id, data, category, claim_check?}`. The log record comes from `LogRecordSchema`, the same
 * zod schema the ingest function validates with, so the registry cannot drift from the code.
 */
export function auth0LogEventSchema(source = DEFAULT_SOURCE): JsonSchema {
  const draft4 = (schema: z.ZodType): JsonSchema => {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
      target: 'draft-04',
      unrepresentable: 'any',
    });
    return rest;
  };
  return {
    $schema: 'http://json-schema.org/draft-04/schema#',
    title: 'Auth0Log',
    description: `An Auth0 tenant log record published by the Auth0 Event Bridge ingest function (source ${source}).`,
    'x-amazon-events-source': source,
    'x-amazon-events-detail-type': DETAIL_TYPE,
    type: 'object',
    required: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
    properties: {
      version: { type: 'string' },
      id: { type: 'string' },
      'detail-type': { type: 'string', enum: [DETAIL_TYPE] },
      source: { type: 'string', enum: [source] },
      account: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      region: { type: 'string' },
      resources: { type: 'array', items: { type: 'string' } },
      detail: { $ref: '#/definitions/Auth0LogDetail' },
    },
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
      LogRecord: {
        ...draft4(LogRecordSchema),
        title: 'LogRecord',
      },
      ClaimCheck: {
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
      },
    },
  };
}

/** An EventBridge schema registry holding the `Auth0 log` event schema, so subscribers can download code bindings. */
export class LogEventSchema extends Construct {
  public readonly registry: CfnRegistry;
  public readonly schema: CfnSchema;

  public constructor(scope: Construct, id: string, props: LogEventSchemaProps = {}) {
    super(scope, id);
    checkName(
      `LogEventSchema ${this.node.path}`,
      'registryName',
      props.registryName,
      /^(?!aws\.)[A-Za-z0-9._-]{1,64}$/,
      '1-64 letters, digits, ".", "_" or "-", not starting with "aws."',
    );
    const source = props.eventSource ?? DEFAULT_SOURCE;
    this.registry = new CfnRegistry(this, 'Registry', {
      registryName: props.registryName ?? 'auth0-event-bridge',
      description: 'Schemas of the Auth0 log events on the bus',
    });
    this.schema = new CfnSchema(this, 'Auth0LogSchema', {
      registryName: this.registry.attrRegistryName,
      schemaName: `${source}@Auth0Log`,
      type: 'JSONSchemaDraft4',
      description: `The "${DETAIL_TYPE}" event: detail = {log_id, data (the Auth0 log record), category, claim_check?}`,
      content: JSON.stringify(auth0LogEventSchema(source)),
    });
  }
}
