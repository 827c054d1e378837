import type {
  ClaimCheckStore,
  ClaimState,
  DedupStore,
  EventEntry,
  EventSink,
  IngestPorts,
  LogPort,
  PutOutcome,
  Quarantine,
  QuarantinedRecord,
  QuarantineFailure,
  StoredObject,
  TokenSource,
} from '../../lambdas/ingest/ports';
import { decideClaim, type LeaseItem, PENDING, pendingItem, takeHolds } from '../../lambdas/shared/leases';

/** Every port call in order, so tests can assert what happened before what. */
export type Step = { op: string; ids: string[] };

/**
 * The dedup table in memory, deciding with the same rules as the DynamoDB adapter (lambdas/shared/leases.ts):
 * items per log_id, and one outcome record per lease, as DynamoDbDedupStore writes them.
 */
export class InMemoryDedup implements DedupStore {
  public readonly items = new Map<string, LeaseItem>();
  /** The outcome record of each lease: the log_ids it finished, by status. */
  public readonly outcomes = new Map<string, Map<string, Set<string>>>();
  public failMarkPublished = false;
  /** The clock of leases and TTLs, in ms: move it to let a lease lapse. */
  public nowMs = Date.parse('2026-11-22T12:00:00Z');
  public readonly times = { leaseSeconds: 120, ttlSeconds: 7 * 86_400 };

  public constructor(private readonly steps: Step[]) {}

  public async claim(logIds: readonly string[], leaseId: string): Promise<Array<ClaimState | Error>> {
    this.steps.push({ op: 'claim', ids: [...logIds] });
    return logIds.map((logId) => this.claimOne(logId, leaseId));
  }

  public async markPublished(logIds: readonly string[], leaseId: string): Promise<void> {
    this.steps.push({ op: 'markPublished', ids: [...logIds] });
    if (this.failMarkPublished) throw new Error('DynamoDB is unavailable');
    this.record(logIds, 'published', leaseId);
  }

  public async markQuarantined(logIds: readonly string[], leaseId: string): Promise<void> {
    this.steps.push({ op: 'markQuarantined', ids: [...logIds] });
    this.record(logIds, 'quarantined', leaseId);
  }

  public async release(logIds: readonly string[], leaseId: string): Promise<void> {
    this.steps.push({ op: 'release', ids: [...logIds] });
    for (const id of logIds) {
      const item = this.items.get(id);
      if (item?.status === PENDING && item.lease_id === leaseId) this.items.delete(id);
    }
  }

  /** Makes `logId` look claimed by another delivery that is still publishing it. */
  public holdFor(logId: string, leaseId: string): void {
    this.items.set(logId, pendingItem(leaseId, this.nowMs, this.times));
  }

  /** What a later delivery would find: `published`, `quarantined`, `pending`, or undefined (free). */
  public statusOf(logId: string): string | undefined {
    const decision = this.decide(logId, 'someone-who-asks');
    if (decision.kind === 'final') return decision.status;
    if (decision.kind === 'in-flight' || decision.kind === 'claimed') return PENDING;
    return decision.kind === 'take' && decision.take.kind === 'lapsed' ? PENDING : undefined;
  }

  protected claimOne(logId: string, leaseId: string): ClaimState | Error {
    const decision = this.decide(logId, leaseId);
    switch (decision.kind) {
      case 'take':
        if (!takeHolds(this.items.get(logId), decision.take, this.nowMs)) return 'in-flight';
        this.items.set(logId, pendingItem(leaseId, this.nowMs, this.times));
        return 'claimed';
      case 'final':
        return decision.status;
      default:
        return decision.kind === 'claimed' ? 'claimed' : 'in-flight';
    }
  }

  private decide(logId: string, leaseId: string) {
    const item = this.items.get(logId);
    return decideClaim<'published' | 'quarantined'>(item, {
      id: logId,
      leaseId,
      nowMs: this.nowMs,
      outcomes: true,
      outcome: item?.lease_id === undefined ? undefined : (this.outcomes.get(item.lease_id) ?? null),
    });
  }

  private record(logIds: readonly string[], status: string, leaseId: string): void {
    const outcome = this.outcomes.get(leaseId) ?? new Map<string, Set<string>>();
    this.outcomes.set(leaseId, outcome);
    const ids = outcome.get(status) ?? new Set<string>();
    outcome.set(status, ids);
    for (const id of logIds) ids.add(id);
  }
}

/** Accepts every entry unless `outcome` says otherwise for its log_id. */
export class RecordingSink implements EventSink {
  public readonly accepted: EventEntry[] = [];
  public outcome: (logId: string, attempt: number) => PutOutcome = () => ({ ok: true, eventId: 'e' });
  private readonly attempts = new Map<string, number>();

  public constructor(private readonly steps: Step[]) {}

  public async putEvents(entries: readonly EventEntry[]): Promise<PutOutcome[]> {
    const ids = entries.map((entry) => JSON.parse(entry.Detail).log_id as string);
    this.steps.push({ op: 'putEvents', ids });
    return ids.map((id, index) => {
      const attempt = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, attempt);
      const result = this.outcome(id, attempt);
      if (result.ok) this.accepted.push(entries[index] as EventEntry);
      return result;
    });
  }

  public detailOf(logId: string): Record<string, unknown> | undefined {
    const entry = this.accepted.find((e) => JSON.parse(e.Detail).log_id === logId);
    return entry ? JSON.parse(entry.Detail) : undefined;
  }
}

export class ListQuarantine implements Quarantine {
  public readonly records: QuarantinedRecord[] = [];
  public fail = false;

  public constructor(private readonly steps: Step[]) {}

  /** Records this refuses, one by one, as SQS or S3 might. */
  public refuse: (record: QuarantinedRecord) => boolean = () => false;

  public async send(records: readonly QuarantinedRecord[]): Promise<QuarantineFailure[]> {
    this.steps.push({ op: 'quarantine', ids: records.map((r) => r.logId ?? `#${r.position}`) });
    if (this.fail) throw new Error('SQS is unavailable');
    const failures: QuarantineFailure[] = [];
    records.forEach((record, index) => {
      if (this.refuse(record)) failures.push({ index, reason: 'refused by the test' });
      else this.records.push(record);
    });
    return failures;
  }
}

export class MapClaimChecks implements ClaimCheckStore {
  public readonly objects = new Map<string, string>();

  public async put(key: string, body: string): Promise<StoredObject> {
    this.objects.set(key, body);
    return { bucket: 'claims', key };
  }
}

export class StaticTokens implements TokenSource {
  public refreshes = 0;

  public constructor(
    private tokens: string[],
    private readonly afterRefresh: string[] = tokens,
  ) {}

  public async current(): Promise<readonly string[]> {
    return this.tokens;
  }

  public async refresh(): Promise<readonly string[]> {
    this.refreshes++;
    this.tokens = this.afterRefresh;
    return this.tokens;
  }
}

export class CapturingLogger implements LogPort {
  public readonly lines: string[] = [];
  public info(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'INFO', message, extra }));
  }
  public warn(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'WARN', message, extra }));
  }
  public error(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'ERROR', message, extra }));
  }
}

export function fakePorts(tokens: string[] = ['s3cr3t-token']) {
  const steps: Step[] = [];
  const ports = {
    steps,
    tokens: new StaticTokens(tokens),
    dedup: new InMemoryDedup(steps),
    sink: new RecordingSink(steps),
    quarantine: new ListQuarantine(steps),
    claimChecks: new MapClaimChecks(),
    logger: new CapturingLogger(),
    sleep: async () => undefined,
    now: () => new Date('2026-11-22T12:00:00Z'),
  } satisfies IngestPorts & { steps: Step[] };
  return ports;
}
