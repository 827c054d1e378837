import { backoffDelayMs, mapWithConcurrency } from '../shared/concurrency';
import { type BatchLimits, packBatches } from './batch';
import type { EventEntry, EventSink } from './ports';

/** Per-entry PutEvents error codes worth sending again; every other code fails the same way on a retry. */
export const RETRYABLE_ENTRY_ERRORS: ReadonlySet<string> = new Set([
  'InternalFailure',
  'ThrottlingException',
]);

export interface Publishable {
  readonly key: string;
  readonly entry: EventEntry;
  readonly size: number;
}

export interface EntryError {
  readonly key: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

export interface PublishReport {
  /** Keys of the entries EventBridge accepted. */
  readonly accepted: string[];
  /** Entries EventBridge refused for good (a non-retryable error code): these go to quarantine. */
  readonly rejected: EntryError[];
  /** Entries still not accepted after every attempt, or whose request failed as a whole: not safe yet. */
  readonly failed: EntryError[];
  /** How many entry sends were retries. */
  readonly retries: number;
}

export interface PublishOptions {
  readonly limits: BatchLimits;
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** PutEvents requests in flight at once. */
  readonly concurrency: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

type Attempt =
  | { ok: true }
  | { ok: false; retryable: boolean; requestFailed: boolean; errorCode: string; errorMessage: string };

/** What a batch's sending says of each entry, in the batch's order; the one success is shared. */
const ACCEPTED: Attempt = Object.freeze({ ok: true });

/**
 * Publishes entries in as few requests as the count and size limits allow (EventBridge keeps no order between
 * entries, so they are packed by size, not sent in order). Entries that fail with a retryable
 * code are sent again, on their own, after a backoff with full jitter; the others are reported as rejected.
 */
export async function publishAll(
  items: readonly Publishable[],
  sink: EventSink,
  options: PublishOptions,
): Promise<PublishReport> {
  const accepted: string[] = [];
  const rejected: EntryError[] = [];
  const failed: EntryError[] = [];
  let retries = 0;
  let pending: readonly Publishable[] = items;
  let lastErrors = new Map<string, EntryError>();

  for (let attempt = 1; pending.length > 0 && attempt <= options.maxAttempts; attempt++) {
    if (attempt > 1) {
      retries += pending.length;
      await options.sleep(
        backoffDelayMs(attempt - 1, options.baseDelayMs, options.maxDelayMs, options.random),
      );
    }
    const batches = packBatches(pending, options.limits);
    const outcomes = await mapWithConcurrency(batches, options.concurrency, (batch) =>
      sendBatch(batch, sink),
    );
    const next: Publishable[] = [];
    const nextErrors = new Map<string, EntryError>();
    batches.forEach((batch, b) => {
      const attempts = outcomes[b] as Attempt[];
      batch.forEach((item, index) => {
        const outcome = attempts[index] as Attempt;
        if (outcome.ok) {
          accepted.push(item.key);
          return;
        }
        const error = { key: item.key, errorCode: outcome.errorCode, errorMessage: outcome.errorMessage };
        if (outcome.retryable) {
          next.push(item);
          nextErrors.set(item.key, error);
        } else if (outcome.requestFailed) failed.push(error);
        else rejected.push(error);
      });
    });
    pending = next;
    lastErrors = nextErrors;
  }
  for (const item of pending) {
    failed.push(
      lastErrors.get(item.key) ?? {
        key: item.key,
        errorCode: 'NotAttempted',
        errorMessage: 'No attempt was made',
      },
    );
  }
  return { accepted, rejected, failed, retries };
}

/**
 * Sends one batch, and says what became of each entry, in order. When EventBridge refuses the request as a whole for its content (a ValidationException),
 * nothing of it was published: the batch is split in halves and each sent again, down to the one entry at
 * fault, which is rejected (and quarantined) on its own while its neighbours go through.
 */
async function sendBatch(batch: readonly Publishable[], sink: EventSink): Promise<Attempt[]> {
  try {
    const results = await sink.putEvents(batch.map((item) => item.entry));
    return batch.map((_, index): Attempt => {
      const result = results[index];
      if (result === undefined) {
        return failure(true, false, 'MissingResult', 'PutEvents returned fewer results than entries sent');
      }
      if (result.ok) return ACCEPTED;
      return failure(
        RETRYABLE_ENTRY_ERRORS.has(result.errorCode),
        false,
        result.errorCode,
        result.errorMessage,
      );
    });
  } catch (error) {
    const code = errorName(error);
    const message = (error as Error)?.message ?? '';
    if (isContentRefusal(error)) {
      if (batch.length === 1) return [failure(false, false, code, message)];
      const half = Math.ceil(batch.length / 2);
      const [first, second] = await Promise.all([
        sendBatch(batch.slice(0, half), sink),
        sendBatch(batch.slice(half), sink),
      ]);
      return [...first, ...second];
    }
    const attempt = failure(isRetryableRequestError(error), true, code, message);
    return batch.map(() => attempt);
  }
}

/**
 * A 400 that blames the request's content, not the caller's identity, permissions or the bus: sending the
 * same entries again can never work, and some entry of them is at fault.
 */
export function isContentRefusal(error: unknown): boolean {
  const candidate = error as { $metadata?: { httpStatusCode?: number }; name?: string };
  if (candidate?.$metadata?.httpStatusCode !== 400 || !candidate.name) return false;
  return /^(ValidationException|InvalidArgument|InvalidParameter\w*|SerializationException)$/.test(
    candidate.name,
  );
}

function failure(
  retryable: boolean,
  requestFailed: boolean,
  errorCode: string,
  errorMessage: string,
): Attempt {
  return { ok: false, retryable, requestFailed, errorCode, errorMessage };
}

/** A request that failed as a whole is worth retrying unless AWS said, with a 4xx, that it will never work. */
export function isRetryableRequestError(error: unknown): boolean {
  const candidate = error as { $retryable?: unknown; $metadata?: { httpStatusCode?: number }; name?: string };
  if (candidate?.$retryable) return true;
  if (candidate?.name && /Throttl|TooManyRequests|RequestLimitExceeded/.test(candidate.name)) return true;
  const status = candidate?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}
