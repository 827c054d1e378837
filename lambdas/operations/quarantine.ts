/**
 * The quarantine, for the operator: what is in it (never the records themselves), and a redrive that posts
 * records again through the ingest URL, exactly as Auth0 does, so that validation, dedup and quarantine apply
 * unchanged. A message is deleted only once the ingest answered 200 for its record: published, already
 * published, or quarantined again (a new message then stands for it). Anything else leaves it in the queue.
 *
 * Reading an SQS queue hides what it reads: every message is received with a visibility timeout and made
 * visible again once it is read (or deleted), so listing is bounded and, while it runs, other readers do not
 * see those messages.
 */
import { isRawJson, parseJsonFaithfully, stringifySafely } from '../ingest/fidelity';
import { mapWithConcurrency } from '../shared/concurrency';
import { describeError } from '../shared/errors';
import type {
  DedupMarks,
  IngestAnswer,
  IngestPort,
  IngestRequest,
  OperationsLog,
  QuarantineQueue,
  QueueDepth,
  QueueMessage,
  StoredRecordLocation,
  StoredRecords,
} from './ports';

export const DEFAULT_LIMIT = 50;
export const MAX_LIST_LIMIT = 500;
export const MAX_REDRIVE_LIMIT = 100;
/** Long enough to read `MAX_LIST_LIMIT` messages; every one is made visible again right after. */
const LIST_VISIBILITY_SECONDS = 30;
/** Longer than one post to the ingest can take (its own timeout, plus retries of PutEvents). */
const REDRIVE_VISIBILITY_SECONDS = 180;
const REDRIVE_CONCURRENCY = 4;
/**
 * How long a redrive starts new posts: the management function stops at 90 s, and a message it posted but
 * could not delete before then is only posted again later (a duplicate the dedup drops), never lost.
 */
export const REDRIVE_BUDGET_MS = 60_000;

/** What a quarantine message says about its record. Never the record: it may hold personal data. */
export interface QuarantineEntry {
  readonly message_id: string;
  readonly reason: string;
  /** The reason in words, as the ingest wrote it: positions, field names and log_ids, never values. */
  readonly message?: string;
  readonly log_id?: string;
  readonly error_code?: string;
  readonly position?: number;
  readonly request_id?: string;
  readonly received_at?: string;
  /** The path the record came in on: `logs` (`/`), `actions` (`/actions/<trigger>`) or `events` (`/events`). */
  readonly surface: Surface;
  /** `inline` in the message, or `s3` (`record_location`) for a record too large for SQS. */
  readonly stored: 'inline' | 's3' | 'none';
}

export type Surface = 'logs' | 'actions' | 'events';

export interface QuarantineListing {
  readonly messages: readonly QuarantineEntry[];
  /** Messages read from the queue: those listed, and those of other reasons read on the way. */
  readonly read: number;
  readonly limit: number;
  /** The limit was reached: the queue may hold more. */
  readonly truncated: boolean;
  readonly depth: QueueDepth;
}

export type RedriveOutcome =
  | 'published'
  | 'duplicate'
  | 'quarantined_again'
  | 'would_post'
  | 'refused'
  | 'failed'
  | 'not_redrivable'
  | 'deferred';

export interface RedriveResult {
  readonly message_id: string;
  readonly reason: string;
  readonly log_id?: string;
  readonly outcome: RedriveOutcome;
  /** Whether the quarantine message was deleted. */
  readonly deleted: boolean;
  readonly path?: string;
  /** The ingest's status code, when it answered. */
  readonly status?: number;
  /** What went wrong, or what would happen (dry run), in words. */
  readonly detail?: string;
}

export interface RedriveReport {
  readonly dry_run: boolean;
  readonly results: readonly RedriveResult[];
  readonly counts: Readonly<Record<RedriveOutcome, number>>;
  /** Messages read but left alone: their reason is not the one asked for. */
  readonly skipped: number;
  readonly read: number;
  readonly limit: number;
  readonly truncated: boolean;
}

export interface QuarantinePorts {
  readonly queue: QuarantineQueue;
  readonly records: StoredRecords;
  readonly ingest: IngestPort;
  readonly dedup: DedupMarks;
  readonly logger: OperationsLog;
}

export interface QuarantineSettings {
  /** The only bucket `record_location` may point into. */
  readonly claimCheckBucket: string;
}

/** A quarantine message's envelope, read faithfully (numbers of the record keep their digits). */
interface ParsedMessage {
  readonly reason: string;
  readonly message?: string;
  readonly logId?: string;
  readonly errorCode?: string;
  readonly position?: number;
  readonly requestId?: string;
  readonly receivedAt?: string;
  readonly record?: { readonly value: unknown };
  readonly location?: StoredRecordLocation;
}

export async function listQuarantine(
  ports: Pick<QuarantinePorts, 'queue'>,
  options: { readonly limit: number; readonly reason?: string },
): Promise<QuarantineListing> {
  const { messages, truncated } = await readMessages(
    ports.queue,
    options.limit,
    LIST_VISIBILITY_SECONDS,
    options.reason === undefined ? undefined : (message) => reasonOf(message) === options.reason,
  );
  let entries: QuarantineEntry[];
  try {
    entries = messages
      .map((message) => describeMessage(message))
      .filter((entry) => options.reason === undefined || entry.reason === options.reason);
  } finally {
    await ports.queue.release(messages.map(({ receiptHandle }) => receiptHandle));
  }
  // Read once the messages are visible again: hidden, they would count as in flight.
  const depth = await ports.queue.depth();
  return { messages: entries, read: messages.length, limit: options.limit, truncated, depth };
}

export async function redriveQuarantine(
  ports: QuarantinePorts,
  settings: QuarantineSettings,
  options: {
    readonly limit: number;
    readonly reason?: string;
    readonly dryRun: boolean;
    /** @default REDRIVE_BUDGET_MS */
    readonly budgetMs?: number;
  },
): Promise<RedriveReport> {
  const deadline = Date.now() + (options.budgetMs ?? REDRIVE_BUDGET_MS);
  const results: RedriveResult[] = [];
  let skipped = 0;
  // Every message is read before any is posted, so the new messages a redrive quarantines are not met again.
  const { messages, truncated } = await readMessages(
    ports.queue,
    options.limit,
    REDRIVE_VISIBILITY_SECONDS,
    options.reason === undefined ? undefined : (message) => reasonOf(message) === options.reason,
  );
  const deleted = new Set<string>();
  try {
    const picked: Array<{ message: QueueMessage; parsed: ParsedMessage | Error }> = [];
    for (const message of messages) {
      const parsed = parseMessage(message.body);
      const reason = parsed instanceof Error ? 'unreadable' : parsed.reason;
      if (options.reason !== undefined && reason !== options.reason) skipped++;
      else picked.push({ message, parsed });
    }
    const outcomes = await mapWithConcurrency(picked, REDRIVE_CONCURRENCY, ({ message, parsed }) =>
      Date.now() > deadline
        ? deferred(message, parsed)
        : redriveOne(message, parsed, ports, settings, options.dryRun),
    );
    for (const result of outcomes) {
      results.push(result);
      if (result.deleted) deleted.add(result.message_id);
    }
  } finally {
    const keep = messages.filter(({ messageId }) => !deleted.has(messageId));
    await ports.queue.release(keep.map(({ receiptHandle }) => receiptHandle));
  }
  ports.logger.info('Redrove quarantined records', {
    dryRun: options.dryRun,
    read: messages.length,
    skipped,
    outcomes: countOutcomes(results),
  });
  return {
    dry_run: options.dryRun,
    results,
    counts: countOutcomes(results),
    skipped,
    read: messages.length,
    limit: options.limit,
    truncated,
  };
}

function deferred(message: QueueMessage, parsed: ParsedMessage | Error): Promise<RedriveResult> {
  return Promise.resolve({
    message_id: message.messageId,
    reason: parsed instanceof Error ? 'unreadable' : parsed.reason,
    ...(parsed instanceof Error || parsed.logId === undefined ? {} : { log_id: parsed.logId }),
    outcome: 'deferred',
    deleted: false,
    detail: 'not posted: this run spent its time; run the redrive again',
  });
}

async function redriveOne(
  message: QueueMessage,
  parsed: ParsedMessage | Error,
  ports: QuarantinePorts,
  settings: QuarantineSettings,
  dryRun: boolean,
): Promise<RedriveResult> {
  const base = {
    message_id: message.messageId,
    reason: parsed instanceof Error ? 'unreadable' : parsed.reason,
    ...(parsed instanceof Error || parsed.logId === undefined ? {} : { log_id: parsed.logId }),
  };
  const notRedrivable = (detail: string): RedriveResult => ({
    ...base,
    outcome: 'not_redrivable',
    deleted: false,
    detail,
  });
  if (parsed instanceof Error) return notRedrivable(parsed.message);
  let request: IngestRequest | string;
  try {
    request = await ingestRequestFor(parsed, ports.records, settings);
  } catch (error) {
    return notRedrivable(`its record could not be read: ${describeError(error)}`);
  }
  if (typeof request === 'string') return notRedrivable(request);
  const path = request.path;
  const failed = (detail: string): RedriveResult => ({
    ...base,
    outcome: 'failed',
    deleted: false,
    path,
    detail,
  });
  const clearsMark = parsed.reason === 'publish_rejected' && parsed.logId !== undefined;
  if (dryRun) {
    return {
      ...base,
      outcome: 'would_post',
      deleted: false,
      path: request.path,
      detail: clearsMark
        ? `would post it to ${request.path}, after forgetting that its key was quarantined`
        : `would post it to ${request.path}`,
    };
  }
  // EventBridge refused it before, and the dedup table remembers it as quarantined: posted as it is, it
  // would count as a duplicate and never be published.
  if (clearsMark) {
    try {
      await ports.dedup.clearQuarantined(parsed.logId as string);
    } catch (error) {
      return failed(`its quarantined mark could not be read or cleared: ${describeError(error)}`);
    }
  }
  let answer: IngestAnswer;
  try {
    answer = await ports.ingest.post(request);
  } catch (error) {
    return failed(`the ingest did not answer: ${describeError(error)}`);
  }
  const counts = countsOf(answer.body);
  if (answer.statusCode !== 200 || counts.received < 1) {
    const said = messageOf(answer.body);
    return {
      ...base,
      outcome: answer.statusCode >= 500 || answer.statusCode === 429 ? 'failed' : 'refused',
      deleted: false,
      path: request.path,
      status: answer.statusCode,
      detail: `the ingest answered ${answer.statusCode}${said ? `: ${said}` : ''}; the message stays`,
    };
  }
  // 200: every record of the request is safe (published, published before, or quarantined anew).
  const outcome: RedriveOutcome =
    counts.quarantined > 0 ? 'quarantined_again' : counts.published > 0 ? 'published' : 'duplicate';
  const result = { ...base, outcome, path: request.path, status: 200 };
  try {
    await ports.queue.delete(message.receiptHandle);
  } catch (error) {
    return {
      ...result,
      deleted: false,
      detail: `the record is safe, but its message could not be deleted (${describeError(error)}); a later redrive finds it a duplicate`,
    };
  }
  return {
    ...result,
    deleted: true,
    ...(outcome === 'quarantined_again'
      ? { detail: 'still not publishable: a new quarantine message replaces this one' }
      : {}),
  };
}

/**
 * The request that posts a record again the way it first came in. Only log records are quarantined for
 * their content; Actions and Event Streams events are quarantined only when EventBridge refused them, and
 * their dedup key (`action:<trigger>:…`, `event:…`) says which path they came in on. A string stands for
 * why the record cannot be posted.
 */
export async function ingestRequestFor(
  parsed: ParsedMessage,
  records: StoredRecords,
  settings: QuarantineSettings,
): Promise<IngestRequest | string> {
  const text = await recordText(parsed, records, settings);
  if (typeof text !== 'object') return text;
  const surface = surfaceOf(parsed);
  if (surface === 'actions') {
    const [, trigger = '', ...rest] = (parsed.logId as string).split(':');
    const key = rest.join(':');
    if (key.startsWith('key-sha256:')) {
      return 'its Idempotency-Key was longer than 512 bytes and only its hash was kept; posting it again would publish it under another key';
    }
    const headers = key.startsWith('key:') ? { 'idempotency-key': key.slice('key:'.length) } : undefined;
    return {
      path: `/actions/${encodeURIComponent(trigger)}`,
      body: text.json,
      ...(headers ? { headers } : {}),
    };
  }
  if (surface === 'events') return { path: '/events', body: text.json };
  // A line that was not JSON, or text too deep to read, was kept as the text itself: it goes back as the body.
  if (text.raw !== undefined) return { path: '/', body: text.raw };
  return { path: '/', body: `[${text.json}]` };
}

/** The record as JSON text (or, for text kept as it was received, that text), or why there is none. */
async function recordText(
  parsed: ParsedMessage,
  records: StoredRecords,
  settings: QuarantineSettings,
): Promise<{ json: string; raw?: string } | string> {
  const keptAsText = parsed.reason === 'invalid_json' || parsed.reason === 'too_deep';
  if (parsed.record) {
    const { value } = parsed.record;
    if (typeof value === 'string' && keptAsText) return { json: JSON.stringify(value), raw: value };
    return { json: stringifySafely(value) };
  }
  if (!parsed.location) return 'the message holds no record and no record_location';
  if (parsed.location.bucket !== settings.claimCheckBucket) {
    return `its record_location is in bucket ${JSON.stringify(parsed.location.bucket.slice(0, 64))}, not the quarantine's ${JSON.stringify(settings.claimCheckBucket)}`;
  }
  const stored = await records.read(parsed.location);
  // Stored with stringifySafely: a string record is a JSON string literal, cheap to read; anything else is
  // posted as the exact text stored, without a parse that deep nesting or long numbers could trip.
  if (keptAsText && stored.trimStart().startsWith('"')) {
    const value = JSON.parse(stored) as string;
    return { json: stored, raw: value };
  }
  return { json: stored };
}

export function surfaceOf(parsed: Pick<ParsedMessage, 'reason' | 'logId'>): Surface {
  if (parsed.reason !== 'publish_rejected' || parsed.logId === undefined) return 'logs';
  if (/^action:[^:]+:/.test(parsed.logId)) return 'actions';
  if (parsed.logId.startsWith('event:')) return 'events';
  return 'logs';
}

function describeMessage(message: QueueMessage): QuarantineEntry {
  const parsed = parseMessage(message.body);
  if (parsed instanceof Error) {
    return {
      message_id: message.messageId,
      reason: 'unreadable',
      message: parsed.message,
      surface: 'logs',
      stored: 'none',
      ...(message.sentAt ? { received_at: message.sentAt.toISOString() } : {}),
    };
  }
  return {
    message_id: message.messageId,
    reason: parsed.reason,
    ...(parsed.message === undefined ? {} : { message: parsed.message }),
    ...(parsed.logId === undefined ? {} : { log_id: parsed.logId }),
    ...(parsed.errorCode === undefined ? {} : { error_code: parsed.errorCode }),
    ...(parsed.position === undefined ? {} : { position: parsed.position }),
    ...(parsed.requestId === undefined ? {} : { request_id: parsed.requestId }),
    ...(parsed.receivedAt === undefined
      ? message.sentAt
        ? { received_at: message.sentAt.toISOString() }
        : {}
      : { received_at: parsed.receivedAt }),
    surface: surfaceOf(parsed),
    stored: parsed.record ? 'inline' : parsed.location ? 's3' : 'none',
  };
}

/** A quarantine message (lambdas/ingest/adapters/sqs-quarantine.ts); an Error says why it is not one. */
export function parseMessage(body: string): ParsedMessage | Error {
  let value: unknown;
  try {
    value = parseJsonFaithfully(body);
  } catch (error) {
    return new Error(
      error instanceof RangeError
        ? 'the message nests too deep to be read'
        : 'the message is not JSON: it was not written by the ingest',
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new Error('the message is not a JSON object: it was not written by the ingest');
  }
  const fields = value as Record<string, unknown>;
  if (typeof fields.reason !== 'string') {
    return new Error('the message has no "reason": it was not written by the ingest');
  }
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
  const location = fields.record_location as Record<string, unknown> | undefined;
  const position = fields.position;
  return {
    reason: fields.reason,
    ...optional('message', text('message')),
    ...optional('logId', text('log_id')),
    ...optional('errorCode', text('error_code')),
    ...optional('requestId', text('request_id')),
    ...optional('receivedAt', text('received_at')),
    ...(typeof position === 'number' || isRawJson(position) ? { position: Number(position) } : {}),
    ...(Object.hasOwn(fields, 'record') ? { record: { value: fields.record } } : {}),
    ...(location && typeof location.bucket === 'string' && typeof location.key === 'string'
      ? { location: { bucket: location.bucket, key: location.key } }
      : {}),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * Receives distinct messages, 10 at a time, each hidden for `visibilitySeconds`, until `limit` of them match
 * (all match without `matches`) or `MAX_LIST_LIMIT` were read. Stops at the first empty receive: the adapter
 * long-polls briefly, so an empty answer means nothing more is visible.
 */
async function readMessages(
  queue: QuarantineQueue,
  limit: number,
  visibilitySeconds: number,
  matches: (message: QueueMessage) => boolean = () => true,
): Promise<{ messages: QueueMessage[]; truncated: boolean }> {
  const byId = new Map<string, QueueMessage>();
  const extraHandles: string[] = [];
  const maxRead = Math.max(limit, MAX_LIST_LIMIT);
  let matched = 0;
  try {
    for (let call = 0; call < Math.ceil(maxRead / 10) + 3 && matched < limit && byId.size < maxRead; call++) {
      const batch = await queue.receive(
        Math.min(10, limit - matched, maxRead - byId.size),
        visibilitySeconds,
      );
      if (batch.length === 0) break;
      for (const message of batch) {
        if (byId.has(message.messageId)) {
          extraHandles.push(message.receiptHandle);
          continue;
        }
        byId.set(message.messageId, message);
        if (matches(message)) matched++;
      }
    }
  } catch (error) {
    await queue.release([...[...byId.values()].map(({ receiptHandle }) => receiptHandle), ...extraHandles]);
    throw error;
  }
  if (extraHandles.length > 0) await queue.release(extraHandles);
  return { messages: [...byId.values()], truncated: matched >= limit || byId.size >= maxRead };
}

function reasonOf(message: QueueMessage): string {
  const parsed = parseMessage(message.body);
  return parsed instanceof Error ? 'unreadable' : parsed.reason;
}

function countsOf(body: unknown) {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const number = (name: string) => (typeof fields[name] === 'number' ? (fields[name] as number) : 0);
  return {
    received: number('received'),
    published: number('published'),
    duplicates: number('duplicates'),
    quarantined: number('quarantined'),
  };
}

function messageOf(body: unknown): string | undefined {
  const message = (body as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' ? message.slice(0, 300) : undefined;
}

function countOutcomes(results: readonly RedriveResult[]): Record<RedriveOutcome, number> {
  const counts: Record<RedriveOutcome, number> = {
    published: 0,
    duplicate: 0,
    quarantined_again: 0,
    would_post: 0,
    refused: 0,
    failed: 0,
    not_redrivable: 0,
    deferred: 0,
  };
  for (const { outcome } of results) counts[outcome]++;
  return counts;
}
