import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QuarantineQueue, QueueDepth, QueueDepths, QueueMessage } from '../ports';

/** The quarantine queue through SQS. Receives long-poll for a second, so an empty answer means empty. */
export class SqsQuarantineQueue implements QuarantineQueue {
  public constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  public async receive(max: number, visibilitySeconds: number): Promise<QueueMessage[]> {
    const output = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
        VisibilityTimeout: visibilitySeconds,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    return (output.Messages ?? []).flatMap((message) =>
      message.MessageId && message.ReceiptHandle
        ? [
            {
              messageId: message.MessageId,
              receiptHandle: message.ReceiptHandle,
              body: message.Body ?? '',
              ...sentAt(message.Attributes?.SentTimestamp),
            },
          ]
        : [],
    );
  }

  public async delete(receiptHandle: string): Promise<void> {
    await this.client.send(
      new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle }),
    );
  }

  public async release(receiptHandles: readonly string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += 10) {
      const handles = receiptHandles.slice(start, start + 10);
      // A message whose handle expired is visible already: a failed entry needs nothing more.
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: handles.map((handle, index) => ({
            Id: String(index),
            ReceiptHandle: handle,
            VisibilityTimeout: 0,
          })),
        }),
      );
    }
  }

  public depth(): Promise<QueueDepth> {
    return queueDepth(this.client, this.queueUrl);
  }
}

/** The depth of any queue the function may read (GetQueueAttributes). */
export class SqsQueueDepths implements QueueDepths {
  public constructor(private readonly client: SQSClient) {}

  public depth(queueUrl: string): Promise<QueueDepth> {
    return queueDepth(this.client, queueUrl);
  }
}

async function queueDepth(client: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const output = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(output.Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(output.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

function sentAt(timestamp: string | undefined): { sentAt?: Date } {
  const millis = Number(timestamp);
  return timestamp && Number.isFinite(millis) ? { sentAt: new Date(millis) } : {};
}
