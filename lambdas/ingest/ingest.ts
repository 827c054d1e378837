import { randomUUID } from 'node:crypto';
import { mapWithConcurrency, sleep as realSleep } from '../shared/concurrency';
import { describeError, HttpError } from '../shared/errors';
import { categoryOf } from '../shared/log-types';
import { isAuthorized } from './authorize';
import {
  type Auth0LogDetail,
  type ClaimCheckPointer,
  claimCheckKey,
  entrySize,
  sha256Hex,
  toDetail,
  toEventEntry,
  toPointerDetail,
} from './event';
import { type BodyFormat, parseBody, UnparsedText } from './parse';
import type { ClaimState, IngestPorts, QuarantinedRecord } from './ports';
import { type EntryError, type Publishable, publishAll } from './publish';
import { type IngestRequest, readBody } from './receive';
import { type LogEntry, validateElement } from './validate';

export interface IngestSettings {
  readonly busName: string;
  /** The event source, `auth0.logs` by default. */
  readonly source: string;
  /** Largest accepted request body, before and after decompression. */
  readonly maxBodyBytes: number;
  /** PutEvents request size limit (256 KB historically, 1 MB since January 2026). */
  readonly maxPutEventsBytes: number;
  readonly publishMaxAttempts: number;
  readonly publishBaseDelayMs: number;
  readonly publishMaxDelayMs: number;
  /** DynamoDB and PutEvents calls in flight at once. */
  readonly concurrency: number;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** What happened to one request, for the response, the logs and the metrics. */
export interface IngestStats {
  format?: BodyFormat;
  received: number;
  published: number;
  duplicates: number;
  quarantined: number;
  /** Records not safe yet: Auth0 must deliver them again. */
  failed: number;
  publishRetries: number;
  claimChecked: number;
  schemaWarnings: number;
  dedupWriteFailures: number;
  publishedByCategory: Record<string, number>;
}

export interface IngestOutcome {
  readonly response: HttpResponse;
  readonly stats: IngestStats;
}

interface Failure {
  readonly logId: string;
  readonly reason: string;
}

/**
 * Receives one Custom Webhook delivery: authorize → read → parse → validate → claim → publish → remember.
 * Answers 2xx only when every record is published, was published before, or is quarantined.
 */
export async function ingest(
  request: IngestRequest,
  ports: IngestPorts,
  settings: IngestSettings,
): Promise<IngestOutcome> {
  const stats = emptyStats();
  try {
    await refuseUnlessAcceptable(request, ports);
    const { format, elements } = parseBody(readBody(request, settings.maxBodyBytes));
    stats.format = format;
    stats.received = elements.length;
    return { response: await deliver(elements, ports, settings, stats), stats };
  } catch (error) {
    if (error instanceof HttpError) {
      const headers: Record<string, string> = error.statusCode === 405 ? { Allow: 'POST' } : {};
      return { response: json(error.statusCode, { message: error.message }, headers), stats };
    }
    throw error;
  }
}

async function refuseUnlessAcceptable(request: IngestRequest, ports: IngestPorts): Promise<void> {
  if (request.method.toUpperCase() !== 'POST') {
    throw new HttpError(
      405,
      `Method ${request.method} is not allowed; Auth0 log streams POST their batches.`,
    );
  }
  const header = request.headers.authorization;
  if (!header?.trim()) throw new HttpError(401, 'Unauthorized: the Authorization header is missing.');
  if (isAuthorized(header, await ports.tokens.current())) return;
  // The token may have been rotated since the cache was filled.
  if (isAuthorized(header, await ports.tokens.refresh())) return;
  throw new HttpError(401, 'Unauthorized: the Authorization header holds no valid token.');
}

async function deliver(
  elements: readonly unknown[],
  ports: IngestPorts,
  settings: IngestSettings,
  stats: IngestStats,
): Promise<HttpResponse> {
  const { logger } = ports;
  const now = ports.now?.() ?? new Date();
  const leaseId = ports.newId?.() ?? randomUUID();
  const quarantine: QuarantinedRecord[] = [];
  const failures: Failure[] = [];

  const unique = new Map<string, LogEntry>();
  elements.forEach((element, position) => {
    const result = validateElement(element, position);
    if (!result.ok) {
      const { reason, message, logId } = result;
      const record = element instanceof UnparsedText ? element.text : element;
      quarantine.push({ reason, message, position, record, ...(logId ? { logId } : {}) });
    } else if (unique.has(result.entry.logId)) stats.duplicates++;
    else unique.set(result.entry.logId, result.entry);
  });

  // Claim every log_id: only a fresh claim may publish; the rest were published, quarantined or are in flight.
  const entries = [...unique.values()];
  const claims = await mapWithConcurrency(entries, settings.concurrency, async (entry) =>
    ports.dedup.claim(entry.logId, leaseId).catch((error: unknown): ClaimState | Error => asError(error)),
  );
  const claimed: LogEntry[] = [];
  entries.forEach((entry, index) => {
    const claim = claims[index];
    if (claim === 'claimed') claimed.push(entry);
    else if (claim === 'published' || claim === 'quarantined') stats.duplicates++;
    else if (claim === 'in-flight')
      failures.push({ logId: entry.logId, reason: 'another delivery is publishing it' });
    else failures.push({ logId: entry.logId, reason: `dedup claim failed: ${describeError(claim)}` });
  });

  reportSchemaWarnings(claimed, stats, ports);

  const publishable: Publishable[] = [];
  await mapWithConcurrency(claimed, settings.concurrency, async (entry) => {
    try {
      publishable.push(await toPublishable(entry, now, ports, settings, stats));
    } catch (error) {
      failures.push({ logId: entry.logId, reason: `claim-check store failed: ${describeError(error)}` });
    }
  });

  const report = await publishAll(publishable, ports.sink, {
    limits: { maxEntries: 10, maxBytes: settings.maxPutEventsBytes },
    maxAttempts: settings.publishMaxAttempts,
    baseDelayMs: settings.publishBaseDelayMs,
    maxDelayMs: settings.publishMaxDelayMs,
    concurrency: settings.concurrency,
    sleep: ports.sleep ?? realSleep,
  });
  stats.publishRetries = report.retries;
  stats.published = report.accepted.length;
  for (const logId of report.accepted) {
    const category = categoryOf(unique.get(logId)?.type ?? '');
    stats.publishedByCategory[category] = (stats.publishedByCategory[category] ?? 0) + 1;
  }
  for (const { key, errorCode, errorMessage } of report.failed) {
    failures.push({ logId: key, reason: `EventBridge ${errorCode}: ${errorMessage}` });
  }
  for (const rejected of report.rejected) quarantine.push(rejectedRecord(rejected, unique));

  const rejectedIds = report.rejected.map(({ key }) => key);
  await sendToQuarantine(quarantine, rejectedIds, ports, stats, failures);
  await rememberPublished(report.accepted, ports, stats);

  const claimedIds = new Set(claimed.map(({ logId }) => logId));
  const failedClaims = failures.map(({ logId }) => logId).filter((logId) => claimedIds.has(logId));
  await ports.dedup
    .release(failedClaims, leaseId)
    .catch((error: unknown) =>
      logger.warn('Could not release dedup leases', { error: describeError(error) }),
    );

  stats.failed = failures.length;
  const counts = {
    received: stats.received,
    published: stats.published,
    duplicates: stats.duplicates,
    quarantined: stats.quarantined,
  };
  logger.info('Ingested a log stream delivery', { format: stats.format, ...counts, failed: stats.failed });
  if (failures.length === 0) return json(200, counts);

  logger.error('Records are not safe yet; answering 503 so that Auth0 delivers them again', {
    failures: failures.slice(0, 20),
  });
  return json(503, {
    message: `${failures.length} of ${stats.received} records could not be published yet; deliver the batch again.`,
    ...counts,
    failed: failures.length,
  });
}

async function toPublishable(
  entry: LogEntry,
  now: Date,
  ports: IngestPorts,
  settings: IngestSettings,
  stats: IngestStats,
): Promise<Publishable> {
  const options = { busName: settings.busName, source: settings.source };
  const detail = toDetail(entry);
  const event = toEventEntry(detail, entry.data, options);
  const size = entrySize(event);
  if (size <= settings.maxPutEventsBytes) return { key: entry.logId, entry: event, size };

  // Too large for any PutEvents request: store it whole and publish a pointer that routes the same way.
  const body = JSON.stringify(detail);
  const stored = await ports.claimChecks.put(claimCheckKey(entry.logId, now), body);
  const pointer: ClaimCheckPointer = {
    ...stored,
    bytes: Buffer.byteLength(body, 'utf8'),
    sha256: sha256Hex(body),
  };
  stats.claimChecked++;
  let pointerDetail: Auth0LogDetail = toPointerDetail(detail, pointer);
  let pointerEvent = toEventEntry(pointerDetail, entry.data, options);
  if (entrySize(pointerEvent) > settings.maxPutEventsBytes) {
    pointerDetail = { ...pointerDetail, data: { type: entry.type, date: entry.data.date } };
    pointerEvent = toEventEntry(pointerDetail, entry.data, options);
  }
  return { key: entry.logId, entry: pointerEvent, size: entrySize(pointerEvent) };
}

function rejectedRecord(rejected: EntryError, entries: ReadonlyMap<string, LogEntry>): QuarantinedRecord {
  const entry = entries.get(rejected.key) as LogEntry;
  return {
    reason: 'publish_rejected',
    message: `EventBridge refused the event with ${rejected.errorCode}: ${rejected.errorMessage}`,
    errorCode: rejected.errorCode,
    position: entry.position,
    logId: entry.logId,
    record: { log_id: entry.logId, data: entry.data },
  };
}

async function sendToQuarantine(
  records: readonly QuarantinedRecord[],
  rejectedIds: readonly string[],
  ports: IngestPorts,
  stats: IngestStats,
  failures: Failure[],
): Promise<void> {
  if (records.length === 0) return;
  let notStored: ReadonlyMap<number, string>;
  try {
    const failed = await ports.quarantine.send(records, ports.newId?.() ?? randomUUID());
    notStored = new Map(failed.map(({ index, reason }) => [index, reason]));
  } catch (error) {
    notStored = new Map(records.map((_, index) => [index, describeError(error)]));
  }
  const stored: QuarantinedRecord[] = [];
  records.forEach((record, index) => {
    const reason = notStored.get(index);
    if (reason === undefined) stored.push(record);
    else
      failures.push({
        logId: record.logId ?? `position ${record.position}`,
        reason: `quarantine failed: ${reason}`,
      });
  });
  stats.quarantined = stored.length;
  if (stored.length === 0) return;
  ports.logger.warn('Quarantined records', {
    records: stored
      .slice(0, 20)
      .map(({ reason, message, logId, position }) => ({ reason, message, logId, position })),
  });
  const storedIds = new Set(stored.map(({ logId }) => logId));
  const quarantinedIds = rejectedIds.filter((logId) => storedIds.has(logId));
  await ports.dedup.markQuarantined(quarantinedIds).catch((error: unknown) => {
    stats.dedupWriteFailures += quarantinedIds.length;
    ports.logger.error('Could not remember quarantined log_ids', { error: describeError(error) });
  });
}

/** The records are on the bus: a failure to remember that costs a duplicate on redelivery, never a loss. */
async function rememberPublished(
  logIds: readonly string[],
  ports: IngestPorts,
  stats: IngestStats,
): Promise<void> {
  if (logIds.length === 0) return;
  await ports.dedup.markPublished(logIds).catch((error: unknown) => {
    stats.dedupWriteFailures += logIds.length;
    ports.logger.error(
      'Published records could not be marked as seen; a redelivery would publish them again',
      {
        count: logIds.length,
        error: describeError(error),
      },
    );
  });
}

function reportSchemaWarnings(entries: readonly LogEntry[], stats: IngestStats, ports: IngestPorts): void {
  const flagged = entries.filter((entry) => entry.warnings.length > 0);
  stats.schemaWarnings = flagged.length;
  if (flagged.length === 0) return;
  ports.logger.warn('Records differ from the Auth0 log schema; published as received', {
    records: flagged.slice(0, 10).map(({ logId, type, warnings }) => ({ logId, type, warnings })),
  });
}

function emptyStats(): IngestStats {
  return {
    received: 0,
    published: 0,
    duplicates: 0,
    quarantined: 0,
    failed: 0,
    publishRetries: 0,
    claimChecked: 0,
    schemaWarnings: 0,
    dedupWriteFailures: 0,
    publishedByCategory: {},
  };
}

function json(statusCode: number, body: object, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
