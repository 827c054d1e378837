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

/** Every port call in order, so tests can assert what happened before what. */
export type Step = { op: string; ids: string[] };

export class InMemoryDedup implements DedupStore {
  public readonly state = new Map<
    string,
    { status: 'pending' | 'published' | 'quarantined'; lease?: string }
  >();
  public failMarkPublished = false;

  public constructor(private readonly steps: Step[]) {}

  public async claim(logId: string, leaseId: string): Promise<ClaimState> {
    this.steps.push({ op: 'claim', ids: [logId] });
    const current = this.state.get(logId);
    if (current?.status === 'pending') return 'in-flight';
    if (current) return current.status;
    this.state.set(logId, { status: 'pending', lease: leaseId });
    return 'claimed';
  }

  public async markPublished(logIds: readonly string[]): Promise<void> {
    this.steps.push({ op: 'markPublished', ids: [...logIds] });
    if (this.failMarkPublished) throw new Error('DynamoDB is unavailable');
    for (const id of logIds) this.state.set(id, { status: 'published' });
  }

  public async markQuarantined(logIds: readonly string[]): Promise<void> {
    this.steps.push({ op: 'markQuarantined', ids: [...logIds] });
    for (const id of logIds) this.state.set(id, { status: 'quarantined' });
  }

  public async release(logIds: readonly string[], leaseId: string): Promise<void> {
    this.steps.push({ op: 'release', ids: [...logIds] });
    for (const id of logIds) if (this.state.get(id)?.lease === leaseId) this.state.delete(id);
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
