import type { FiringAlarm, IngestActivity, StatusPort, WatchedQueue } from '../ports';

/** One answer of the ingest, as the local server saw it. */
export interface IngestAnswerCounts {
  readonly statusCode: number;
  readonly received?: number;
  readonly published?: number;
  readonly duplicates?: number;
  readonly quarantined?: number;
  readonly failed?: number;
}

interface Minute {
  readonly at: number;
  received: number;
  published: number;
  duplicates: number;
  quarantined: number;
  failed: number;
}

const MINUTE_MS = 60_000;
/** A day of minutes is all the status asks for; older minutes are dropped as new ones come. */
const KEEP_MINUTES = 7 * 24 * 60;

/**
 * The ingest's counts where there is no CloudWatch: local mode feeds it every answer the ingest gives (the
 * counts are in the answer's body), per minute, as the EMF metrics would be.
 */
export class IngestActivityCounter {
  private readonly minutes: Minute[] = [];
  public readonly since: Date;

  public constructor(private readonly now: () => Date = () => new Date()) {
    this.since = now();
  }

  /** Counts one answer of the ingest. Answers without records (401, 404, 413…) count for nothing. */
  public record(answer: IngestAnswerCounts): void {
    const received = answer.received ?? 0;
    if (received === 0 && !answer.failed) return;
    const at = Math.floor(this.now().getTime() / MINUTE_MS) * MINUTE_MS;
    let minute = this.minutes.at(-1);
    if (!minute || minute.at !== at) {
      minute = { at, received: 0, published: 0, duplicates: 0, quarantined: 0, failed: 0 };
      this.minutes.push(minute);
      if (this.minutes.length > KEEP_MINUTES) this.minutes.shift();
    }
    minute.received += received;
    minute.published += answer.published ?? 0;
    minute.duplicates += answer.duplicates ?? 0;
    minute.quarantined += answer.quarantined ?? 0;
    minute.failed += answer.failed ?? 0;
  }

  /** Counts an answer from its status code and JSON body; a body that is not the ingest's counts is ignored. */
  public recordResponse(statusCode: number, body: string | undefined): void {
    let parsed: unknown;
    try {
      parsed = body ? JSON.parse(body) : undefined;
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    const fields = parsed as Record<string, unknown>;
    const number = (name: string) =>
      typeof fields[name] === 'number' ? (fields[name] as number) : undefined;
    this.record({
      statusCode,
      ...defined('received', number('received')),
      ...defined('published', number('published')),
      ...defined('duplicates', number('duplicates')),
      ...defined('quarantined', number('quarantined')),
      ...defined('failed', number('failed')),
    });
  }

  public activity(since: Date, until: Date): Omit<IngestActivity, 'source'> {
    const totals = { received: 0, published: 0, duplicates: 0, quarantined: 0, failed: 0 };
    let last: number | undefined;
    for (const minute of this.minutes) {
      if (minute.at + MINUTE_MS <= since.getTime() || minute.at > until.getTime()) continue;
      totals.received += minute.received;
      totals.published += minute.published;
      totals.duplicates += minute.duplicates;
      totals.quarantined += minute.quarantined;
      totals.failed += minute.failed;
      if (minute.received > 0) last = minute.at;
    }
    return { ...(last === undefined ? {} : { lastDeliveryAt: new Date(last) }), ...totals };
  }
}

/** The status of `npm start`: this process's count of the ingest's answers, its queues, and no alarms. */
export class InProcessStatus implements StatusPort {
  public readonly mode = 'local' as const;

  public constructor(
    private readonly counter: IngestActivityCounter,
    private readonly queues: readonly WatchedQueue[],
  ) {}

  public async ingestActivity(since: Date, until: Date): Promise<IngestActivity> {
    return {
      ...this.counter.activity(since, until),
      source: `this npm start, since ${this.counter.since.toISOString()} (local mode has no CloudWatch)`,
    };
  }

  public async deadLetterQueues(): Promise<readonly WatchedQueue[]> {
    return this.queues;
  }

  public async alarmsInAlarm(): Promise<readonly FiringAlarm[] | undefined> {
    return undefined;
  }
}

function defined<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}
