import { createHash } from 'node:crypto';
import { categoryOf, type RoutableCategory } from '../shared/log-types';
import { LOG_DETAIL_TYPE } from '../shared/surfaces';
import { isRawJson, parseJsonFaithfully } from './fidelity';
import type { EventEntry, StoredObject } from './ports';
import type { LogEntry } from './validate';

/** The detail-type Auth0's own EventBridge integration uses, so rules written for it work unchanged. */
export const DETAIL_TYPE = LOG_DETAIL_TYPE;

/**
 * One event to publish, from any surface (a log record, an Actions event, an Event Streams event): what the
 * delivery core claims, publishes, claim-checks, quarantines and counts, whatever its shape.
 */
export interface Deliverable {
  /** The dedup key: the log_id, or the event's idempotency key. */
  readonly key: string;
  /** Position in the request body, from 0. */
  readonly position: number;
  readonly detailType: string;
  readonly detail: Record<string, unknown>;
  /** When the event happened, when EventBridge can take it; otherwise EventBridge stamps the PutEvents time. */
  readonly time?: Date;
  /** What the metrics count it under: the log category, or the surface. */
  readonly category: string;
  /** Schema mismatches worth a warning: field paths and what was expected, never values. */
  readonly warnings: readonly string[];
  /** What is quarantined when EventBridge refuses the event for good. */
  readonly record: unknown;
  /**
   * Small details that stand for this one when it is too large for any PutEvents request, largest first; each
   * carries the claim check and keeps the fields rules route on.
   */
  readonly pointerDetails: (pointer: ClaimCheckPointer) => Record<string, unknown>[];
  /**
   * Told that its detail is now written out as `detailJson`: a deliverable holding a parsed record may let go
   * of it (a batch's records are held at once), and read `record` back from the JSON if it is ever needed.
   */
  readonly written?: (detailJson: string) => void;
}

export interface EventOptions {
  readonly busName: string;
  readonly source: string;
}

/**
 * The event detail: Auth0's `{log_id, data}` plus the record's official log-stream category, so rules can
 * route on `detail.category` as well as on `detail.data.type`.
 */
export interface Auth0LogDetail {
  readonly log_id: string;
  readonly data: Record<string, unknown>;
  readonly category: RoutableCategory;
  /** Present on pointer events: where the whole detail is stored. */
  readonly claim_check?: ClaimCheckPointer;
}

export interface ClaimCheckPointer extends StoredObject {
  readonly bytes: number;
  readonly sha256: string;
}

export function toDetail(entry: LogEntry): Auth0LogDetail {
  return { log_id: entry.logId, data: entry.data, category: categoryOf(entry.type) };
}

/** A log record as a deliverable: keyed by log_id, timed by `date`, counted by category. */
export function logDeliverable(entry: LogEntry): Deliverable {
  return new LogDeliverable(entry);
}

/**
 * One per record of a batch, all held at once until they are published: a class, so that what is needed only
 * now and then (the record to quarantine, the pointer details) lives on the prototype and not in each of them,
 * and the detail is made when it is written out. Once written, the parsed record is let go: from then on the
 * event's JSON is the record's only copy, and the garbage collector can take each record's objects as soon as
 * its event is built, so a large batch is not held twice.
 */
class LogDeliverable implements Deliverable {
  public readonly key: string;
  public readonly position: number;
  // Own, not on the prototype: the delivery core spreads a deliverable to swap in a pointer detail.
  public readonly detailType = DETAIL_TYPE;
  public readonly time?: Date;
  public readonly category: RoutableCategory;
  public readonly warnings: readonly string[];
  /** The record as parsed, until its detail is written out; then the detail's JSON. */
  private data: Record<string, unknown> | string;

  public constructor(entry: LogEntry) {
    this.key = entry.logId;
    this.position = entry.position;
    this.category = categoryOf(entry.type);
    this.warnings = entry.warnings;
    this.data = entry.data;
    const time = eventTimeAt(entry.dateMs);
    if (time) this.time = time;
  }

  public get detail(): Record<string, unknown> {
    return { log_id: this.key, data: this.parsed(), category: this.category };
  }

  public get record(): unknown {
    return { log_id: this.key, data: this.parsed() };
  }

  public pointerDetails(pointer: ClaimCheckPointer): Record<string, unknown>[] {
    const data = this.parsed();
    const whole = {
      log_id: this.key,
      data: shortScalars(data),
      category: this.category,
      claim_check: pointer,
    };
    return [whole, { ...whole, data: { type: data.type, date: data.date } }];
  }

  public written(detailJson: string): void {
    this.data = detailJson;
  }

  private parsed(): Record<string, unknown> {
    if (typeof this.data !== 'string') return this.data;
    return (parseJsonFaithfully(this.data) as Auth0LogDetail).data;
  }
}

export function toEventEntry(
  event: Pick<Deliverable, 'detailType' | 'detail' | 'time'>,
  options: EventOptions,
): EventEntry {
  const Detail = JSON.stringify(event.detail);
  return event.time
    ? {
        Source: options.source,
        DetailType: event.detailType,
        Detail,
        EventBusName: options.busName,
        Time: event.time,
      }
    : { Source: options.source, DetailType: event.detailType, Detail, EventBusName: options.busName };
}

/**
 * The size EventBridge charges an entry against the PutEvents request limit: 14 bytes for Time when present,
 * plus the UTF-8 bytes of Source, DetailType, Detail and each Resource. The bus name is not counted.
 */
export function entrySize(
  entry: Pick<EventEntry, 'Source' | 'DetailType' | 'Detail' | 'Time'> & { Resources?: string[] },
) {
  let size = entry.Time ? 14 : 0;
  size += headerBytes(entry.Source);
  size += headerBytes(entry.DetailType);
  size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** Source and DetailType repeat in every entry of a request: their sizes are counted once each. */
const HEADER_BYTES = new Map<string, number>();

function headerBytes(text: string): number {
  let bytes = HEADER_BYTES.get(text);
  if (bytes === undefined) {
    bytes = Buffer.byteLength(text, 'utf8');
    // Bounded: a source or detail-type per surface and trigger, not one per event.
    if (HEADER_BYTES.size < 256) HEADER_BYTES.set(text, bytes);
  }
  return bytes;
}

/** Longest string field copied into a pointer event, so rules on user_id, client_id, ip… still match. */
const POINTER_FIELD_MAX_CHARS = 1024;

/**
 * A small event that stands for a record too large to publish: the record's short scalar fields (type, date,
 * ids, ip…) stay in `data` so routing works as before, and `claim_check` says where the whole detail is.
 */
export function toPointerDetail(detail: Auth0LogDetail, pointer: ClaimCheckPointer): Auth0LogDetail {
  return { ...detail, data: shortScalars(detail.data), claim_check: pointer };
}

/**
 * The short scalar fields of an object, and of the objects directly in it (`user.user_id`,
 * `transaction.id`, `data.type`…): what rules usually route on, small enough for a pointer event.
 */
export function shortScalars(object: Record<string, unknown>, depth = 1): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) {
    if (isShortScalar(value)) kept[key] = value;
    else if (depth > 1 && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      kept[key] = shortScalars(value as Record<string, unknown>, depth - 1);
    }
  }
  return kept;
}

function isShortScalar(value: unknown): boolean {
  if (typeof value === 'string') return value.length <= POINTER_FIELD_MAX_CHARS;
  return value === null || typeof value === 'number' || typeof value === 'boolean' || isRawJson(value);
}

/** S3 keys are at most 1024 UTF-8 bytes. */
const MAX_S3_KEY_BYTES = 1024;

/**
 * Where a claim-checked detail is stored: by day, then by log_id, so a redelivery overwrites the same object.
 * A log_id too long for an S3 key (once URI-encoded) is stored under its SHA-256 instead, still one key per id.
 */
export function claimCheckKey(logId: string, now: Date): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  const readable = `claim-check/${day}/${encodeURIComponent(logId)}.json`;
  if (Buffer.byteLength(readable, 'utf8') <= MAX_S3_KEY_BYTES) return readable;
  return `claim-check/${day}/sha256-${sha256Hex(logId)}.json`;
}

export function sha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/** EventBridge takes `Time` as epoch seconds and refuses a whole request over one it cannot use. */
const EARLIEST_EVENT_TIME_MS = Date.UTC(1970, 0, 1);
const LATEST_EVENT_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * The record's `date` as the event time, when EventBridge can take it (1970 to 9999); otherwise none, and
 * EventBridge stamps the event with the time of the PutEvents call. `detail.data.date` keeps the original.
 */
export function eventTime(date: unknown): Date | undefined {
  return typeof date === 'string' ? eventTimeAt(parseDate(date)) : undefined;
}

/**
 * `Date.parse`, read straight from the characters for the one form Auth0 writes (`2026-12-03T10:00:00.000Z`,
 * UTC with milliseconds): a log record's date is read once per record, and the general parser costs several
 * times more. Any other text goes to `Date.parse`, and the result is the same either way (a day past the end
 * of its month rolls over, as `Date.parse` does).
 */
export function parseDate(text: string): number {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== UPPER_T ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON ||
    text.charCodeAt(19) !== DOT ||
    text.charCodeAt(23) !== UPPER_Z
  ) {
    return Date.parse(text);
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const ms = digitsAt(text, 20, 3);
  if (
    year < 1000 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59 ||
    ms < 0
  ) {
    return Date.parse(text);
  }
  return (
    daysFromCivil(year, month, day) * 86_400_000 + hour * 3_600_000 + minute * 60_000 + second * 1000 + ms
  );
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar, for years from 0 on (Howard Hinnant,
 * "chrono-Compatible Low-Level Date Algorithms", days_from_civil): what `Date.UTC` counts, in integer steps.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

const [DASH, UPPER_T, COLON, DOT, UPPER_Z] = [45, 84, 58, 46, 90];

/** The decimal number written by `length` digits at `start`, or -1 when one of them is not a digit. */
function digitsAt(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** `eventTime` for a date already parsed to milliseconds since the epoch (NaN: none). */
export function eventTimeAt(ms: number): Date | undefined {
  if (Number.isNaN(ms) || ms < EARLIEST_EVENT_TIME_MS || ms > LATEST_EVENT_TIME_MS) return undefined;
  return new Date(ms);
}
