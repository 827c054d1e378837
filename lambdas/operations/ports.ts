/**
 * What the operator's tools (quarantine, replay, status) need from the outside world. The management
 * function wires AWS SDK adapters to these; local mode wires the same adapters to the emulator, plus an
 * in-process status source where there is no CloudWatch; unit tests wire fakes.
 */

/** One message of the quarantine queue, as received (its body unparsed). */
export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** When SQS accepted the message (its `SentTimestamp`). */
  readonly sentAt?: Date;
}

export interface QueueDepth {
  /** Messages waiting (`ApproximateNumberOfMessages`). */
  readonly visible: number;
  /** Messages received and not yet deleted or made visible again (`ApproximateNumberOfMessagesNotVisible`). */
  readonly inFlight: number;
}

/** The quarantine queue. Receiving hides a message for `visibilitySeconds`; nothing is deleted by reading. */
export interface QuarantineQueue {
  /** At most 10 messages; fewer (or none) when the queue has fewer. */
  receive(max: number, visibilitySeconds: number): Promise<QueueMessage[]>;
  /** Deletes the message received with this handle. */
  delete(receiptHandle: string): Promise<void>;
  /** Makes messages visible again at once (visibility 0), so other readers see them. */
  release(receiptHandles: readonly string[]): Promise<void>;
  depth(): Promise<QueueDepth>;
}

/** Where a quarantine message stored a record too large for SQS (`record_location`). */
export interface StoredRecordLocation {
  readonly bucket: string;
  readonly key: string;
}

/** Reads records the quarantine stored in S3: the JSON text, exactly as stored. */
export interface StoredRecords {
  read(location: StoredRecordLocation): Promise<string>;
}

/** One POST to the ingest URL, with the ingest token: what Auth0 itself does. */
export interface IngestRequest {
  /** `/`, `/actions/<trigger>` or `/events`. */
  readonly path: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface IngestAnswer {
  readonly statusCode: number;
  /** The answer's JSON (`{received, published, duplicates, quarantined}`), or undefined when it is not JSON. */
  readonly body: unknown;
}

export interface IngestPort {
  /** Throws only when no answer came back (network, timeout). */
  post(request: IngestRequest): Promise<IngestAnswer>;
}

/** The dedup table, seen from the quarantine: records EventBridge refused are remembered as quarantined. */
export interface DedupMarks {
  /**
   * Forgets that `key` was quarantined, so the ingest publishes it when it is posted again. Touches nothing
   * else: a key that was published, or is being published, keeps its state. Resolves whether it was cleared.
   */
  clearQuarantined(key: string): Promise<boolean>;
}

export interface ReplayRequest {
  readonly name: string;
  readonly from: Date;
  readonly to: Date;
  /** The rules to replay to; all rules of the bus when absent. */
  readonly filterArns?: readonly string[];
  readonly description: string;
}

export type ReplayState = 'STARTING' | 'RUNNING' | 'CANCELLING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface ReplayDescription {
  readonly name: string;
  readonly state: ReplayState | string;
  readonly stateReason?: string;
  readonly eventStartTime?: Date;
  readonly eventEndTime?: Date;
  readonly eventLastReplayedTime?: Date;
  readonly replayStartTime?: Date;
  readonly replayEndTime?: Date;
  readonly filterArns?: readonly string[];
}

/** EventBridge archive replays: from the bus's archive back onto the bus. */
export interface ArchiveReplays {
  start(request: ReplayRequest): Promise<{ readonly state: string }>;
  /** Undefined when no replay has this name. */
  describe(name: string): Promise<ReplayDescription | undefined>;
}

/** What the ingest did over a window: the EMF metrics on AWS, the local process's own count locally. */
export interface IngestActivity {
  /** The last minute in which the ingest received records, if any in the window. */
  readonly lastDeliveryAt?: Date;
  readonly received: number;
  readonly published: number;
  readonly duplicates: number;
  readonly quarantined: number;
  /** Records answered with 503 (Auth0 delivers them again). */
  readonly failed: number;
  /** Where the numbers come from, in words: `CloudWatch metrics (namespace …)`, `this npm start, since …`. */
  readonly source: string;
}

/** A queue whose depth the status shows: a dead-letter queue, named as its alarm names it. */
export interface WatchedQueue {
  readonly name: string;
  readonly url: string;
}

export interface FiringAlarm {
  readonly name: string;
  readonly reason?: string;
  readonly since?: Date;
}

/** Where `a0bridge status` reads the stack's state: CloudWatch on AWS, the local process locally. */
export interface StatusPort {
  readonly mode: 'aws' | 'local';
  ingestActivity(since: Date, until: Date): Promise<IngestActivity>;
  /** The route dead-letter queues and the actions dead-letter queue. */
  deadLetterQueues(): Promise<readonly WatchedQueue[]>;
  /** Alarms in ALARM; undefined where there are no alarms (local mode has no CloudWatch). */
  alarmsInAlarm(): Promise<readonly FiringAlarm[] | undefined>;
}

export interface QueueDepths {
  depth(queueUrl: string): Promise<QueueDepth>;
}

/** The subset of a structured logger the operations use (Powertools Logger fits). */
export interface OperationsLog {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
}
