import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ClaimCheckStore, Quarantine, QuarantinedRecord } from '../ports';

export interface SqsQuarantineProps {
  readonly queueUrl: string;
  /** Records whose message would exceed this go to the claim-check store, and the message points at them. */
  readonly maxMessageBytes: number;
  readonly now?: () => Date;
}

/**
 * Quarantine messages are JSON: `{reason, message, log_id?, error_code?, position, request_id, received_at,
 * record | record_location}`, with `reason` also as a message attribute so consumers can filter on it.
 */
export class SqsQuarantine implements Quarantine {
  public constructor(
    private readonly client: SQSClient,
    private readonly overflow: ClaimCheckStore,
    private readonly props: SqsQuarantineProps,
  ) {}

  public async send(records: readonly QuarantinedRecord[], requestId: string): Promise<void> {
    const receivedAt = (this.props.now?.() ?? new Date()).toISOString();
    const entries: SendMessageBatchRequestEntry[] = [];
    for (const [index, record] of records.entries()) {
      entries.push({
        Id: String(index),
        MessageBody: await this.body(record, requestId, receivedAt),
        MessageAttributes: { reason: { DataType: 'String', StringValue: record.reason } },
      });
    }
    for (let i = 0; i < entries.length; i += 10) await this.sendBatch(entries.slice(i, i + 10));
  }

  private async body(record: QuarantinedRecord, requestId: string, receivedAt: string): Promise<string> {
    const envelope = {
      reason: record.reason,
      message: record.message,
      ...(record.logId ? { log_id: record.logId } : {}),
      ...(record.errorCode ? { error_code: record.errorCode } : {}),
      position: record.position,
      request_id: requestId,
      received_at: receivedAt,
    };
    const whole = JSON.stringify({ ...envelope, record: record.record ?? null });
    if (Buffer.byteLength(whole, 'utf8') <= this.props.maxMessageBytes) return whole;
    const key = `quarantine/${receivedAt.slice(0, 10).replaceAll('-', '/')}/${requestId}-${record.position}.json`;
    const location = await this.overflow.put(key, JSON.stringify(record.record ?? null));
    return JSON.stringify({ ...envelope, record_location: location });
  }

  /** Sends one batch, retrying the entries SQS failed; throws if any is still not stored. */
  private async sendBatch(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; attempt <= 3 && pending.length > 0; attempt++) {
      const output = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.props.queueUrl, Entries: pending }),
      );
      const failedIds = new Set((output.Failed ?? []).map(({ Id }) => Id));
      pending = pending.filter(({ Id }) => failedIds.has(Id));
    }
    if (pending.length > 0) {
      throw new Error(`SQS did not store ${pending.length} quarantine messages after 3 attempts`);
    }
  }
}
