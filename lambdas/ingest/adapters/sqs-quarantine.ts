import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { describeError } from '../../shared/errors';
import { toBatches } from '../batch';
import { stringifySafely } from '../fidelity';
import type { ClaimCheckStore, Quarantine, QuarantinedRecord, QuarantineFailure } from '../ports';

export interface SqsQuarantineProps {
  readonly queueUrl: string;
  /** Records whose message would exceed this go to the claim-check store, and the message points at them. */
  readonly maxMessageBytes: number;
  readonly now?: () => Date;
}

interface Pending {
  readonly index: number;
  readonly record: QuarantinedRecord;
  entry: SendMessageBatchRequestEntry;
  /** What SQS counts against its size limits: the body plus the attribute. */
  size: number;
}

/**
 * Quarantine messages are JSON: `{reason, message, log_id?, error_code?, position, request_id, received_at,
 * record | record_location}`, with `reason` also as a message attribute so consumers can filter on it.
 * Each record succeeds or fails on its own: one that SQS refuses for its content is stored in S3 instead,
 * and the message points at it, so no record can make its batch fail for good.
 */
export class SqsQuarantine implements Quarantine {
  public constructor(
    private readonly client: SQSClient,
    private readonly overflow: ClaimCheckStore,
    private readonly props: SqsQuarantineProps,
  ) {}

  public async send(records: readonly QuarantinedRecord[], requestId: string): Promise<QuarantineFailure[]> {
    const receivedAt = (this.props.now?.() ?? new Date()).toISOString();
    const failures: QuarantineFailure[] = [];
    const pending: Pending[] = [];
    for (const [index, record] of records.entries()) {
      try {
        const body = await this.body(record, requestId, receivedAt);
        pending.push({
          index,
          record,
          entry: this.entry(index, record, body),
          size: messageSize(body, record),
        });
      } catch (error) {
        failures.push({ index, reason: `storing the record failed: ${describeError(error)}` });
      }
    }
    // SQS limits a batch's total size as it does a message's.
    for (const batch of toBatches(pending, { maxEntries: 10, maxBytes: this.props.maxMessageBytes })) {
      failures.push(...(await this.sendBatch(batch, requestId, receivedAt)));
    }
    return failures;
  }

  private entry(index: number, record: QuarantinedRecord, body: string): SendMessageBatchRequestEntry {
    return {
      Id: String(index),
      MessageBody: body,
      MessageAttributes: { reason: { DataType: 'String', StringValue: record.reason } },
    };
  }

  private envelope(record: QuarantinedRecord, requestId: string, receivedAt: string) {
    return {
      reason: record.reason,
      message: record.message,
      ...(record.logId ? { log_id: record.logId } : {}),
      ...(record.errorCode ? { error_code: record.errorCode } : {}),
      position: record.position,
      request_id: requestId,
      received_at: receivedAt,
    };
  }

  private async body(record: QuarantinedRecord, requestId: string, receivedAt: string): Promise<string> {
    const envelope = this.envelope(record, requestId, receivedAt);
    const whole = stringifySafely({ ...envelope, record: record.record ?? null });
    if (messageSize(whole, record) <= this.props.maxMessageBytes) return whole;
    return this.pointerBody(record, requestId, receivedAt);
  }

  /** The record in S3, the message pointing at it: plain ASCII, well under any size limit. */
  private async pointerBody(
    record: QuarantinedRecord,
    requestId: string,
    receivedAt: string,
  ): Promise<string> {
    const key = `quarantine/${receivedAt.slice(0, 10).replaceAll('-', '/')}/${requestId}-${record.position}.json`;
    const location = await this.overflow.put(key, stringifySafely(record.record ?? null));
    return stringifySafely({ ...this.envelope(record, requestId, receivedAt), record_location: location });
  }

  /**
   * Sends one batch, retrying what SQS failed on its side; an entry SQS refuses as the sender's fault (its
   * content) is sent again as a pointer to S3. Returns the entries still not stored.
   */
  private async sendBatch(
    batch: Pending[],
    requestId: string,
    receivedAt: string,
  ): Promise<QuarantineFailure[]> {
    let pending = batch;
    let lastError = '';
    const pointered = new Set<number>();
    for (let attempt = 1; attempt <= 3 && pending.length > 0; attempt++) {
      let failed: Array<{ Id?: string; SenderFault?: boolean; Code?: string }>;
      try {
        const output = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.props.queueUrl,
            Entries: pending.map(({ entry }) => entry),
          }),
        );
        failed = output.Failed ?? [];
      } catch (error) {
        lastError = describeError(error);
        continue;
      }
      const byId = new Map(failed.map((failure) => [failure.Id, failure]));
      const next: Pending[] = [];
      for (const item of pending) {
        const failure = byId.get(item.entry.Id);
        if (!failure) continue;
        lastError = `SQS ${failure.Code ?? 'error'}`;
        if (failure.SenderFault && !pointered.has(item.index)) {
          try {
            const body = await this.pointerBody(item.record, requestId, receivedAt);
            item.entry = this.entry(item.index, item.record, body);
            item.size = messageSize(body, item.record);
            pointered.add(item.index);
          } catch (error) {
            lastError = `storing the record failed: ${describeError(error)}`;
          }
        }
        next.push(item);
      }
      pending = next;
    }
    return pending.map(({ index }) => ({
      index,
      reason: `quarantine not stored after 3 attempts: ${lastError}`,
    }));
  }
}

/** SQS counts the body and each attribute's name, type and value. */
function messageSize(body: string, record: QuarantinedRecord): number {
  return Buffer.byteLength(body, 'utf8') + 'reason'.length + 'String'.length + record.reason.length;
}
