import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Receives (and deletes) messages until `expected` have arrived or `timeoutMs` passed, whichever is first.
 * With `expected` 0 it waits the whole time, to show that nothing arrives.
 */
export async function drain(
  sqs: SQSClient,
  queueUrl: string,
  expected: number,
  timeoutMs = 10_000,
): Promise<Message[]> {
  const messages: Message[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && (expected === 0 || messages.length < expected)) {
    const output = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageAttributeNames: ['All'],
      }),
    );
    const batch = output.Messages ?? [];
    messages.push(...batch);
    if (batch.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
    }
  }
  return messages;
}
