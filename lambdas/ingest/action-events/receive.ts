import { HttpError } from '../../shared/errors';
import { closestMatches } from '../../shared/suggest';
import {
  ACTION_TRIGGERS,
  type ActionTrigger,
  actionDetailType,
  isActionTrigger,
} from '../../shared/surfaces';
import { type Deliverable, sha256Hex, shortScalars } from '../event';
import { inspectRecord, stringifySafely } from '../fidelity';
import { isPlainObject, parseJsonBody, type Received } from '../received';
import { validateActionEvent } from './validate';

/** Longest idempotency key taken as it is; a longer one is keyed by its SHA-256. */
const MAX_KEY_PART_BYTES = 512;
/** Longest `Idempotency-Key` header accepted. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/**
 * The time field that tells one event of a user from the next, for triggers whose events carry no
 * transaction: the user and this time are then the event's identity.
 */
const USER_TIME_FIELD: Partial<Record<ActionTrigger, readonly string[]>> = {
  'post-user-registration': ['created_at'],
  'post-change-password': ['last_password_reset', 'updated_at'],
};

/**
 * One Auth0 Actions `event` object (`POST /actions/<trigger>`): validated against the trigger's schema,
 * stripped of `secrets` (the tenant's Auth0 secrets never reach the bus, the quarantine or a log), and keyed
 * for exactly-once publishing. Throws 404 for an unknown trigger and 400 for an invalid event; then nothing
 * is published.
 */
export function receiveActionEvent(
  trigger: string,
  text: string,
  headers: Readonly<Record<string, string | undefined>>,
): Received {
  if (!isActionTrigger(trigger)) throw unknownTrigger(trigger);
  const value = parseJsonBody(text, `the event object of an Auth0 ${trigger} Action`);
  if (!isPlainObject(value)) {
    throw new HttpError(400, `The ${trigger} event is not valid: (event): must be an object.`);
  }
  const { secrets: _secrets, ...event } = value;
  const problems = validateActionEvent(trigger, value);
  if (problems.length > 0) {
    throw new HttpError(400, `The ${trigger} event is not valid: ${problems.join('; ')}.`);
  }
  const fidelity = inspectRecord(event);
  if (fidelity) throw new HttpError(400, `The ${trigger} event cannot be published: ${fidelity.message}`);

  const key = idempotencyKey(trigger, event, headers['idempotency-key']);
  const deliverable: Deliverable = {
    key,
    position: 0,
    detailType: actionDetailType(trigger),
    detail: event,
    category: `actions.${trigger}`,
    warnings: [],
    record: event,
    pointerDetails: (pointer) => [
      { ...shortScalars(event, 2), claim_check: pointer },
      { claim_check: pointer },
    ],
  };
  return { format: 'ACTION_EVENT', count: 1, deliverables: [deliverable], quarantine: [] };
}

/**
 * The dedup key of an Actions event, most specific first: the sender's `Idempotency-Key` header; the
 * transaction id; the user and the time that sets this event apart (triggers without a transaction); the
 * SHA-256 of the event itself (without secrets), so an identical redelivery is still published once.
 */
export function idempotencyKey(
  trigger: ActionTrigger,
  event: Record<string, unknown>,
  header: string | undefined,
): string {
  const prefix = `action:${trigger}:`;
  if (header !== undefined) {
    const value = header.trim();
    if (value === '' || value.length > MAX_IDEMPOTENCY_KEY_LENGTH || !value.isWellFormed()) {
      throw new HttpError(
        400,
        `The Idempotency-Key header must hold 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters; leave it out to key the event by its transaction.`,
      );
    }
    return prefix + keyPart('key', value);
  }
  const transactionId = stringAt(event, 'transaction', 'id');
  if (transactionId) return prefix + keyPart('transaction', transactionId);
  const userId = stringAt(event, 'user', 'user_id');
  for (const field of USER_TIME_FIELD[trigger] ?? []) {
    const time = stringAt(event, 'user', field);
    if (userId && time) return prefix + keyPart('user', `${userId}@${time}`);
  }
  return `${prefix}sha256:${sha256Hex(stringifySafely(event))}`;
}

function keyPart(kind: string, value: string): string {
  if (Buffer.byteLength(value, 'utf8') <= MAX_KEY_PART_BYTES) return `${kind}:${value}`;
  return `${kind}-sha256:${sha256Hex(value)}`;
}

function stringAt(event: Record<string, unknown>, object: string, field: string): string | undefined {
  const parent = event[object];
  const value = isPlainObject(parent) ? parent[field] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function unknownTrigger(trigger: string): HttpError {
  const close = closestMatches(trigger, ACTION_TRIGGERS);
  const hint = close.length > 0 ? ` Did you mean ${close.map((name) => `"${name}"`).join(', ')}?` : '';
  const known = ACTION_TRIGGERS.map((name) => `/actions/${name}`).join(', ');
  return new HttpError(
    404,
    `Unknown Actions trigger "${trigger.slice(0, 64)}".${hint} The Actions paths are ${known}.`,
  );
}
