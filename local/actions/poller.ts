/**
 * The local stand-in for EventBridge invoking an action's Lambda function: one long-polling loop on the
 * action's SQS queue (which its binding rules deliver to), handing each event to `runActionEvent`, the core
 * the Lambda host calls too. A run that succeeded, or an event this version already ran, is deleted from the
 * queue. Anything else is left there: it is received again once its visibility timeout lapses, and after
 * `maxReceiveCount` receives SQS moves it to the actions DLQ, as EventBridge retries and then dead-letters.
 */
import {
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { ActionDeployment, ExecutionRecord } from '../../lambdas/actions/model';
import type { ExecutionWriter, LogPort } from '../../lambdas/actions/ports';
import {
  ActionRunFailedError,
  type BusEvent,
  type RunnerPorts,
  runActionEvent,
} from '../../lambdas/actions/runner';

/** The version of an action that runs now, as the deployer holds it. */
export interface LiveActionVersion {
  readonly deployment: ActionDeployment;
  readonly execute: RunnerPorts['execute'];
  /** Runs `work` while keeping this version's process alive: a redeploy stops it only once `work` is done. */
  hold<T>(work: () => Promise<T>): Promise<T>;
}

/** What became of one receive of one message. */
export type ActionDelivery =
  | { readonly kind: 'ran'; readonly execution: ExecutionRecord; readonly event: BusEvent }
  | { readonly kind: 'duplicate'; readonly deployment: ActionDeployment; readonly event: BusEvent }
  | {
      readonly kind: 'failed';
      readonly execution: ExecutionRecord;
      readonly event: BusEvent;
      /** 1 on the first delivery. */
      readonly attempt: number;
      readonly maxAttempts: number;
    }
  | {
      /** The event could not be run at all: malformed, in flight elsewhere, or a store was unreachable. */
      readonly kind: 'not-run';
      readonly actionId: string;
      readonly deployment?: ActionDeployment;
      readonly event?: BusEvent;
      readonly error: Error;
      readonly attempt: number;
      readonly maxAttempts: number;
    };

export interface ActionQueuePollerOptions {
  readonly actionId: string;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Read for every message, so that a deploy takes effect from the next one. */
  readonly current: () => LiveActionVersion | undefined;
  readonly executions: ExecutionWriter;
  readonly logger: LogPort;
  /** The queue's maxReceiveCount, to say which attempt a failure was. */
  readonly maxReceiveCount: number;
  readonly onDelivery?: (delivery: ActionDelivery) => void;
  /** Long-poll wait, 1 to 5 seconds: it bounds how long `stop()` waits for a receive. @default 2 */
  readonly waitTimeSeconds?: number;
  /** Pause after a failed receive (the emulator gone or restarting). @default 1000 */
  readonly errorPauseMs?: number;
  /** Aborting it stops the loop, as `stop()` does. */
  readonly signal?: AbortSignal;
}

/** The queue held a message that is not an EventBridge event. */
export class MalformedActionMessageError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'MalformedActionMessageError';
  }
}

/**
 * One action queue's loop. `start()` once; `stop()` (or aborting `signal`) ends it: a receive in progress is
 * abandoned at once, and `stop()` resolves when nothing of the loop is left running.
 */
export class ActionQueuePoller {
  private readonly controller = new AbortController();
  private readonly signal: AbortSignal;
  private loop: Promise<void> | undefined;
  private readonly waitTimeSeconds: number;

  public constructor(private readonly options: ActionQueuePollerOptions) {
    const wait = options.waitTimeSeconds ?? 2;
    if (!Number.isInteger(wait) || wait < 1 || wait > 5) {
      throw new RangeError(`waitTimeSeconds must be an integer from 1 to 5, got ${wait}`);
    }
    this.waitTimeSeconds = wait;
    this.signal = options.signal
      ? AbortSignal.any([this.controller.signal, options.signal])
      : this.controller.signal;
  }

  public start(): void {
    this.loop ??= this.run();
  }

  /**
   * Stops receiving; a run in progress finishes (its process decides how soon: `ActionProcess.stop()` ends
   * it at once). Resolves once the loop has returned.
   */
  public async stop(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  /** Resolves when the loop has returned (after `stop()` or an abort of `signal`). */
  public get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    const { signal } = this;
    while (!signal.aborted) {
      let messages: Message[];
      try {
        const output = await this.options.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.options.queueUrl,
            MaxNumberOfMessages: 1,
            WaitTimeSeconds: this.waitTimeSeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount'],
          }),
          { abortSignal: signal },
        );
        messages = output.Messages ?? [];
      } catch (error) {
        if (signal.aborted) return;
        this.options.logger.warn('Could not receive from an action queue; retrying', {
          actionId: this.options.actionId,
          queueUrl: this.options.queueUrl,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        });
        await pause(this.options.errorPauseMs ?? 1000, signal);
        continue;
      }
      // One at a time: an action's runs are queued in its one process anyway, and each message's visibility
      // timeout is sized for one run.
      for (const message of messages) await this.handle(message);
    }
  }

  private async handle(message: Message): Promise<void> {
    const attempt = Number(message.Attributes?.ApproximateReceiveCount ?? 1) || 1;
    const maxAttempts = this.options.maxReceiveCount;
    const notRun = (error: Error, deployment?: ActionDeployment, event?: BusEvent) =>
      this.report({
        kind: 'not-run',
        actionId: this.options.actionId,
        error,
        attempt,
        maxAttempts,
        ...(deployment ? { deployment } : {}),
        ...(event ? { event } : {}),
      });

    let event: BusEvent;
    try {
      event = parseBusEvent(message.Body);
    } catch (error) {
      notRun(error as Error);
      return; // left for the DLQ: no retry can make it readable
    }
    const live = this.options.current();
    if (!live) {
      notRun(new Error(`Action ${this.options.actionId} has no deployed version in this process`));
      return;
    }
    let outcome: Awaited<ReturnType<typeof runActionEvent>>;
    try {
      outcome = await live.hold(() =>
        runActionEvent(live.deployment, event, {
          executions: this.options.executions,
          execute: live.execute,
          logger: this.options.logger,
        }),
      );
    } catch (error) {
      // Not deleted: the queue delivers it again after its visibility timeout, and dead-letters it at last.
      if (error instanceof ActionRunFailedError) {
        this.report({ kind: 'failed', execution: error.execution, event, attempt, maxAttempts });
      } else {
        notRun(error instanceof Error ? error : new Error(String(error)), live.deployment, event);
      }
      return;
    }
    this.report(
      outcome.kind === 'ran'
        ? { kind: 'ran', execution: outcome.execution, event }
        : { kind: 'duplicate', deployment: live.deployment, event },
    );
    try {
      await this.options.sqs.send(
        new DeleteMessageCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: message.ReceiptHandle }),
      );
    } catch (error) {
      // The run is recorded as done, so the redelivery this causes is skipped as a duplicate.
      this.options.logger.warn('Could not delete a handled message from an action queue', {
        actionId: this.options.actionId,
        eventId: event.id,
        error: error instanceof Error ? error.name : String(error),
      });
    }
  }

  private report(delivery: ActionDelivery): void {
    try {
      this.options.onDelivery?.(delivery);
    } catch (error) {
      // A listener's mistake must not stop the queue.
      this.options.logger.warn('An action delivery listener threw', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}

/** The EventBridge event an SQS target receives as its message body. */
export function parseBusEvent(body: string | undefined): BusEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new MalformedActionMessageError(
      `The action queue held a message that is not JSON (${body?.length ?? 0} characters); expected an EventBridge event`,
    );
  }
  const event = parsed as Partial<Record<keyof BusEvent, unknown>> | null;
  const problems: string[] = [];
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    problems.push(`the body is ${Array.isArray(event) ? 'an array' : String(event)}, not an object`);
  } else {
    if (typeof event.id !== 'string' || event.id === '') problems.push('"id" is not a non-empty string');
    if (typeof event.source !== 'string') problems.push('"source" is not a string');
    if (typeof event['detail-type'] !== 'string') problems.push('"detail-type" is not a string');
    if (typeof event.detail !== 'object' || event.detail === null || Array.isArray(event.detail)) {
      problems.push('"detail" is not an object');
    }
  }
  if (problems.length > 0) {
    throw new MalformedActionMessageError(
      `The action queue held a message that is not an EventBridge event: ${problems.join('; ')}`,
    );
  }
  return parsed as BusEvent;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
