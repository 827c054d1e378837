import { randomUUID } from 'node:crypto';
import { mapWithConcurrency, once, sleep as realSleep } from '../shared/concurrency';
import { describeError, HttpError, isHttpError } from '../shared/errors';
import { lazyModuleUrl } from '../shared/lazy-module';
import { isAuthorized } from './authorize';
import {
  type ClaimCheckPointer,
  claimCheckKey,
  type Deliverable,
  type EventOptions,
  entrySize,
  sha256Hex,
  toEventEntry,
} from './event';
import { receiveEventStream } from './event-streams';
import { receiveLogs } from './logs';
import type { ClaimState, EventEntry, IngestPorts, QuarantinedRecord } from './ports';
import { type EntryError, type Publishable, publishAll } from './publish';
import { type IngestRequest, readBody } from './receive';
import type { Received } from './received';

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
  /** How the body was laid out: `JSONARRAY`, `ACTION_EVENT`, `CLOUDEVENT`… */
  format?: string;
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
  /** The dedup key: the log_id of a log record. */
  readonly key: string;
  readonly reason: string;
}

/**
 * Receives one delivery: authorize → route by path → read → parse → validate → claim → publish → remember.
 * Answers 2xx only when every record is published, was published before, or is quarantined.
 *
 * | Path                   | Body                                    | Published as              |
 * | ---------------------- | --------------------------------------- | ------------------------- |
 * | `/`                    | Custom Webhook log stream batch         | `Auth0 log`               |
 * | `/actions/<trigger>`   | one Auth0 Actions `event` object        | `Auth0 action: <trigger>` |
 * | `/events`              | a CloudEvent or a batch (Event Streams) | `Auth0 event: <type>`     |
 */
export async function ingest(
  request: IngestRequest,
  ports: IngestPorts,
  settings: IngestSettings,
): Promise<IngestOutcome> {
  const stats = emptyStats();
  try {
    await refuseUnlessAcceptable(request, ports);
    const receive = receiverFor(request.path ?? '/');
    const received = await receive(readBody(request, settings.maxBodyBytes), request.headers);
    stats.format = received.format;
    stats.received = received.count;
    return { response: await deliver(received, ports, settings, stats), stats };
  } catch (error) {
    if (isHttpError(error)) {
      const headers: Record<string, string> = error.statusCode === 405 ? { Allow: 'POST' } : {};
      return { response: json(error.statusCode, { message: error.message }, headers), stats };
    }
    throw error;
  }
}

type Receiver = (text: string, headers: IngestRequest['headers']) => Received | Promise<Received>;

/** The parser for a path: the path table above. Any other path is a 404 that lists the paths. */
function receiverFor(path: string): Receiver {
  if (path === '/' || path === '') return receiveLogs;
  if (path === '/events' || path === '/events/') return receiveEventStream;
  const action = /^\/actions\/([^/]*)\/?$/.exec(path);
  if (action) {
    const trigger = decodePathSegment(action[1] ?? '');
    return async (text, headers) => (await actionEvents()).receiveActionEvent(trigger, text, headers);
  }
  throw new HttpError(
    404,
    `Nothing is served at ${JSON.stringify(path.slice(0, 100))}. POST Auth0 log stream batches to /, Auth0 Actions events to /actions/<trigger>, and Auth0 Event Streams CloudEvents to /events.`,
  );
}

/**
 * The Actions event receiver and its validators: a file of its own beside the bundle (lib/ingest.ts,
 * INGEST_LAZY_ENTRIES), loaded on the first Actions event, so that a cold start serving logs does not compile it.
 * It has its own copy of HttpError: refusals are recognised with `isHttpError`.
 */
const actionEvents = once(
  (): Promise<typeof import('./action-events/receive')> =>
    import(lazyModuleUrl('action-events/receive', import.meta.url)),
);

/** A path segment as text; one that is not valid percent-encoding is taken as written (and found unknown). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function refuseUnlessAcceptable(request: IngestRequest, ports: IngestPorts): Promise<void> {
  if (request.method.toUpperCase() !== 'POST') {
    throw new HttpError(
      405,
      `Method ${request.method} is not allowed; Auth0 log streams, Actions and Event Streams POST their events.`,
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
  received: Received,
  ports: IngestPorts,
  settings: IngestSettings,
  stats: IngestStats,
): Promise<HttpResponse> {
  const { logger } = ports;
  const now = ports.now?.() ?? new Date();
  const leaseId = ports.newId?.() ?? randomUUID();
  const quarantine: QuarantinedRecord[] = [...received.quarantine];
  const failures: Failure[] = [];

  const unique = new Map<string, Deliverable>();
  for (const item of received.deliverables) {
    if (unique.has(item.key)) stats.duplicates++;
    else unique.set(item.key, item);
  }

  // Claim every key: only a fresh claim may publish; the rest were published, quarantined or are in flight.
  const items = [...unique.values()];
  const claims = await ports.dedup
    .claim(
      items.map(({ key }) => key),
      leaseId,
    )
    .catch((error: unknown): Array<ClaimState | Error> => items.map(() => asError(error)));
  const claimed: Deliverable[] = [];
  items.forEach((item, index) => {
    const claim = claims[index];
    if (claim === 'claimed') claimed.push(item);
    else if (claim === 'published' || claim === 'quarantined') stats.duplicates++;
    else if (claim === 'in-flight')
      failures.push({ key: item.key, reason: 'another delivery is publishing it' });
    else failures.push({ key: item.key, reason: `dedup claim failed: ${describeError(claim)}` });
  });

  reportSchemaWarnings(claimed, stats, ports);

  // Built in one synchronous pass: only the rare event too large for a request waits on the claim-check store.
  const options = { busName: settings.busName, source: settings.source };
  const publishable: Publishable[] = [];
  const oversized: Deliverable[] = [];
  for (const item of claimed) {
    const entry = toEventEntry(item, options);
    const size = entrySize(entry);
    if (size > settings.maxPutEventsBytes) oversized.push(item);
    else {
      publishable.push({ key: item.key, entry, size });
      item.written?.(entry.Detail);
    }
  }
  await mapWithConcurrency(oversized, settings.concurrency, async (item) => {
    try {
      publishable.push(await claimChecked(item, now, ports, options, settings, stats));
    } catch (error) {
      failures.push({ key: item.key, reason: `claim-check store failed: ${describeError(error)}` });
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
  const byCategory = new Map<string, number>();
  for (const key of report.accepted) {
    const category = unique.get(key)?.category ?? 'unknown';
    byCategory.set(category, (byCategory.get(category) ?? 0) + 1);
  }
  stats.publishedByCategory = Object.fromEntries(byCategory);
  for (const { key, errorCode, errorMessage } of report.failed) {
    failures.push({ key, reason: `EventBridge ${errorCode}: ${errorMessage}` });
  }
  for (const rejected of report.rejected) quarantine.push(rejectedRecord(rejected, unique));

  const rejectedIds = report.rejected.map(({ key }) => key);
  await sendToQuarantine(quarantine, rejectedIds, leaseId, ports, stats, failures);
  await rememberPublished(report.accepted, leaseId, ports, stats);

  if (failures.length > 0) {
    const claimedIds = new Set(claimed.map(({ key }) => key));
    const failedClaims = failures.map(({ key }) => key).filter((key) => claimedIds.has(key));
    await ports.dedup
      .release(failedClaims, leaseId)
      .catch((error: unknown) =>
        logger.warn('Could not release dedup leases', { error: describeError(error) }),
      );
  }

  stats.failed = failures.length;
  const counts = {
    received: stats.received,
    published: stats.published,
    duplicates: stats.duplicates,
    quarantined: stats.quarantined,
  };
  logger.info('Ingested a delivery', { format: stats.format, ...counts, failed: stats.failed });
  if (failures.length === 0) return json(200, counts);

  logger.error('Records are not safe yet; answering 503 so that the sender delivers them again', {
    failures: failures.slice(0, 20),
  });
  return json(503, {
    message: `${failures.length} of ${stats.received} records could not be published yet; deliver the batch again.`,
    ...counts,
    failed: failures.length,
  });
}

/** An event too large for any PutEvents request: stored whole, and published as a pointer that routes the same way. */
async function claimChecked(
  item: Deliverable,
  now: Date,
  ports: IngestPorts,
  options: EventOptions,
  settings: IngestSettings,
  stats: IngestStats,
): Promise<Publishable> {
  const body = JSON.stringify(item.detail);
  const stored = await ports.claimChecks.put(claimCheckKey(item.key, now), body);
  const pointer: ClaimCheckPointer = {
    ...stored,
    bytes: Buffer.byteLength(body, 'utf8'),
    sha256: sha256Hex(body),
  };
  stats.claimChecked++;
  const candidates = item.pointerDetails(pointer).map((detail) => toEventEntry({ ...item, detail }, options));
  const fits = candidates.find((candidate) => entrySize(candidate) <= settings.maxPutEventsBytes);
  const chosen = fits ?? (candidates.at(-1) as EventEntry);
  return { key: item.key, entry: chosen, size: entrySize(chosen) };
}

function rejectedRecord(rejected: EntryError, items: ReadonlyMap<string, Deliverable>): QuarantinedRecord {
  const item = items.get(rejected.key) as Deliverable;
  return {
    reason: 'publish_rejected',
    message: `EventBridge refused the event with ${rejected.errorCode}: ${rejected.errorMessage}`,
    errorCode: rejected.errorCode,
    position: item.position,
    logId: item.key,
    record: item.record,
  };
}

async function sendToQuarantine(
  records: readonly QuarantinedRecord[],
  rejectedIds: readonly string[],
  leaseId: string,
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
        key: record.logId ?? `position ${record.position}`,
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
  await ports.dedup.markQuarantined(quarantinedIds, leaseId).catch((error: unknown) => {
    stats.dedupWriteFailures += quarantinedIds.length;
    ports.logger.error('Could not remember quarantined log_ids', { error: describeError(error) });
  });
}

/** The records are on the bus: a failure to remember that costs a duplicate on redelivery, never a loss. */
async function rememberPublished(
  logIds: readonly string[],
  leaseId: string,
  ports: IngestPorts,
  stats: IngestStats,
): Promise<void> {
  if (logIds.length === 0) return;
  await ports.dedup.markPublished(logIds, leaseId).catch((error: unknown) => {
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

function reportSchemaWarnings(items: readonly Deliverable[], stats: IngestStats, ports: IngestPorts): void {
  const flagged = items.filter((item) => item.warnings.length > 0);
  stats.schemaWarnings = flagged.length;
  if (flagged.length === 0) return;
  ports.logger.warn('Records differ from the Auth0 log schema; published as received', {
    records: flagged.slice(0, 10).map(({ key, detailType, warnings }) => ({ key, detailType, warnings })),
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
