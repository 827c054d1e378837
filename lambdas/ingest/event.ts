import { createHash } from 'node:crypto';
import { categoryOf, type RoutableCategory } from '../shared/log-types';
import type { EventEntry, StoredObject } from './ports';
import type { LogEntry } from './validate';

/** The detail-type Auth0's own EventBridge integration uses, so rules written for it work unchanged. */
export const DETAIL_TYPE = 'Auth0 log';

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

export function toEventEntry(
  detail: Auth0LogDetail,
  data: Record<string, unknown>,
  options: EventOptions,
): EventEntry {
  const time = eventTime(data.date);
  return {
    Source: options.source,
    DetailType: DETAIL_TYPE,
    Detail: JSON.stringify(detail),
    EventBusName: options.busName,
    ...(time ? { Time: time } : {}),
  };
}

/**
 * The size EventBridge charges an entry against the PutEvents request limit: 14 bytes for Time when present,
 * plus the UTF-8 bytes of Source, DetailType, Detail and each Resource. The bus name is not counted.
 */
export function entrySize(
  entry: Pick<EventEntry, 'Source' | 'DetailType' | 'Detail' | 'Time'> & { Resources?: string[] },
) {
  let size = entry.Time ? 14 : 0;
  size += Buffer.byteLength(entry.Source, 'utf8');
  size += Buffer.byteLength(entry.DetailType, 'utf8');
  size += Buffer.byteLength(entry.Detail, 'utf8');
  for (const resource of entry.Resources ?? []) size += Buffer.byteLength(resource, 'utf8');
  return size;
}

/** Longest string field copied into a pointer event, so rules on user_id, client_id, ip… still match. */
const POINTER_FIELD_MAX_CHARS = 1024;

/**
 * A small event that stands for a record too large to publish: the record's short scalar fields (type, date,
 * ids, ip…) stay in `data` so routing works as before, and `claim_check` says where the whole detail is.
 */
export function toPointerDetail(detail: Auth0LogDetail, pointer: ClaimCheckPointer): Auth0LogDetail {
  const data: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(detail.data)) {
    const short = typeof value === 'string' ? value.length <= POINTER_FIELD_MAX_CHARS : true;
    const scalar = value === null || ['string', 'number', 'boolean'].includes(typeof value);
    if (scalar && short) data[key] = value;
  }
  return { ...detail, data, claim_check: pointer };
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
  if (typeof date !== 'string') return undefined;
  const parsed = new Date(date);
  const ms = parsed.getTime();
  if (Number.isNaN(ms) || ms < EARLIEST_EVENT_TIME_MS || ms > LATEST_EVENT_TIME_MS) return undefined;
  return parsed;
}
