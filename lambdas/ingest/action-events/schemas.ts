import type { ActionTrigger } from '../../shared/surfaces';
import schemas from './schemas.generated.json' with { type: 'json' };

/** A JSON Schema object (draft-04 compatible: its keywords mean the same in draft-04 and draft-07). */
export type ActionEventSchema = { readonly [keyword: string]: unknown };

/**
 * Each trigger's `event` schema, self-contained (`#/definitions/...` refs), as generated from Auth0's AsyncAPI
 * document by scripts/gen-action-event-schemas.ts; for the EventBridge schema registry. The ingest validates
 * with the validators compiled from these (validate.ts) and does not import this module, so its bundle holds
 * no schema text.
 */
export const ACTION_EVENT_SCHEMAS: Readonly<Record<ActionTrigger, ActionEventSchema>> = schemas;
