/**
 * One screen of the bridge's state, for `a0bridge status`: the stream's last delivery and the record counts
 * of the last hours, the quarantine's depth, every dead-letter queue's depth, and the alarms in ALARM. The same
 * for a deployed stack (CloudWatch) and for `npm start` (the local process's own count): only the StatusPort
 * differs.
 */
import { describeError } from '../shared/errors';
import type { QueueDepths, StatusPort } from './ports';

export const DEFAULT_WINDOW_HOURS = 24;

export interface QueueStatus {
  readonly name: string;
  readonly visible?: number;
  readonly in_flight?: number;
  /** Why the depth could not be read. */
  readonly error?: string;
}

export interface BridgeStatus {
  readonly mode: 'aws' | 'local';
  readonly generated_at: string;
  readonly window_hours: number;
  readonly ingest:
    | {
        readonly last_delivery_at: string | null;
        readonly received: number;
        readonly published: number;
        readonly duplicates: number;
        readonly quarantined: number;
        readonly failed: number;
        readonly source: string;
      }
    | { readonly error: string };
  readonly quarantine: QueueStatus;
  readonly dead_letter_queues: readonly QueueStatus[] | { readonly error: string };
  readonly alarms:
    | {
        readonly available: true;
        readonly in_alarm: ReadonlyArray<{ name: string; reason?: string; since?: string }>;
      }
    | { readonly available: false; readonly reason: string };
}

export interface StatusPorts {
  readonly status: StatusPort;
  readonly queues: QueueDepths;
}

/**
 * Reads every part at once; a part that cannot be read (a missing permission, a throttle) says why in its
 * place, and the rest is still shown: the status is what an operator opens when something is wrong.
 */
export async function readStatus(
  ports: StatusPorts,
  settings: { readonly quarantineQueueUrl: string; readonly windowHours: number; readonly now: Date },
): Promise<BridgeStatus> {
  const { status, queues } = ports;
  const since = new Date(settings.now.getTime() - settings.windowHours * 60 * 60 * 1000);
  const [activity, quarantine, deadLetters, alarms] = await Promise.all([
    settle(status.ingestActivity(since, settings.now)),
    settle(queues.depth(settings.quarantineQueueUrl)),
    settle(
      status.deadLetterQueues().then((watched) =>
        Promise.all(
          watched.map(async ({ name, url }): Promise<QueueStatus> => {
            const depth = await settle(queues.depth(url));
            return 'error' in depth
              ? { name, error: depth.error }
              : { name, visible: depth.value.visible, in_flight: depth.value.inFlight };
          }),
        ),
      ),
    ),
    settle(status.alarmsInAlarm()),
  ]);
  return {
    mode: status.mode,
    generated_at: settings.now.toISOString(),
    window_hours: settings.windowHours,
    ingest:
      'error' in activity
        ? { error: activity.error }
        : {
            last_delivery_at: activity.value.lastDeliveryAt?.toISOString() ?? null,
            received: activity.value.received,
            published: activity.value.published,
            duplicates: activity.value.duplicates,
            quarantined: activity.value.quarantined,
            failed: activity.value.failed,
            source: activity.value.source,
          },
    quarantine:
      'error' in quarantine
        ? { name: 'quarantine', error: quarantine.error }
        : { name: 'quarantine', visible: quarantine.value.visible, in_flight: quarantine.value.inFlight },
    dead_letter_queues: 'error' in deadLetters ? { error: deadLetters.error } : deadLetters.value,
    alarms:
      'error' in alarms
        ? { available: false, reason: `could not be read: ${alarms.error}` }
        : alarms.value === undefined
          ? { available: false, reason: 'local mode has no CloudWatch alarms' }
          : {
              available: true,
              in_alarm: alarms.value.map(({ name, reason, since: at }) => ({
                name,
                ...(reason ? { reason } : {}),
                ...(at ? { since: at.toISOString() } : {}),
              })),
            },
  };
}

async function settle<T>(promise: Promise<T>): Promise<{ value: T } | { error: string }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: describeError(error) };
  }
}
