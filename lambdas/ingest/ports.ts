/**
 * What the ingest core needs from the outside world. The handler wires AWS SDK adapters to these; unit tests
 * wire the same adapters to mocked clients, and local mode wires them to an emulator.
 */

/** One PutEvents request entry, as the EventBridge API takes it. */
export interface EventEntry {
  readonly Source: string;
  readonly DetailType: string;
  readonly Detail: string;
  readonly Time?: Date;
  readonly EventBusName: string;
}

/** The result of one entry of a PutEvents request, in the order the entries were sent. */
export type PutOutcome =
  | { readonly ok: true; readonly eventId: string }
  | { readonly ok: false; readonly errorCode: string; readonly errorMessage: string };

export interface EventSink {
  /** Sends at most 10 entries in one request. Throws when the request as a whole fails. */
  putEvents(entries: readonly EventEntry[]): Promise<PutOutcome[]>;
}

/** What a claim on a log_id found. Only `claimed` lets the caller publish the record. */
export type ClaimState = 'claimed' | 'published' | 'quarantined' | 'in-flight';

/**
 * Remembers which log_ids are already on the bus, for the dedup window. A claim is a short lease: a record is
 * marked published only after EventBridge accepted it, so a crash in between ends in a re-publish, never a loss.
 * One lease id stands for one delivery: its claims, and the marks it writes once it knows their outcome.
 */
export interface DedupStore {
  /**
   * Claims distinct log_ids at once and answers in their order. An Error is one claim that could not be made
   * (that record is not safe yet); it never fails the others.
   */
  claim(logIds: readonly string[], leaseId: string): Promise<Array<ClaimState | Error>>;
  markPublished(logIds: readonly string[], leaseId: string): Promise<void>;
  markQuarantined(logIds: readonly string[], leaseId: string): Promise<void>;
  /** Gives up leases that did not lead anywhere, so Auth0's retry can publish at once. */
  release(logIds: readonly string[], leaseId: string): Promise<void>;
}

export type QuarantineReason =
  | 'not_an_object'
  | 'data_not_an_object'
  | 'missing_type'
  | 'missing_log_id'
  | 'invalid_log_id'
  | 'invalid_json'
  | 'invalid_unicode'
  | 'too_deep'
  | 'unrepresentable_number'
  | 'publish_rejected';

export interface QuarantinedRecord {
  readonly reason: QuarantineReason;
  /** Says what was wrong, in words a user can act on. Never holds a token or a secret. */
  readonly message: string;
  /** Position of the record in the request body, from 0. */
  readonly position: number;
  readonly logId?: string;
  /** The EventBridge error code, for records EventBridge refused. */
  readonly errorCode?: string;
  /** The record as it was received. */
  readonly record: unknown;
}

/** A quarantined record that could not be stored, by its index in the list sent. */
export interface QuarantineFailure {
  readonly index: number;
  readonly reason: string;
}

export interface Quarantine {
  /**
   * Stores each record on its own and resolves with those that could not be stored (none: all are safe).
   * One record's failure never fails the others.
   */
  send(records: readonly QuarantinedRecord[], requestId: string): Promise<QuarantineFailure[]>;
}

export interface StoredObject {
  readonly bucket: string;
  readonly key: string;
}

/** Stores bodies too large for an event (claim-check pattern). Putting the same key twice is harmless. */
export interface ClaimCheckStore {
  put(key: string, body: string): Promise<StoredObject>;
}

export interface TokenSource {
  /** The tokens accepted now (two during a rotation), possibly cached. */
  current(): Promise<readonly string[]>;
  /** The tokens after a fresh read, for a caller whose token matched none of the cached ones. */
  refresh(): Promise<readonly string[]>;
}

/** The subset of a structured logger the core uses (Powertools Logger fits). */
export interface LogPort {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface IngestPorts {
  readonly tokens: TokenSource;
  readonly dedup: DedupStore;
  readonly sink: EventSink;
  readonly quarantine: Quarantine;
  readonly claimChecks: ClaimCheckStore;
  readonly logger: LogPort;
  /** Injected so tests do not wait for real backoff. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => Date;
  readonly newId?: () => string;
}
