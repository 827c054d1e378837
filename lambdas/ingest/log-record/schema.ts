/**
 * The fields Auth0's official log schema gives every (or nearly every) log type, with the types real tenants
 * send: `scope` as a string or an array, `client_id` as null, and unknown fields allowed, since Auth0 adds fields
 * over time. A mismatch is a warning, not a rejection: the record still goes on the bus verbatim.
 *
 * One JSON Schema (draft-04 compatible: its keywords mean the same in draft-04 and draft-07) for two uses: the
 * EventBridge schema registry (lib/schema.ts), and the validator compiled from it at build time
 * (`npm run gen:log-record-validator` writes validator.generated.js; a test fails when it is stale). The ingest
 * imports only the validator, so its bundle holds no schema text and no schema library.
 */
export const LOG_RECORD_SCHEMA = {
  type: 'object',
  properties: {
    type: { type: 'string', minLength: 1, description: 'Auth0 log event type code, e.g. "s" or "f"' },
    date: { type: 'string', description: 'When the event occurred, ISO 8601' },
    log_id: { type: 'string' },
    _id: { type: 'string' },
    description: { type: ['string', 'null'] },
    tenant_name: { type: 'string' },
    environment_name: { type: 'string' },
    client_id: { type: ['string', 'null'] },
    client_name: { type: ['string', 'null'] },
    connection: { type: ['string', 'null'] },
    connection_id: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] },
    hostname: { type: ['string', 'null'] },
    user_id: { type: ['string', 'null'] },
    user_name: { type: ['string', 'null'] },
    user_agent: { type: ['string', 'null'] },
    audience: { type: ['string', 'null'] },
    scope: {
      anyOf: [
        { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
        { type: 'null' },
      ],
    },
    strategy: { type: ['string', 'null'] },
    strategy_type: { type: ['string', 'null'] },
    is_mobile: { type: 'boolean' },
    organization_id: { type: 'string' },
    organization_name: { type: 'string' },
    details: {},
  },
  required: ['type', 'date'],
  additionalProperties: {},
  description: 'An Auth0 tenant log record',
} as const;
