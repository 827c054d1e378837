import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOG_TYPES } from '../lambdas/shared/log-types';
import type { RouteQueue } from './provision';

export interface RoutedEvent {
  readonly routeId: string;
  readonly logId: string;
  readonly type: string;
  readonly category: string;
  readonly summary: string;
}

/**
 * Follows the local route queues and reports each event a rule caught, until the signal aborts. Every
 * queue is long-polled on its own, so one quiet route never delays another.
 */
export async function followRoutes(
  sqs: SQSClient,
  queues: readonly RouteQueue[],
  onEvent: (event: RoutedEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all(queues.map((queue) => followQueue(sqs, queue, onEvent, signal)));
}

async function followQueue(
  sqs: SQSClient,
  queue: RouteQueue,
  onEvent: (event: RoutedEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const output = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
        { abortSignal: signal },
      );
      const messages = output.Messages ?? [];
      for (const message of messages) onEvent(toRoutedEvent(queue.routeId, message.Body ?? '{}'));
      if (messages.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queue.queueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
          }),
        );
      }
    } catch (error) {
      if (signal.aborted) return;
      process.stderr.write(`live view: ${queue.routeId}: ${(error as Error).message}\n`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export function toRoutedEvent(routeId: string, body: string): RoutedEvent {
  const event = JSON.parse(body) as {
    detail?: { log_id?: string; category?: string; data?: Record<string, unknown> };
  };
  const data = event.detail?.data ?? {};
  const type = String(data.type ?? '?');
  const who = data.user_name ?? data.user_id ?? data.client_name ?? '';
  const name = (LOG_TYPES as Record<string, { name: string }>)[type]?.name ?? 'unknown type';
  return {
    routeId,
    logId: event.detail?.log_id ?? '?',
    type,
    category: event.detail?.category ?? '?',
    summary: [name, who && `by ${String(who)}`, data.ip && `from ${String(data.ip)}`]
      .filter(Boolean)
      .join(' '),
  };
}

export function formatRoutedEvent(event: RoutedEvent, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  return `${time}  ${event.routeId.padEnd(24)} ${event.type.padEnd(10)} ${event.summary}  [${event.category}] log_id=${event.logId}`;
}
