/**
 * The operator's tools behind the management API: the quarantine (list, redrive), archive replays and the
 * bridge's status. Holds the ports and settings; the logic is in quarantine.ts, replay.ts and status.ts.
 */
import { randomBytes } from 'node:crypto';
import type { OperationsConfig } from './config';
import type {
  ArchiveReplays,
  DedupMarks,
  IngestPort,
  OperationsLog,
  QuarantineQueue,
  QueueDepths,
  StatusPort,
  StoredRecords,
} from './ports';
import { listQuarantine, type QuarantineListing, type RedriveReport, redriveQuarantine } from './quarantine';
import {
  describeReplay,
  type ReplaySelection,
  type ReplayView,
  type StartedReplay,
  startReplay,
} from './replay';
import { type BridgeStatus, readStatus } from './status';

export interface OperationsPorts {
  readonly quarantine: QuarantineQueue;
  readonly records: StoredRecords;
  readonly ingest: IngestPort;
  readonly dedup: DedupMarks;
  readonly replays: ArchiveReplays;
  readonly status: StatusPort;
  readonly queues: QueueDepths;
  readonly logger: OperationsLog;
  readonly now?: () => Date;
  /** The random end of a replay's name. */
  readonly newSuffix?: () => string;
}

export type OperationsSettings = Pick<
  OperationsConfig,
  | 'quarantineQueueUrl'
  | 'claimCheckBucket'
  | 'busArn'
  | 'archiveArn'
  | 'archiveRetentionDays'
  | 'replayPrefix'
  | 'routes'
>;

export class BridgeOperations {
  public constructor(
    private readonly ports: OperationsPorts,
    public readonly settings: OperationsSettings,
  ) {}

  public listQuarantine(options: { limit: number; reason?: string }): Promise<QuarantineListing> {
    return listQuarantine({ queue: this.ports.quarantine }, options);
  }

  public redrive(options: { limit: number; reason?: string; dryRun: boolean }): Promise<RedriveReport> {
    const { quarantine, records, ingest, dedup, logger } = this.ports;
    return redriveQuarantine(
      { queue: quarantine, records, ingest, dedup, logger },
      { claimCheckBucket: this.settings.claimCheckBucket },
      options,
    );
  }

  public startReplay(request: { from: Date; to: Date; selection: ReplaySelection }): Promise<StartedReplay> {
    return startReplay(
      this.ports.replays,
      this.settings,
      { ...request, now: this.now() },
      this.ports.newSuffix ?? (() => randomBytes(3).toString('hex')),
    );
  }

  public describeReplay(name: string): Promise<ReplayView> {
    return describeReplay(this.ports.replays, this.settings, name);
  }

  public status(windowHours: number): Promise<BridgeStatus> {
    return readStatus(
      { status: this.ports.status, queues: this.ports.queues },
      { quarantineQueueUrl: this.settings.quarantineQueueUrl, windowHours, now: this.now() },
    );
  }

  private now(): Date {
    return this.ports.now?.() ?? new Date();
  }
}
