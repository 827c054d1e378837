/**
 * The Auth0 Event Streams event types a route may name, in their normalised spelling (`user.created`, not
 * `com.auth0.user.created`; see `normaliseEventType`). A route naming any other type fails at synth, as a
 * typo in a log type code does.
 *
 * Sources (Auth0's documentation and its Node.js SDK):
 * - "Event Types", https://auth0.com/docs/customize/events/event-types: the user events.
 * - The Events Catalog, https://auth0.com/docs/events (e.g. /docs/events/organization/organization.member.added,
 *   /docs/events/group/group.role.assigned) and the Management API's event_type list,
 *   https://auth0.com/docs/api/management/v2/events/subscribe-events: the organization and group events.
 * - The Event Catalog schema, https://auth0.com/docs/oas/events/events-schema.json, and node-auth0's
 *   `EventStreamEventTypeEnum` (v7): the connection events.
 *
 * Auth0 adds types over time: add a new one here when a route needs it.
 */
import { normaliseEventType } from './surfaces';

export const EVENT_STREAM_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'organization.created',
  'organization.updated',
  'organization.deleted',
  'organization.member.added',
  'organization.member.deleted',
  'organization.member.role.assigned',
  'organization.member.role.deleted',
  'organization.connection.added',
  'organization.connection.updated',
  'organization.connection.removed',
  'organization.group.role.assigned',
  'organization.group.role.deleted',
  'group.created',
  'group.updated',
  'group.deleted',
  'group.member.added',
  'group.member.deleted',
  'group.role.assigned',
  'group.role.deleted',
  'connection.created',
  'connection.updated',
  'connection.deleted',
] as const;

export type EventStreamType = (typeof EVENT_STREAM_TYPES)[number];

/** Whether Auth0 documents this type, in either spelling: `user.created` or `com.auth0.user.created`. */
export function isKnownEventStreamType(type: string): boolean {
  return (EVENT_STREAM_TYPES as readonly string[]).includes(normaliseEventType(type));
}
