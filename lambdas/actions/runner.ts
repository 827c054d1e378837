/**
 * Runs one deployed action version on one event from the bus, once: claim (version, event id) with the
 * lease pattern the ingest uses for log_ids, run, record the execution, then mark the claim done or give it
 * back. A failed or timed-out run is recorded and then thrown, so EventBridge (or, locally, SQS) delivers the
 * event again and, past its retries, dead-letters it. Pure: the Lambda host and the local poller give it
 * their ports.
 */
import { randomUUID } from 'node:crypto';
import { executionIdFor } from './adapters/dynamodb-executions';
import { getTrigger, TRIGGERS, type TriggerId } from './bindings/triggers';
import type { ActionDeployment, ExecutionRecord } from './model';
import type { ExecutionWriter, LogPort, RunRef } from './ports';
import type { ExecutionResult } from './runtime/execute';
import type { Recording } from './runtime/recorded-api';

/** An EventBridge event as a target receives it. */
export interface BusEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly time?: string;
  readonly detail: Record<string, unknown>;
}

export interface RunnerPorts {
  readonly executions: ExecutionWriter;
  /**
   * Runs the deployed bundle's `handlerName` on `event` (the action's own secrets are the runner's), with the
   * `api` of `triggerId`: the calls it records come back as `recorded`, already redacted and bounded.
   */
  readonly execute: (input: {
    readonly handlerName: string;
    readonly triggerId: TriggerId;
    readonly event: Record<string, unknown>;
    readonly timeoutMs: number;
  }) => Promise<ExecutionResult & { readonly emitted?: number; readonly recorded?: Recording }>;
  readonly logger: LogPort;
  readonly newId?: () => string;
}

export type RunOutcome =
  | { readonly kind: 'ran'; readonly execution: ExecutionRecord }
  | { readonly kind: 'duplicate' };

/** The run failed or timed out; it is recorded as `executionId`. Thrown so the delivery is retried. */
export class ActionRunFailedError extends Error {
  public constructor(public readonly execution: ExecutionRecord) {
    super(
      `Action ${execution.actionName} version ${execution.actionVersionNumber} ${execution.status === 'timed_out' ? 'timed out' : 'failed'} on event ${execution.eventId} (execution ${execution.id})`,
    );
    this.name = 'ActionRunFailedError';
  }
}

/** Another delivery of the same event is running this version now: try again later. */
export class RunInFlightError extends Error {
  public constructor(versionId: string, eventId: string) {
    super(`Event ${eventId} is being run by version ${versionId} already; it will be delivered again`);
    this.name = 'RunInFlightError';
  }
}

/** The event is not one of the deployed version's triggers (a stale rule, or a misrouted event). */
export class UnexpectedEventError extends Error {
  public constructor(detailType: string, triggers: readonly string[]) {
    super(
      `Events of detail-type ${JSON.stringify(detailType)} are not for this action (its triggers: ${triggers.join(', ')})`,
    );
    this.name = 'UnexpectedEventError';
  }
}

export async function runActionEvent(
  deployment: ActionDeployment,
  busEvent: BusEvent,
  ports: RunnerPorts,
): Promise<RunOutcome> {
  const triggerId = triggerOf(deployment, busEvent);
  const trigger = getTrigger(triggerId);
  const leaseId = ports.newId?.() ?? randomUUID();
  const run: RunRef = {
    actionId: deployment.actionId,
    versionId: deployment.versionId,
    eventId: busEvent.id,
  };
  const claim = await ports.executions.claim(run, leaseId);
  if (claim === 'done') {
    ports.logger.info('Skipped an event this action version already ran', {
      actionId: deployment.actionId,
      versionNumber: deployment.versionNumber,
      eventId: busEvent.id,
    });
    return { kind: 'duplicate' };
  }
  if (claim === 'in-flight') throw new RunInFlightError(deployment.versionId, busEvent.id);

  let execution: ExecutionRecord;
  try {
    const result = await ports.execute({
      handlerName: trigger.handler,
      triggerId,
      event: actionEvent(trigger.eventFields, busEvent.detail),
      timeoutMs: deployment.timeoutMs,
    });
    const recorded = result.recorded ?? { calls: [], omitted: 0 };
    execution = {
      id: executionIdFor(deployment.actionId, ports.newId?.() ?? randomUUID()),
      actionId: deployment.actionId,
      actionName: deployment.actionName,
      actionVersionId: deployment.versionId,
      actionVersionNumber: deployment.versionNumber,
      triggerId,
      eventId: busEvent.id,
      status: result.status,
      startedAt: result.startedAt,
      endedAt: result.endedAt,
      durationMs: result.durationMs,
      logs: result.logs,
      ...(result.error ? { error: result.error } : {}),
      ...(result.emitted ? { emitted: result.emitted } : {}),
      ...(recorded.calls.length > 0 ? { recorded: recorded.calls } : {}),
      ...(recorded.omitted > 0 ? { recordedOmitted: recorded.omitted } : {}),
    };
    await ports.executions.put(execution);
  } catch (error) {
    // Not recorded: the run counts as not done, and the delivery is retried.
    await giveBack(run, leaseId, ports);
    throw error;
  }
  if (execution.status === 'succeeded') {
    await ports.executions.complete(run, leaseId);
    return { kind: 'ran', execution };
  }
  await giveBack(run, leaseId, ports);
  throw new ActionRunFailedError(execution);
}

/** What the action receives as `event`; never the detail's `secrets` (the runner gives the action its own). */
function actionEvent(
  fields: readonly string[] | 'all',
  detail: Record<string, unknown>,
): Record<string, unknown> {
  const names = fields === 'all' ? Object.keys(detail) : fields;
  // fromEntries defines the keys, so a "__proto__" key of the detail stays a key.
  return Object.fromEntries(
    names
      .filter((field) => field !== 'secrets' && Object.hasOwn(detail, field))
      .map((field) => [field, detail[field]]),
  );
}

function triggerOf(deployment: ActionDeployment, busEvent: BusEvent): TriggerId {
  const ids = deployment.triggers.map(({ id }) => id);
  const match = TRIGGERS.find(
    (trigger) => trigger.detailType === busEvent['detail-type'] && ids.includes(trigger.id),
  );
  if (!match) throw new UnexpectedEventError(busEvent['detail-type'], ids);
  return match.id;
}

async function giveBack(run: RunRef, leaseId: string, ports: RunnerPorts): Promise<void> {
  await ports.executions.release(run, leaseId).catch((error: unknown) => {
    // The lease lapses by itself; the retry only waits for it.
    ports.logger.warn('Could not give back a run claim', {
      actionId: run.actionId,
      eventId: run.eventId,
      error: error instanceof Error ? error.name : typeof error,
    });
  });
}
