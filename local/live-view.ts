import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { LOG_TYPES } from '../lambdas/shared/log-types';
import { ACTION_DETAIL_TYPE_PREFIX, EVENT_DETAIL_TYPE_PREFIX } from '../lambdas/shared/surfaces';
import type { RouteQueue } from './provision';

export interface RoutedEvent {
  readonly routeId: string;
  /** The log type code, the Actions trigger, or the Event Streams type. */
  readonly type: string;
  /** What happened and to whom: `Wrong password by alice from 10.0.0.1`. */
  readonly summary: string;
  /** Where to look it up: `[auth.login.fail] log_id=…`, `[action] transaction=…`, `[event] id=…`. */
  readonly reference: string;
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

/**
 * What the live view shows of one event a route caught. Only named fields are read from the detail, so
 * nothing else in it (an Action's `secrets`, tokens, user metadata) can reach the terminal.
 */
export function toRoutedEvent(routeId: string, body: string): RoutedEvent {
  const event = JSON.parse(body) as { 'detail-type'?: unknown; detail?: unknown };
  const detailType = text(event['detail-type']);
  const detail = record(event.detail);
  if (detailType.startsWith(ACTION_DETAIL_TYPE_PREFIX)) {
    return actionEvent(routeId, detailType.slice(ACTION_DETAIL_TYPE_PREFIX.length), detail);
  }
  if (detailType.startsWith(EVENT_DETAIL_TYPE_PREFIX)) return eventStreamEvent(routeId, detail);
  return logEvent(routeId, detail);
}

function logEvent(routeId: string, detail: Record<string, unknown>): RoutedEvent {
  const data = record(detail.data);
  const type = text(data.type) || '?';
  const who = text(data.user_name) || text(data.user_id) || text(data.client_name);
  const name = (LOG_TYPES as Record<string, { name: string }>)[type]?.name ?? 'unknown type';
  const ip = text(data.ip);
  return {
    routeId,
    type,
    summary: summary([name, who && `by ${who}`, ip && `from ${ip}`]),
    reference: `[${text(detail.category) || '?'}] log_id=${text(detail.log_id) || '?'}`,
  };
}

/** An Auth0 Actions event: the detail is the Action's `event` (user, transaction, client, request, …). */
function actionEvent(routeId: string, trigger: string, detail: Record<string, unknown>): RoutedEvent {
  const user = record(detail.user);
  const who = text(user.user_id) || text(user.email);
  const email = text(user.user_id) && text(user.email);
  const client = text(record(detail.client).name) || text(record(detail.client).client_id);
  const ip = text(record(detail.request).ip);
  const transactionId = text(record(detail.transaction).id);
  return {
    routeId,
    type: trigger || '?',
    summary: summary([
      who ? `user ${who}` : client ? `client ${client}` : 'no user',
      email && `<${email}>`,
      ip && `from ${ip}`,
    ]),
    reference: `[action] transaction=${transactionId || '-'}`,
  };
}

/** An Event Streams event: the detail is the CloudEvent, with its type normalised (`user.created`). */
function eventStreamEvent(routeId: string, detail: Record<string, unknown>): RoutedEvent {
  const object = record(record(detail.data).object);
  const userId = text(object.user_id);
  const objectId = text(object.id);
  return {
    routeId,
    type: text(detail.type) || '?',
    summary: userId ? `user ${userId}` : objectId ? `object ${objectId}` : 'no object id',
    reference: `[event] id=${text(detail.id) || '?'}`,
  };
}

function summary(parts: readonly string[]): string {
  return parts.filter(Boolean).join(' ');
}

/**
 * A string or number as one line of text; anything else (objects, arrays, missing) as '', so no structure is
 * dumped. Control characters become '?': the values come from whoever posted the event, not from us.
 */
function text(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  return String(value).replace(/[\u0000-\u001f\u007f]/g, '?');
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function formatRoutedEvent(event: RoutedEvent, now = new Date()): string {
  const time = now.toISOString().slice(11, 19);
  return `${time}  ${event.routeId.padEnd(24)} ${event.type.padEnd(10)} ${event.summary}  ${event.reference}`;
}
