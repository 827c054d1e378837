/**
 * The three kinds of Auth0 events the ingest puts on the bus, and the detail-type each carries. Routes,
 * action bindings, the schema registry and the ingest read these names from here, so they cannot drift.
 *
 * | Surface        | Ingest path            | detail-type                 |
 * | -------------- | ---------------------- | --------------------------- |
 * | Log Streams    | `POST /`               | `Auth0 log`                 |
 * | Actions events | `POST /actions/<trig>` | `Auth0 action: <trigger>`   |
 * | Event Streams  | `POST /events`         | `Auth0 event: <type>`       |
 */

/** The detail-type Auth0's own EventBridge integration uses for log records, so its rules work unchanged. */
export const LOG_DETAIL_TYPE = 'Auth0 log';

/** The Auth0 Actions triggers whose `event` objects can be posted to `/actions/<trigger>`. */
export const ACTION_TRIGGERS = [
  'post-login',
  'credentials-exchange',
  'pre-user-registration',
  'post-user-registration',
  'post-change-password',
  'send-phone-message',
  'password-reset-post-challenge',
  'custom-token-exchange',
] as const;

export type ActionTrigger = (typeof ACTION_TRIGGERS)[number];

export function isActionTrigger(name: string): name is ActionTrigger {
  return (ACTION_TRIGGERS as readonly string[]).includes(name);
}

export const ACTION_DETAIL_TYPE_PREFIX = 'Auth0 action: ';

export function actionDetailType(trigger: ActionTrigger): string {
  return `${ACTION_DETAIL_TYPE_PREFIX}${trigger}`;
}

export const EVENT_DETAIL_TYPE_PREFIX = 'Auth0 event: ';

/** The detail-type of an Event Streams event, from its (normalised) CloudEvents `type`. */
export function eventDetailType(type: string): string {
  return `${EVENT_DETAIL_TYPE_PREFIX}${normaliseEventType(type)}`;
}

/**
 * One name per Event Streams event type: Auth0 sends `com.auth0.user.created` in some tenants and documents
 * `user.created` in others; both become `user.created`.
 */
export function normaliseEventType(type: string): string {
  return type.startsWith('com.auth0.') ? type.slice('com.auth0.'.length) : type;
}

/** The ingest's paths, for 404 messages and the README's path table. */
export const INGEST_PATHS = ['/', '/actions/<trigger>', '/events'] as const;
