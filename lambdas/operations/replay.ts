/**
 * Replays from the bus's archive back onto the bus. EventBridge cannot filter a replay by pattern, only by
 * rule (`Destination.FilterArns`), so asking for log codes or categories selects the routes whose match
 * takes them (config/routes.ts, the same route model the rules were built from); each selected route then
 * receives every event of its own from the window, not only those codes.
 */
import { InvalidRequestError, RegistryError } from '../lifecycle/errors';
import { validateLogMatch } from '../shared/log-match';
import { categoryOf } from '../shared/log-types';
import { closestMatches } from '../shared/suggest';
import type { OperationsRoute } from './config';
import type { ArchiveReplays, ReplayDescription } from './ports';

export interface ReplaySelection {
  readonly codes?: readonly string[];
  readonly categories?: readonly string[];
  /** Route ids, chosen by name. */
  readonly routes?: readonly string[];
}

export interface ReplayPlan {
  /** Undefined: every rule on the bus (routes, action bindings, anything else). */
  readonly filterArns?: readonly string[];
  readonly routes: ReadonlyArray<{ readonly id: string; readonly rule_arn: string; readonly why: string }>;
}

export interface ReplaySettings {
  readonly busArn: string;
  readonly archiveArn: string;
  readonly archiveRetentionDays: number;
  readonly replayPrefix: string;
  readonly routes: readonly OperationsRoute[];
}

export interface StartedReplay {
  readonly name: string;
  readonly state: string;
  readonly from: string;
  readonly to: string;
  readonly all_rules: boolean;
  readonly routes: ReplayPlan['routes'];
  readonly filter_arns?: readonly string[];
  /** What the operator should know about this window: expired events, the archive's delay, duplicates. */
  readonly notes: readonly string[];
}

/** A replay as `a0bridge replay` shows it, with how far through the window it is. */
export interface ReplayView {
  readonly name: string;
  readonly state: string;
  readonly state_reason?: string;
  readonly from?: string;
  readonly to?: string;
  readonly last_replayed?: string;
  readonly started_at?: string;
  readonly ended_at?: string;
  /** 0 to 1: how far `last_replayed` is through the window; 1 once COMPLETED. */
  readonly progress: number;
  readonly done: boolean;
  readonly filter_arns?: readonly string[];
}

/** How long after an event reaches the bus it may still be on its way into the archive. */
const ARCHIVE_DELAY_MS = 10 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** Which routes take log events of these codes or categories, or the routes named. */
export function planReplay(routes: readonly OperationsRoute[], selection: ReplaySelection): ReplayPlan {
  const codes = selection.codes ?? [];
  const categories = selection.categories ?? [];
  const named = selection.routes ?? [];
  if (codes.length === 0 && categories.length === 0 && named.length === 0) return { routes: [] };

  const problems = validateLogMatch({ codes, categories }, 'replay');
  const ids = routes.map(({ id }) => id);
  for (const id of named) {
    if (!ids.includes(id)) {
      const close = closestMatches(id, ids);
      problems.push(
        `replay: unknown route "${id}"${close.length > 0 ? `; did you mean ${close.map((c) => `"${c}"`).join(', ')}?` : ''}`,
      );
    }
  }
  if (problems.length > 0) throw new InvalidRequestError(problems.join('; '), 'invalid_selection');

  const selected: Array<{ id: string; rule_arn: string; why: string }> = [];
  const disabled: string[] = [];
  for (const route of routes) {
    const why = named.includes(route.id) ? 'named' : coverage(route, codes, categories);
    if (why === undefined) continue;
    if (!route.enabled) {
      disabled.push(route.id);
      continue;
    }
    selected.push({ id: route.id, rule_arn: route.ruleArn, why });
  }
  if (selected.length === 0) {
    const asked = [...codes.map((c) => `code ${c}`), ...categories.map((c) => `category ${c}`)].join(', ');
    const off = disabled.length > 0 ? ` (disabled: ${disabled.join(', ')})` : '';
    throw new RegistryError(
      400,
      'no_route_selected',
      `No enabled route takes ${asked || 'these events'}${off}; replaying would deliver nothing. Add a route for them in config/routes.ts, or replay without --codes/--categories to reach every rule.`,
    );
  }
  return { filterArns: selected.map(({ rule_arn }) => rule_arn), routes: selected };
}

/** Why a route takes log events of these codes or categories, or undefined when it takes none. */
function coverage(
  route: OperationsRoute,
  codes: readonly string[],
  categories: readonly string[],
): string | undefined {
  const reasons: string[] = [];
  for (const code of codes) {
    if (route.codes.includes(code)) reasons.push(`code ${code}`);
    else if (route.categories.includes(categoryOf(code)))
      reasons.push(`code ${code} (category ${categoryOf(code)})`);
  }
  for (const category of categories) {
    if (route.categories.includes(category)) reasons.push(`category ${category}`);
    else {
      const code = route.codes.find((candidate) => categoryOf(candidate) === category);
      if (code) reasons.push(`category ${category} (code ${code})`);
    }
  }
  // Only a raw pattern: it narrows every log event, so it may take some of these.
  if (
    reasons.length === 0 &&
    route.narrowed &&
    route.codes.length === 0 &&
    route.categories.length === 0 &&
    !route.otherSurfaces
  ) {
    return 'its raw pattern may take them';
  }
  return reasons.length > 0 ? `takes ${reasons.join(', ')}` : undefined;
}

/** Checks the window against the archive: a window EventBridge would refuse, or one that replays nothing. */
export function checkWindow(
  from: Date,
  to: Date,
  now: Date,
  retentionDays: number,
): { readonly notes: string[] } {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) {
    throw new InvalidRequestError(
      'from and to must be ISO 8601 times, e.g. 2026-03-01T08:00:00Z.',
      'invalid_window',
    );
  }
  if (from.getTime() >= to.getTime()) {
    throw new InvalidRequestError(
      `from (${from.toISOString()}) must be before to (${to.toISOString()}).`,
      'invalid_window',
    );
  }
  if (to.getTime() > now.getTime()) {
    throw new InvalidRequestError(
      `to (${to.toISOString()}) is in the future; the archive holds only what has happened (now ${now.toISOString()}).`,
      'invalid_window',
    );
  }
  const notes: string[] = [];
  if (retentionDays > 0) {
    const oldest = new Date(now.getTime() - retentionDays * DAY_MS);
    if (to.getTime() <= oldest.getTime()) {
      throw new InvalidRequestError(
        `The whole window ends before ${oldest.toISOString()}: the archive keeps events ${retentionDays} days, so it holds none of them.`,
        'window_expired',
      );
    }
    if (from.getTime() < oldest.getTime()) {
      notes.push(
        `The archive keeps events ${retentionDays} days: events before ${oldest.toISOString()} are gone and are not replayed.`,
      );
    }
  }
  if (to.getTime() > now.getTime() - ARCHIVE_DELAY_MS) {
    notes.push(
      'The window ends less than 10 minutes ago: events reach the archive with a delay, so the last ones may be missing. Replay that part again later.',
    );
  }
  return { notes };
}

export async function startReplay(
  replays: ArchiveReplays,
  settings: ReplaySettings,
  request: {
    readonly from: Date;
    readonly to: Date;
    readonly selection: ReplaySelection;
    readonly now: Date;
  },
  newSuffix: () => string,
): Promise<StartedReplay> {
  const { notes } = checkWindow(request.from, request.to, request.now, settings.archiveRetentionDays);
  const plan = planReplay(settings.routes, request.selection);
  const name = replayName(settings.replayPrefix, request.now, newSuffix());
  const description = plan.filterArns
    ? `a0bridge: ${plan.routes.map(({ id }) => id).join(', ')}`.slice(0, 512)
    : 'a0bridge: every rule on the bus';
  const { state } = await replays.start({
    name,
    from: request.from,
    to: request.to,
    description,
    ...(plan.filterArns ? { filterArns: plan.filterArns } : {}),
  });
  notes.push(
    plan.filterArns
      ? 'Each selected route receives every event of its own from the window, not only the codes or categories asked for.'
      : 'Every rule on the bus receives the window again: every route, and every action binding (actions run again).',
    'Subscribers see these events a second time, with a "replay-name" field set; deduplicate on detail.log_id.',
    'EventBridge starts a replay after a delay and replays minute by minute, not in the original order.',
  );
  return {
    name,
    state,
    from: request.from.toISOString(),
    to: request.to.toISOString(),
    all_rules: plan.filterArns === undefined,
    routes: plan.routes,
    ...(plan.filterArns ? { filter_arns: plan.filterArns } : {}),
    notes,
  };
}

export async function describeReplay(
  replays: ArchiveReplays,
  settings: Pick<ReplaySettings, 'replayPrefix'>,
  name: string,
): Promise<ReplayView> {
  if (!name.startsWith(settings.replayPrefix) || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
    throw new RegistryError(
      404,
      'replay_not_found',
      `No replay of this stack is named ${JSON.stringify(name.slice(0, 64))}; its replays are named ${settings.replayPrefix}….`,
    );
  }
  const found = await replays.describe(name);
  if (!found) throw new RegistryError(404, 'replay_not_found', `No replay is named ${JSON.stringify(name)}.`);
  return viewOf(found);
}

export function viewOf(replay: ReplayDescription): ReplayView {
  const done = FINAL_STATES.has(replay.state);
  return {
    name: replay.name,
    state: replay.state,
    ...(replay.stateReason ? { state_reason: replay.stateReason } : {}),
    ...iso('from', replay.eventStartTime),
    ...iso('to', replay.eventEndTime),
    ...iso('last_replayed', replay.eventLastReplayedTime),
    ...iso('started_at', replay.replayStartTime),
    ...iso('ended_at', replay.replayEndTime),
    progress: progressOf(replay),
    done,
    ...(replay.filterArns?.length ? { filter_arns: replay.filterArns } : {}),
  };
}

function progressOf(replay: ReplayDescription): number {
  if (replay.state === 'COMPLETED') return 1;
  const start = replay.eventStartTime?.getTime();
  const end = replay.eventEndTime?.getTime();
  const last = replay.eventLastReplayedTime?.getTime();
  if (start === undefined || end === undefined || last === undefined || end <= start) return 0;
  return Math.min(1, Math.max(0, (last - start) / (end - start)));
}

/** `<prefix>20260301T080000Z-ab12`: at most 64 of `[.\-_A-Za-z0-9]`. */
export function replayName(prefix: string, now: Date, suffix: string): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${prefix}${stamp}-${suffix}`.slice(0, 64);
}

function iso<K extends string>(key: K, date: Date | undefined): { [P in K]?: string } {
  return (date ? { [key]: date.toISOString() } : {}) as { [P in K]?: string };
}
