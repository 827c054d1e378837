import { HttpError } from '../shared/errors';
import { EVENT_DETAIL_TYPE_PREFIX, eventDetailType, normaliseEventType } from '../shared/surfaces';
import { type Deliverable, eventTime, sha256Hex, shortScalars } from './event';
import { inspectRecord } from './fidelity';
import { isPlainObject, parseJsonBody, type Received } from './received';

/** EventBridge takes a detail-type of at most 128 characters. */
const MAX_TYPE_LENGTH = 128 - EVENT_DETAIL_TYPE_PREFIX.length;
/** Longest CloudEvents id used as it is in the dedup key; a longer one is keyed by its SHA-256. */
const MAX_ID_BYTES = 512;

/**
 * Auth0 Event Streams deliveries (`POST /events`): one CloudEvent in structured mode, or a JSON array of them
 * (batch mode). Each becomes an `Auth0 event: <type>` event keyed by its `id`, with `com.auth0.user.created`
 * and `user.created` made one type. The batch is checked as a whole: any invalid event gets 400, naming it,
 * and nothing is published.
 */
export function receiveEventStream(text: string): Received {
  const value = parseJsonBody(text, 'a CloudEvent (or a JSON array of them)');
  const batch = Array.isArray(value);
  const events: unknown[] = batch ? value : [value];
  if (events.length === 0) throw new HttpError(400, 'The CloudEvents batch is empty.');

  const problems: string[] = [];
  const deliverables: Deliverable[] = [];
  events.forEach((event, position) => {
    const where = batch ? `Event ${position}` : 'The event';
    const problem = cloudEventProblem(event);
    if (problem) problems.push(`${where}: ${problem}`);
    else deliverables.push(toDeliverable(event as CloudEvent, position));
  });
  if (problems.length > 0) {
    const more = problems.length > 10 ? ` (and ${problems.length - 10} more)` : '';
    throw new HttpError(400, `Not a valid CloudEvent: ${problems.slice(0, 10).join('; ')}${more}.`);
  }
  return {
    format: batch ? 'CLOUDEVENTS_BATCH' : 'CLOUDEVENT',
    count: events.length,
    deliverables,
    quarantine: [],
  };
}

interface CloudEvent extends Record<string, unknown> {
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time?: string;
}

/** What makes this value no CloudEvent we can publish, naming the attribute, never its value. */
function cloudEventProblem(event: unknown): string | undefined {
  if (!isPlainObject(event)) return 'must be a JSON object';
  for (const attribute of ['id', 'source', 'type']) {
    const value = event[attribute];
    if (typeof value !== 'string' || value.trim() === '') {
      return `"${attribute}" must be a non-empty string`;
    }
  }
  // Auth0's own example spells it `spec_version`; the CloudEvents specification `specversion`.
  const version = event.specversion ?? event.spec_version;
  if (version !== '1.0') return '"specversion" must be "1.0"';
  if (normaliseEventType(event.type as string).length > MAX_TYPE_LENGTH) {
    return `"type" must be at most ${MAX_TYPE_LENGTH} characters`;
  }
  if (event.time !== undefined && (typeof event.time !== 'string' || Number.isNaN(Date.parse(event.time)))) {
    return '"time" must be an RFC 3339 timestamp';
  }
  return inspectRecord(event)?.message;
}

function toDeliverable(event: CloudEvent, position: number): Deliverable {
  const type = normaliseEventType(event.type);
  const detail = { ...event, type };
  const time = eventTime(event.time);
  const key =
    Buffer.byteLength(event.id, 'utf8') <= MAX_ID_BYTES
      ? `event:${event.id}`
      : `event:sha256:${sha256Hex(event.id)}`;
  const envelope = { id: event.id, source: event.source, type, ...(event.time ? { time: event.time } : {}) };
  return {
    key,
    position,
    detailType: eventDetailType(type),
    detail,
    ...(time ? { time } : {}),
    category: 'events',
    warnings: [],
    record: event,
    pointerDetails: (pointer) => [
      { ...shortScalars(detail, 3), claim_check: pointer },
      { ...envelope, claim_check: pointer },
    ],
  };
}
