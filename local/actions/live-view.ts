/** The lines `npm start` prints for action runs, below the routed events. */
import type { BusEvent } from '../../lambdas/actions/runner';
import type { ActionDelivery } from './poller';

/**
 * `  action notify v3 on 9002…: succeeded in 12 ms`, or the failure with its error, which attempt it was and
 * whether the event goes to the DLQ next. Error messages are already redacted by the runtime.
 */
export function formatActionDelivery(delivery: ActionDelivery): string {
  switch (delivery.kind) {
    case 'ran': {
      const { execution } = delivery;
      const emitted = execution.emitted ? `, emitted ${execution.emitted} event(s)` : '';
      const calls = (execution.recorded?.length ?? 0) + (execution.recordedOmitted ?? 0);
      const recorded = calls > 0 ? `, recorded ${calls} api call(s)` : '';
      return `${head(execution.actionName, execution.actionVersionNumber, delivery.event)}: succeeded in ${execution.durationMs} ms${emitted}${recorded}`;
    }
    case 'duplicate':
      return `${head(delivery.deployment.actionName, delivery.deployment.versionNumber, delivery.event)}: already ran; skipped the redelivery`;
    case 'failed': {
      const { execution } = delivery;
      const how = execution.status === 'timed_out' ? 'timed out' : 'failed';
      const error = execution.error ? `: ${execution.error.name}: ${oneLine(execution.error.message)}` : '';
      return `${head(execution.actionName, execution.actionVersionNumber, delivery.event)}: ${how} in ${execution.durationMs} ms${error} ${attempts(delivery)}`;
    }
    case 'not-run': {
      const name = delivery.deployment
        ? head(delivery.deployment.actionName, delivery.deployment.versionNumber, delivery.event)
        : `  action ${delivery.actionId}`;
      return `${name}: not run: ${delivery.error.name}: ${oneLine(delivery.error.message)} ${attempts(delivery)}`;
    }
  }
}

function head(name: string, versionNumber: number, event: BusEvent | undefined): string {
  const logId = event?.detail.log_id;
  const on = typeof logId === 'string' ? logId : (event?.id ?? '?');
  return `  action ${name} v${versionNumber} on ${on}`;
}

function attempts(delivery: { readonly attempt: number; readonly maxAttempts: number }): string {
  const next =
    delivery.attempt >= delivery.maxAttempts ? 'the event goes to the actions DLQ' : 'it will be retried';
  return `(attempt ${delivery.attempt} of ${delivery.maxAttempts}; ${next})`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, ' ');
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
