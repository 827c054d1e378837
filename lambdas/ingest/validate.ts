import { z } from 'zod';
import { inspectRecord } from './fidelity';
import { UnparsedText } from './parse';
import type { QuarantineReason } from './ports';

/**
 * The fields Auth0's official log schema gives every (or nearly every) log type, with the types real tenants
 * send: `scope` as a string or an array, `client_id` as null, and unknown fields allowed, since Auth0 adds fields
 * over time. A mismatch here is a warning, not a rejection: the record still goes on the bus verbatim.
 */
export const LogRecordSchema = z
  .looseObject({
    type: z.string().min(1).describe('Auth0 log event type code, e.g. "s" or "f"'),
    date: z.string().describe('When the event occurred, ISO 8601'),
    log_id: z.string().optional(),
    _id: z.string().optional(),
    description: z.string().nullable().optional(),
    tenant_name: z.string().optional(),
    environment_name: z.string().optional(),
    client_id: z.string().nullable().optional(),
    client_name: z.string().nullable().optional(),
    connection: z.string().nullable().optional(),
    connection_id: z.string().nullable().optional(),
    ip: z.string().nullable().optional(),
    hostname: z.string().nullable().optional(),
    user_id: z.string().nullable().optional(),
    user_name: z.string().nullable().optional(),
    user_agent: z.string().nullable().optional(),
    audience: z.string().nullable().optional(),
    scope: z
      .union([z.string(), z.array(z.string())])
      .nullable()
      .optional(),
    strategy: z.string().nullable().optional(),
    strategy_type: z.string().nullable().optional(),
    is_mobile: z.boolean().optional(),
    organization_id: z.string().optional(),
    organization_name: z.string().optional(),
    details: z.unknown().optional(),
  })
  .describe('An Auth0 tenant log record');

export type LogRecord = z.infer<typeof LogRecordSchema>;

/** A record that can be published. */
export interface LogEntry {
  readonly logId: string;
  readonly type: string;
  /** The record exactly as received (the `data` of a `{log_id, data}` entry, or a bare record). */
  readonly data: Record<string, unknown>;
  readonly position: number;
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
 * A record is unusable only when it is not an object, has no type, or has no id.
 */
export function validateElement(element: unknown, position: number): Validation {
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

  const candidates = wrapped ? [element.log_id, data.log_id, data._id] : [data.log_id, data._id];
  const logId = candidates.find((value): value is string => typeof value === 'string' && value.trim() !== '');
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
  const logIdBytes = Buffer.byteLength(logId, 'utf8');
  if (logIdBytes > MAX_LOG_ID_BYTES) {
    return {
      ok: false,
      reason: 'invalid_log_id',
      message: `Entry ${position} has a log_id of ${logIdBytes} UTF-8 bytes; at most ${MAX_LOG_ID_BYTES} are accepted.`,
      logId,
    };
  }
  const problem = inspectRecord(element);
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

  const warnings = schemaWarnings(data);
  if (
    wrapped &&
    typeof data.log_id === 'string' &&
    typeof element.log_id === 'string' &&
    data.log_id !== element.log_id
  ) {
    warnings.push('log_id: the entry log_id and data.log_id differ; the entry log_id is used');
  }
  return { ok: true, entry: { logId, type: data.type, data, position, warnings } };
}

function schemaWarnings(data: Record<string, unknown>): string[] {
  const result = LogRecordSchema.safeParse(data);
  if (result.success) {
    return Number.isNaN(Date.parse(String(data.date))) ? ['date: not an ISO 8601 date'] : [];
  }
  return result.error.issues.map((issue) => `${issue.path.join('.') || '(record)'}: ${issue.message}`);
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
