/** `a0bridge status`: the bridge on one screen, for `npm start` or a deployed stack alike. */
import { UsageError } from './client';
import { type Area, type Context, print } from './common';
import { table, time } from './format';

export const STATUS_USAGE = `Usage: a0bridge status [--window-hours N] [--json]

The stream's last delivery, the records received, published, duplicated and quarantined in the last
--window-hours (default 24), the quarantine's depth, each dead-letter queue's depth, and the alarms in
ALARM. A deployed stack reads CloudWatch (the ingest's metrics and the stack's alarms); npm start counts
what its own ingest answered since it started, and has no alarms.`;

export const STATUS_AREA: Area = {
  name: 'status',
  usage: STATUS_USAGE,
  options: { 'window-hours': { type: 'string' } },
  // '' is the command run when none is named: `a0bridge status`.
  commands: { '': status },
};

interface QueueStatus {
  readonly name: string;
  readonly visible?: number;
  readonly in_flight?: number;
  readonly error?: string;
}

interface Status {
  readonly mode: 'aws' | 'local';
  readonly generated_at: string;
  readonly window_hours: number;
  readonly ingest:
    | {
        last_delivery_at: string | null;
        received: number;
        published: number;
        duplicates: number;
        quarantined: number;
        failed: number;
        source: string;
      }
    | { error: string };
  readonly quarantine: QueueStatus;
  readonly dead_letter_queues: QueueStatus[] | { error: string };
  readonly alarms:
    | { available: true; in_alarm: Array<{ name: string; reason?: string; since?: string }> }
    | { available: false; reason: string };
}

async function status(context: Context): Promise<number> {
  const { client, values } = context;
  const query: Record<string, string> = {};
  if (values['window-hours'] !== undefined) {
    const hours = String(values['window-hours']);
    if (!/^\d+$/.test(hours)) throw new UsageError(`--window-hours must be a whole number, got ${hours}.`);
    query.window_hours = hours;
  }
  const { body } = await client.request('GET', '/api/v2/bridge/status', { query });
  return print(context, body as Status, render);
}

function render(status: Status): string {
  const where = status.mode === 'aws' ? 'deployed stack' : 'local (npm start)';
  const lines = [`Auth0 Event Bridge, ${where}, at ${time(status.generated_at)}\n\n`];
  const ingest = status.ingest;
  lines.push(`Ingest, last ${status.window_hours} h\n`);
  if ('error' in ingest) {
    lines.push(`  could not be read: ${ingest.error}\n`);
  } else {
    lines.push(
      `  Last delivery  ${ingest.last_delivery_at ? `${time(ingest.last_delivery_at)} (${ago(ingest.last_delivery_at, status.generated_at)})` : `none in the last ${status.window_hours} h`}\n`,
      `  Records        ${ingest.received} received, ${ingest.published} published, ${ingest.duplicates} duplicates, ${ingest.quarantined} quarantined, ${ingest.failed} failed (503)\n`,
      `  From           ${ingest.source}\n`,
    );
  }
  lines.push(`\nQueues\n`);
  const queues = [
    status.quarantine,
    ...(Array.isArray(status.dead_letter_queues) ? status.dead_letter_queues : []),
  ];
  lines.push(
    indent(
      table(
        ['QUEUE', 'WAITING', 'IN FLIGHT'],
        queues.map((queue) =>
          queue.error
            ? [queue.name, '?', `could not be read: ${queue.error}`]
            : [queue.name, String(queue.visible ?? 0), String(queue.in_flight ?? 0)],
        ),
      ),
    ),
  );
  if (!Array.isArray(status.dead_letter_queues)) {
    lines.push(`  dead-letter queues could not be listed: ${status.dead_letter_queues.error}\n`);
  }
  if ((status.quarantine.visible ?? 0) > 0)
    lines.push('  See the quarantine with: a0bridge quarantine list\n');
  lines.push('\nAlarms in ALARM\n');
  const alarms = status.alarms;
  if (!alarms.available) lines.push(`  unavailable: ${alarms.reason}\n`);
  else if (alarms.in_alarm.length === 0) lines.push('  none\n');
  else {
    lines.push(
      indent(
        table(
          ['ALARM', 'SINCE', 'REASON'],
          alarms.in_alarm.map((alarm) => [alarm.name, time(alarm.since), (alarm.reason ?? '').slice(0, 120)]),
        ),
      ),
    );
  }
  return lines.join('');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}

function ago(at: string, now: string): string {
  const minutes = Math.max(0, Math.round((Date.parse(now) - Date.parse(at)) / 60_000));
  if (minutes < 1) return 'this minute';
  if (minutes < 120) return `${minutes} min ago`;
  return `${Math.round(minutes / 60)} h ago`;
}
