/**
 * `a0bridge replay --from … --to …`: delivers a window of the archive to the bus again, and follows the
 * replay until it ends (or the wait runs out). `a0bridge replay status <name>` looks at one again later.
 */
import type { ReplayView } from '../lambdas/operations/replay';
import { UsageError } from './client';
import { type Area, type Context, need, printJson, type Values } from './common';
import { keyValues, table, time } from './format';

const REPLAYS_PATH = '/api/v2/bridge/replays';
const DEFAULT_WAIT_MINUTES = 30;
const DEFAULT_POLL_SECONDS = 15;

export const REPLAY_USAGE = `Usage: a0bridge replay --from <ISO time> --to <ISO time> [options]
       a0bridge replay status <name>

Replays the archived events of a window onto the bus, then follows the replay until it is COMPLETED,
FAILED or CANCELLED (or --wait-minutes runs out; it goes on, see it with a0bridge replay status <name>).

  --from, --to <time>        the window, ISO 8601 with a zone: 2026-03-01T08:00:00Z
  --codes c,…                only the routes that take these log type codes
  --categories c,…           only the routes that take these categories
  --routes id,…              only these routes (ids of config/routes.ts)
  --no-wait                  start it and return
  --wait-minutes <n>         how long to follow it (default ${DEFAULT_WAIT_MINUTES})
  --poll-seconds <n>         how often to look (default ${DEFAULT_POLL_SECONDS})

EventBridge replays to rules, not by pattern: with --codes or --categories, each route whose match takes
them receives every event of its own from the window, not only those. Without them, every rule on the bus
receives the window: every route and every action binding. Subscribers see the events again, with a
"replay-name" field; replays start after a delay and do not keep the original order.`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  codes: { type: 'string', multiple: true },
  categories: { type: 'string', multiple: true },
  routes: { type: 'string', multiple: true },
  'no-wait': { type: 'boolean' },
  'wait-minutes': { type: 'string' },
  'poll-seconds': { type: 'string' },
} as const;

export const REPLAY_AREA: Area = {
  name: 'replay',
  usage: REPLAY_USAGE,
  options: OPTIONS,
  // '' is the command run when none is named: `a0bridge replay --from … --to …`.
  commands: { '': start, start, status },
};

interface Started {
  readonly name: string;
  readonly state: string;
  readonly from: string;
  readonly to: string;
  readonly all_rules: boolean;
  readonly routes: Array<{ id: string; why: string }>;
  readonly notes: string[];
}

type View = ReplayView;

async function start(context: Context): Promise<number> {
  const { client, io, values, json } = context;
  if (typeof values.from !== 'string' || typeof values.to !== 'string') {
    throw new UsageError(`--from and --to are required.\n\n${REPLAY_USAGE}`);
  }
  const body = {
    from: values.from,
    to: values.to,
    ...listOf(values, 'codes'),
    ...listOf(values, 'categories'),
    ...listOf(values, 'routes'),
  };
  const { body: started } = (await client.request('POST', REPLAYS_PATH, { body })) as { body: Started };
  if (!json) {
    io.stdout.write(
      [
        `Replay ${started.name} ${started.state}: ${time(started.from)} to ${time(started.to)}.\n`,
        started.all_rules
          ? 'To every rule on the bus (every route and every action binding).\n'
          : `To ${started.routes.length} route(s):\n${table(
              ['ROUTE', 'WHY'],
              started.routes.map((route) => [route.id, route.why]),
            )}`,
        ...started.notes.map((note) => `- ${note}\n`),
      ].join(''),
    );
  }
  if (values['no-wait']) {
    if (json) return printJson(io, { replay: started });
    io.stdout.write(`Follow it with: a0bridge replay status ${started.name}\n`);
    return 0;
  }
  const final = await follow(context, started.name);
  if (json) printJson(io, { replay: started, result: final });
  return final.state === 'COMPLETED' ? 0 : 1;
}

async function status(context: Context): Promise<number> {
  const [name] = need(context.positionals, ['name'], 'replay status <name>');
  const view = await describe(context, name);
  if (context.json) return printJson(context.io, view);
  context.io.stdout.write(describeView(view));
  return 0;
}

/** Polls until the replay ends or the wait runs out, printing each change of state or progress. */
async function follow(context: Context, name: string): Promise<View> {
  const { io, values, json } = context;
  const waitMs = positive(values['wait-minutes'], '--wait-minutes', DEFAULT_WAIT_MINUTES) * 60_000;
  const pollMs = positive(values['poll-seconds'], '--poll-seconds', DEFAULT_POLL_SECONDS) * 1000;
  const deadline = Date.now() + waitMs;
  let shown = '';
  for (;;) {
    const view = await describe(context, name);
    const line = `${view.state} ${Math.floor(view.progress * 100)}%${view.last_replayed ? `, replayed up to ${time(view.last_replayed)}` : ''}`;
    if (!json && line !== shown) io.stdout.write(`${new Date().toISOString().slice(11, 19)}  ${line}\n`);
    shown = line;
    if (view.done) {
      if (!json && view.state !== 'COMPLETED') {
        io.stderr.write(
          `Replay ${name} ended ${view.state}${view.state_reason ? `: ${view.state_reason}` : ''}.\n`,
        );
      }
      return view;
    }
    if (Date.now() + pollMs > deadline) {
      if (!json) {
        io.stderr.write(
          `Replay ${name} is still ${view.state} after ${waitMs / 60_000} minute(s); it goes on. See it with: a0bridge replay status ${name}\n`,
        );
      }
      return view;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

async function describe({ client }: Context, name: string): Promise<View> {
  const { body } = await client.request('GET', `${REPLAYS_PATH}/${encodeURIComponent(name)}`);
  return body as View;
}

function describeView(view: View): string {
  return keyValues([
    ['Replay', view.name],
    ['State', `${view.state}${view.state_reason ? ` (${view.state_reason})` : ''}`],
    ['Window', `${time(view.from)} to ${time(view.to)}`],
    ['Progress', `${Math.floor(view.progress * 100)}%`],
    ['Replayed up to', time(view.last_replayed)],
    ['Started', time(view.started_at)],
    ['Ended', time(view.ended_at)],
  ]);
}

/** `--codes fp,f --codes s`: comma-separated or repeated. */
function listOf<K extends 'codes' | 'categories' | 'routes'>(
  values: Values,
  key: K,
): { [P in K]?: string[] } {
  const items = ((values[key] as string[] | undefined) ?? []).flatMap((item) =>
    item
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  );
  return (items.length > 0 ? { [key]: items } : {}) as { [P in K]?: string[] };
}

function positive(value: Values[string], name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    throw new UsageError(`${name} must be a positive number, got ${JSON.stringify(value)}.`);
  }
  return number;
}
