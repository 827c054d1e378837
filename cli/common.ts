/**
 * What every `a0bridge` area shares: the options that pick and reach the stack, reading code and secret
 * values, finding things by name or id, version numbers, and changing a draft's secrets and dependencies
 * with the full-list PATCH the API takes.
 */
import { readFile } from 'node:fs/promises';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { ApiError, type ManagementClient, UsageError } from './client';
import { pageLine, table } from './format';
import { type CliIo, readAll } from './io';

export type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * How a checkout runs the CLI. `a0bridge` alone is not on PATH (npm links no bin of the project itself), so
 * every command a hint, an error or a usage line prints starts with this, and works as printed.
 */
export const A0BRIDGE = 'npm run a0bridge --';

/** One command of an area, with what the command line gave it (positionals after the command's name). */
export interface Context {
  readonly client: ManagementClient;
  readonly io: CliIo;
  readonly json: boolean;
  readonly values: Values;
  readonly positionals: string[];
}

/** An `a0bridge <area>`: its help, its own options, and its commands by name (aliases included). */
export interface Area {
  readonly name: string;
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly commands: Readonly<Record<string, (context: Context) => Promise<number>>>;
}

/** Runs `a0bridge <area> <command> …`; returns the exit code. */
export function runCommand(
  area: Area,
  client: ManagementClient,
  io: CliIo,
  values: Values,
  positionals: string[],
): Promise<number> {
  const [command, ...rest] = positionals;
  const run =
    command !== undefined && Object.hasOwn(area.commands, command) ? area.commands[command] : undefined;
  if (!run) {
    throw new UsageError(
      command
        ? `Unknown command "${area.name} ${command}". Run ${A0BRIDGE} ${area.name} --help for the commands.`
        : area.usage,
    );
  }
  return run({ client, io, json: values.json === true, values, positionals: rest });
}

export const GLOBAL_OPTIONS = {
  endpoint: { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  token: { type: 'string' },
  sign: { type: 'boolean' },
  'no-sign': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const GLOBAL_OPTIONS_USAGE = `Options:
  --endpoint <url>   the local stack (http://127.0.0.1:3000) or the management Function URL
                     (env A0BRIDGE_ENDPOINT; default http://127.0.0.1:3000)
  --region <r>       AWS region for SigV4 (env AWS_REGION; read from a Function URL otherwise)
  --profile <p>      AWS credentials profile (default: the SDK's default provider chain)
  --sign/--no-sign   force SigV4 signing on or off (default: sign unless the endpoint is loopback)
  --token <t>        the local stack's management token (env A0BRIDGE_TOKEN; default: the one npm start
                     saved in .a0bridge/local-<port>.json for the endpoint's port)
  --json             print the API's JSON instead of tables
  --help             this text`;

/** The command line of one area: the global options and the area's own, strictly. */
export function parseCommandLine(args: string[], options: Area['options']) {
  const { values, positionals } = parseArgs({
    args,
    options: { ...GLOBAL_OPTIONS, ...options },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as Values, positionals };
}

export function need(
  positionals: string[],
  names: string[],
  usage: string,
): [string, ...(string | undefined)[]] {
  if (positionals.length < names.length) throw new UsageError(`Usage: ${A0BRIDGE} ${usage}`);
  return positionals as [string, ...string[]];
}

export function printJson(io: CliIo, body: unknown): number {
  io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  return 0;
}

/** The API's JSON with --json, else what `render` makes of it. */
export function print<T>(
  { io, json }: Pick<Context, 'io' | 'json'>,
  body: T,
  render: (body: T) => string,
): number {
  io.stdout.write(json ? `${JSON.stringify(body, null, 2)}\n` : render(body));
  return 0;
}

/** How `printPage` shows a list the API pages: `{<key>: [...], total, page, per_page}`. */
export interface PageView<T> {
  readonly key: string;
  /** `module`, for `3 module(s)`. */
  readonly noun: string;
  readonly headers: readonly string[];
  readonly row: (item: T) => string[];
  /** A line above the table. */
  readonly title?: string;
  /** Lines below the count, e.g. the next command. */
  readonly footer?: (total: number) => string;
}

/** GETs one page of a list (`--page`, `--per-page`) and prints it: the API's JSON, or a table and the count. */
export async function printPage<T>(context: Context, path: string, view: PageView<T>): Promise<number> {
  const { body } = await context.client.request('GET', path, { query: pagingQuery(context.values) });
  return print(context, body, (page) =>
    [
      view.title === undefined ? '' : `${view.title}\n`,
      table(view.headers, (page[view.key] as T[]).map(view.row)),
      `${pageLine(page, view.noun)}\n`,
      view.footer?.(page.total) ?? '',
    ].join(''),
  );
}

/** `?page=&per_page=` from `--page` and `--per-page`. */
export function pagingQuery(values: Values): Record<string, string> {
  const query: Record<string, string> = {};
  if (typeof values.page === 'string') query.page = values.page;
  if (typeof values['per-page'] === 'string') query.per_page = values['per-page'];
  return query;
}

/** A word as the shell takes it back, for the commands hints print. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** Code from a file, or from stdin for `-`. */
export async function readCode(io: CliIo, source: string): Promise<string> {
  if (source === '-') {
    if (io.stdinIsTty) io.stderr.write('Reading the code from stdin; end with Ctrl-D.\n');
    return readAll(io.stdin);
  }
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    throw new UsageError(
      `Cannot read the code from ${source}: ${(error as NodeJS.ErrnoException).code ?? error}.`,
    );
  }
}

/** From a hidden prompt on a terminal, from stdin otherwise (one trailing newline dropped). */
export async function readSecretValue(io: CliIo, name: string): Promise<string> {
  const value = io.stdinIsTty
    ? await io.promptHidden(`Value for ${name} (not shown): `)
    : (await readAll(io.stdin)).replace(/\r?\n$/, '');
  if (value.length === 0) throw new UsageError(`No value was given for ${name}.`);
  return value;
}

/** Asks before deleting, unless `--yes`; refuses without `--yes` off a terminal. */
export async function confirmDelete(io: CliIo, values: Values, question: string): Promise<boolean> {
  if (values.yes) return true;
  if (!io.stdinIsTty) throw new UsageError('Deleting needs --yes when not run from a terminal.');
  if (await io.confirm(question)) return true;
  io.stderr.write('Not deleted.\n');
  return false;
}

/** `pkg`, `pkg@^1.2.0`, `@scope/pkg@1`: a name and a range, `latest` when none. */
export function parseDependency(spec: string): DependencyBody {
  const at = spec.lastIndexOf('@');
  if (at > 0) return { name: spec.slice(0, at), version: spec.slice(at + 1) || 'latest' };
  return { name: spec, version: 'latest' };
}

/** Reads a draft, applies `change` to it, and PATCHes with If-Match, again if someone else changed it. */
export async function patchWithRetry<T>(
  client: ManagementClient,
  path: string,
  change: (current: T) => Record<string, unknown>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const current = await client.request('GET', path);
    const etag = current.headers.get('etag');
    try {
      const { body } = await client.request('PATCH', path, {
        body: change(current.body),
        ...(etag ? { headers: { 'if-match': etag } } : {}),
      });
      return body;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 412 || attempt >= 5) throw error;
    }
  }
}

/** Runs a request; a refusal whose errorCode has a hint gets it appended: the command that gets past it. */
export async function withHints<T>(request: Promise<T>, hints: Readonly<Record<string, string>>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    const hint = error instanceof ApiError && error.errorCode ? hints[error.errorCode] : undefined;
    if (!(error instanceof ApiError) || hint === undefined) throw error;
    throw new ApiError(error.status, error.errorCode, `${error.message}\n${hint}`, error.body);
  }
}

/** GETs a list (`{<key>: [...]}`) and picks the item named `ref`, or with the id `ref`. */
export async function findNamed<T extends { readonly id: string; readonly name: string }>(
  client: ManagementClient,
  path: string,
  key: string,
  ref: string,
  noun: string,
): Promise<T> {
  const { body } = await client.request('GET', path);
  const found = (body[key] as T[]).find((item) => item.name === ref || item.id === ref);
  if (!found) throw new UsageError(`No ${noun} is named or has the id ${JSON.stringify(ref)}.`);
  return found;
}

/** `3` or `v3` → 3; anything else is not a version number. */
export function versionNumberOf(ref: string): number | undefined {
  const number = /^v?(\d+)$/.exec(ref)?.[1];
  return number === undefined ? undefined : Number(number);
}

/** Where to find the versions of one module or action, listed newest first, and how they are numbered. */
export interface VersionList<V extends { readonly id: string }> {
  /** The versions' path, e.g. `/api/v2/actions/modules/<id>/versions`. */
  readonly path: string;
  /** How a message names the owner: `Module logger`. */
  readonly owner: string;
  readonly numberOf: (version: V) => number;
  /** How many versions there are, when the owner says; else the first page is read for it. */
  readonly total?: number;
}

/** A version id from a version number (`3`, `v3`) or an id. */
export async function findVersionId<V extends { readonly id: string }>(
  client: ManagementClient,
  list: VersionList<V>,
  ref: string,
): Promise<string> {
  const wanted = versionNumberOf(ref);
  if (wanted === undefined) return ref;
  const pageOf = async (page: number) =>
    (await client.request('GET', list.path, { query: { page: String(page), per_page: '100' } })).body as {
      versions: V[];
      total: number;
    };
  let total = list.total;
  let first: Awaited<ReturnType<typeof pageOf>> | undefined;
  if (total === undefined) {
    first = await pageOf(0);
    total = first.total;
  }
  if (wanted < 1 || wanted > total) {
    throw new UsageError(`${list.owner} has no version ${wanted} (it has ${total}).`);
  }
  // Versions are listed newest first, 100 a page: version n is on page floor((total - n) / 100).
  const page = Math.floor((total - wanted) / 100);
  const { versions } = page === 0 && first ? first : await pageOf(page);
  const version = versions.find((candidate) => list.numberOf(candidate) === wanted);
  if (!version) throw new UsageError(`${list.owner} has no version ${wanted}.`);
  return version.id;
}

/** `versions <owner> [<version>]`: one version in full, or a page of them (newest first) as a table. */
export async function showVersions<V extends { readonly id: string }>(
  context: Context,
  list: VersionList<V>,
  versionRef: string | undefined,
  describe: (version: V) => string,
  view: Pick<PageView<V>, 'title' | 'headers' | 'row'>,
): Promise<number> {
  if (versionRef === undefined)
    return printPage(context, list.path, { key: 'versions', noun: 'version', ...view });
  const id = await findVersionId(context.client, list, versionRef);
  const { body } = await context.client.request('GET', `${list.path}/${encodeURIComponent(id)}`);
  return print(context, body as V, describe);
}

/**
 * The full secret list a PATCH takes, with `name` set to a new value: the others are listed by name only,
 * which keeps their values (they are write-only, so the CLI never has them).
 */
export function secretsWith(current: readonly SecretBody[], name: string, value: string) {
  return [
    ...current.filter((secret) => secret.name !== name).map(({ name: kept }) => ({ name: kept })),
    { name, value },
  ];
}

/** The full secret list without `names`, the others kept by name; `owner` (`Module logger`) for errors. */
export function secretsWithout(current: readonly SecretBody[], names: readonly string[], owner: string) {
  const missing = names.filter((name) => !current.some((secret) => secret.name === name));
  if (missing.length > 0) throw new UsageError(`${owner} has no secret ${missing.join(', ')}.`);
  return current.filter((secret) => !names.includes(secret.name)).map(({ name }) => ({ name }));
}

/** The full dependency list with `added` in place of any of the same name; ranges are pinned on save. */
export function dependenciesWith(current: readonly DependencyBody[], added: readonly DependencyBody[]) {
  return [...current.filter((dep) => !added.some(({ name }) => name === dep.name)), ...added];
}

export function dependenciesWithout(
  current: readonly DependencyBody[],
  names: readonly string[],
  owner: string,
) {
  const missing = names.filter((name) => !current.some((dep) => dep.name === name));
  if (missing.length > 0) throw new UsageError(`${owner} has no dependency ${missing.join(', ')}.`);
  return current.filter((dep) => !names.includes(dep.name));
}

export interface SecretBody {
  readonly name: string;
  readonly updated_at: string;
}

export interface DependencyBody {
  readonly name: string;
  readonly version: string;
}
