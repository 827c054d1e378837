/** `a0bridge quarantine …`: what is in the quarantine, and posting its records again through the ingest. */
import { UsageError } from './client';
import { type Area, type Context, print, type Values } from './common';
import { table, time } from './format';

const QUARANTINE_PATH = '/api/v2/bridge/quarantine';

export const QUARANTINE_USAGE = `Usage: a0bridge quarantine <command> [options]

Commands:
  list [--reason R] [--limit N]    the quarantined records: reason, log_id, when (never their contents)
  redrive [--reason R] [--limit N] [--dry-run]
                                   post the records again to the ingest URL, as Auth0 does: dedup, checks
                                   and quarantine apply as for Auth0. A message is deleted only once the
                                   ingest answered 200 (published, already published, or quarantined again
                                   under a new message); on a 503 or an error it stays.

--limit bounds how many messages are read (default 50; list at most 500, redrive at most 100). Reading an
SQS queue hides each message read for a moment (list: up to 30 s, redrive: up to 3 min) and shows it again
afterwards; other readers do not see it meanwhile. --reason filters on the quarantine reason, e.g.
missing_type or publish_rejected.`;

const OPTIONS = {
  reason: { type: 'string' },
  limit: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

export const QUARANTINE_AREA: Area = {
  name: 'quarantine',
  usage: QUARANTINE_USAGE,
  options: OPTIONS,
  commands: { list, ls: list, redrive },
};

interface Entry {
  readonly message_id: string;
  readonly reason: string;
  readonly message?: string;
  readonly log_id?: string;
  readonly received_at?: string;
  readonly surface: string;
  readonly stored: string;
}

interface Listing {
  readonly messages: Entry[];
  readonly read: number;
  readonly limit: number;
  readonly truncated: boolean;
  readonly depth: { visible: number; inFlight: number };
}

interface RedriveResult {
  readonly reason: string;
  readonly log_id?: string;
  readonly outcome: string;
  readonly deleted: boolean;
  readonly path?: string;
  readonly status?: number;
  readonly detail?: string;
}

interface RedriveReport {
  readonly dry_run: boolean;
  readonly results: RedriveResult[];
  readonly counts: Record<string, number>;
  readonly skipped: number;
  readonly read: number;
  readonly limit: number;
  readonly truncated: boolean;
}

async function list(context: Context): Promise<number> {
  const { client, values } = context;
  const query: Record<string, string> = { ...limitOf(values) };
  if (typeof values.reason === 'string') query.reason = values.reason;
  const { body } = await client.request('GET', QUARANTINE_PATH, { query });
  return print(context, body as Listing, (listing) =>
    [
      `Quarantine: ${listing.depth.visible} waiting, ${listing.depth.inFlight} in flight.\n`,
      table(
        ['REASON', 'LOG_ID', 'SURFACE', 'RECEIVED', 'STORED', 'MESSAGE'],
        listing.messages.map((entry) => [
          entry.reason,
          shorten(entry.log_id ?? '-', 80),
          entry.surface,
          time(entry.received_at),
          entry.stored,
          shorten(entry.message ?? '', 100),
        ]),
      ),
      `${listing.messages.length} shown; ${listing.read} message(s) read${listing.truncated ? ` (limit ${listing.limit} reached: there may be more; raise --limit)` : ''}.\n`,
      listing.messages.length > 0
        ? 'Record contents are never shown. Post them again with: a0bridge quarantine redrive [--reason R] [--dry-run]\n'
        : '',
    ].join(''),
  );
}

async function redrive(context: Context): Promise<number> {
  const { client, values } = context;
  const dryRun = values['dry-run'] === true;
  const body: Record<string, unknown> = { dry_run: dryRun };
  const limit = limitOf(values).limit;
  if (limit !== undefined) body.limit = Number(limit);
  if (typeof values.reason === 'string') body.reason = values.reason;
  const { body: report } = (await client.request('POST', `${QUARANTINE_PATH}/redrive`, { body })) as {
    body: RedriveReport;
  };
  print(context, report, (r) =>
    [
      r.dry_run ? 'Dry run: nothing was posted or deleted.\n' : '',
      table(
        ['REASON', 'LOG_ID', 'OUTCOME', 'MESSAGE', 'DETAIL'],
        r.results.map((result) => [
          result.reason,
          shorten(result.log_id ?? '-', 80),
          result.outcome,
          result.deleted ? 'deleted' : 'kept',
          shorten(result.detail ?? (result.status ? `HTTP ${result.status}` : ''), 120),
        ]),
      ),
      `${summary(r.counts)}${r.skipped > 0 ? `; ${r.skipped} of another reason left alone` : ''}.\n`,
      r.truncated ? `The limit (${r.limit}) was reached: run it again for the rest.\n` : '',
    ].join(''),
  );
  // Records not posted yet (the ingest failed, did not answer, or the run ran out of time): run it again.
  return (report.counts.failed ?? 0) + (report.counts.deferred ?? 0) > 0 ? 1 : 0;
}

function limitOf(values: Values): { limit?: string } {
  if (values.limit === undefined) return {};
  const limit = String(values.limit);
  if (!/^\d+$/.test(limit) || Number(limit) < 1) {
    throw new UsageError(`--limit must be a positive whole number, got ${JSON.stringify(limit)}.`);
  }
  return { limit };
}

function summary(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, count]) => count > 0)
    .map(([outcome, count]) => `${count} ${outcome.replaceAll('_', ' ')}`);
  return parts.length > 0 ? parts.join(', ') : 'Nothing to redrive';
}

function shorten(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
