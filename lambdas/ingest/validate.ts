import { parseDate } from './event';
import { inspectRecord } from './fidelity';
import { validateLogRecord } from './log-record/validator.generated';
import { UnparsedText } from './parse';
import type { QuarantineReason } from './ports';
import { describeSchemaProblems } from './schema-problems';

/** A record that can be published. */
export interface LogEntry {
  readonly logId: string;
  readonly type: string;
  /** The record exactly as received (the `data` of a `{log_id, data}` entry, or a bare record). */
  readonly data: Record<string, unknown>;
  readonly position: number;
  /** The record's `date` in milliseconds since the epoch, read once; NaN when it has none that parses. */
  readonly dateMs: number;
  /** Schema mismatches worth a warning: field paths and what was expected, never field values. */
  readonly warnings: readonly string[];
}

export type Validation =
  | { readonly ok: true; readonly entry: LogEntry }
  | {
      readonly ok: false;
      readonly reason: QuarantineReason;
      readonly message: string;
      readonly logId?: string;
    };

/**
 * In UTF-8 bytes: DynamoDB allows 2048 for a partition key, S3 1024 for a whole key; Auth0 log ids are about
 * 56 ASCII characters.
 */
export const MAX_LOG_ID_BYTES = 1024;

/**
 * Decides whether one element of a body can be published. Elements are `{"log_id", "data": {…}}` entries
 * (Custom Webhook) or bare records carrying their own `log_id` or `_id` (the `{"logs": […]}` envelope).
 * A record is unusable only when it is not an object, has no type, or has no id. `stringsWellFormed`: the
 * element was parsed from text that `stringsAreWellFormed` (lambdas/ingest/fidelity.ts).
 */
export function validateElement(element: unknown, position: number, stringsWellFormed = false): Validation {
  if (element instanceof UnparsedText) return { ok: false, reason: element.reason, message: element.message };
  if (!isPlainObject(element)) {
    return {
      ok: false,
      reason: 'not_an_object',
      message: `Entry ${position} is ${describe(element)}, not an object.`,
    };
  }
  const wrapped = !('type' in element) && 'data' in element;
  const data = wrapped ? element.data : element;
  if (!isPlainObject(data)) {
    return {
      ok: false,
      reason: 'data_not_an_object',
      message: `Entry ${position} has "data" that is ${describe(data)}, not a log record object.`,
      ...optionalLogId(element.log_id),
    };
  }

  const logId =
    (wrapped ? usableId(element.log_id) : undefined) ?? usableId(data.log_id) ?? usableId(data._id);
  if (logId === undefined) {
    return {
      ok: false,
      reason: 'missing_log_id',
      message: `Entry ${position} has no "log_id" or "_id" string, so it cannot be deduplicated.`,
    };
  }
  if (!logId.isWellFormed()) {
    return {
      ok: false,
      reason: 'invalid_log_id',
      message: `Entry ${position} has a log_id that is not well-formed Unicode (invalid UTF-8 or a lone surrogate).`,
      logId,
    };
  }
  // A UTF-16 code unit is at most 3 UTF-8 bytes: only a long id needs counting.
  if (logId.length * 3 > MAX_LOG_ID_BYTES) {
    const logIdBytes = Buffer.byteLength(logId, 'utf8');
    if (logIdBytes > MAX_LOG_ID_BYTES) {
      return {
        ok: false,
        reason: 'invalid_log_id',
        message: `Entry ${position} has a log_id of ${logIdBytes} UTF-8 bytes; at most ${MAX_LOG_ID_BYTES} are accepted.`,
        logId,
      };
    }
  }
  const problem = inspectRecord(element, stringsWellFormed);
  if (problem) {
    return {
      ok: false,
      reason: problem.reason,
      message: `Entry ${position} (log_id ${logId}): ${problem.message}`,
      logId,
    };
  }
  if (typeof data.type !== 'string' || data.type.trim() === '') {
    return {
      ok: false,
      reason: 'missing_type',
      message: `Entry ${position} (log_id ${logId}) has no "type" string; got ${describe(data.type)}.`,
      logId,
    };
  }

  const dateMs = typeof data.date === 'string' ? parseDate(data.date) : Number.NaN;
  const schema = schemaWarnings(data, dateMs);
  const idsDiffer =
    wrapped &&
    typeof data.log_id === 'string' &&
    typeof element.log_id === 'string' &&
    data.log_id !== element.log_id;
  const warnings = idsDiffer
    ? [...schema, 'log_id: the entry log_id and data.log_id differ; the entry log_id is used']
    : schema;
  return { ok: true, entry: { logId, type: data.type, data, position, dateMs, warnings } };
}

/**
 * Where the record differs from Auth0's log schema (lambdas/ingest/log-record/schema.ts, compiled at build
 * time): field paths and what was expected, never values.
 */
function schemaWarnings(data: Record<string, unknown>, dateMs: number): readonly string[] {
  if (!validateLogRecord(data)) {
    return describeSchemaProblems(data, validateLogRecord.errors ?? [], '(record)');
  }
  return Number.isNaN(dateMs) ? ['date: not an ISO 8601 date'] : NO_WARNINGS;
}

/** Shared by every record that matches the schema, as most do. */
const NO_WARNINGS: readonly string[] = Object.freeze([]);

/** An id a record can be deduplicated by: a string that is not blank. */
function usableId(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function optionalLogId(value: unknown): { logId?: string } {
  return typeof value === 'string' && value !== '' ? { logId: value } : {};
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
