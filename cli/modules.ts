/** `a0bridge modules …`: the Action Modules journey from a terminal. */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ApiError, type ManagementClient, UsageError } from './client';
import { keyValues, table, time } from './format';
import { type CliIo, readAll } from './io';

const BASE = '/api/v2/actions/modules';

export const MODULES_USAGE = `Usage: a0bridge modules <command> [options]

Commands:
  list                                   list modules (--page N --per-page N)
  create <name> [--code <file|->] [--dep <pkg[@range]>]... [--publish]
                                         create a module (code from a file, or - for stdin)
  get <module> [--show-code]             show a module (--show-code prints only the draft code)
  update <module> --code <file|->        save the draft code (from a file, or - for stdin)
  delete <module> [--yes]                delete a module (asks unless --yes)
  versions <module> [<version>]          list versions (newest first), or show one by number or id
  publish <module>                       publish the draft as the next version (builds it)
  rollback <module> <version>            copy a version's code, dependencies and secrets into the draft
  secrets list <module>                  list secret names (values are never shown)
  secrets set <module> <NAME>            set a secret; the value is read from stdin, or prompted for
  secrets rm <module> <NAME>...          remove secrets from the draft
  deps list <module>                     list dependencies (pinned versions)
  deps add <module> <pkg[@range]>...     add dependencies; latest or a range is pinned on save
  deps rm <module> <pkg>...              remove dependencies
  actions <module>                       list the actions that use the module

<module> is a module name or id; <version> is a version number or id.

Options:
  --endpoint <url>   the local stack (http://127.0.0.1:3000) or the management Function URL
                     (env A0BRIDGE_ENDPOINT; default http://127.0.0.1:3000)
  --region <r>       AWS region for SigV4 (env AWS_REGION; read from a Function URL otherwise)
  --profile <p>      AWS credentials profile (default: the SDK's default provider chain)
  --sign/--no-sign   force SigV4 signing on or off (default: sign unless the endpoint is loopback)
  --token <t>        the local stack's management token (env A0BRIDGE_TOKEN; default: the one npm start
                     saved in .a0bridge/local-<port>.json for the endpoint's port)
  --json             print the API's JSON instead of tables
  --help             this text`;

type Values = Record<string, string | boolean | string[] | undefined>;

interface Context {
  readonly client: ManagementClient;
  readonly io: CliIo;
  readonly json: boolean;
  readonly values: Values;
  readonly positionals: string[];
}

const COMMAND_OPTIONS = {
  page: { type: 'string' },
  'per-page': { type: 'string' },
  code: { type: 'string' },
  dep: { type: 'string', multiple: true },
  publish: { type: 'boolean' },
  'show-code': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

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

export function parseModulesArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as Values, positionals };
}

export async function runModules(
  client: ManagementClient,
  io: CliIo,
  values: Values,
  positionals: string[],
): Promise<number> {
  const [command, ...rest] = positionals;
  const context: Context = { client, io, json: values.json === true, values, positionals: rest };
  switch (command) {
    case 'list':
    case 'ls':
      return list(context);
    case 'create':
      return create(context);
    case 'get':
    case 'show':
      return get(context);
    case 'update':
      return update(context);
    case 'delete':
    case 'rm':
      return remove(context);
    case 'versions':
      return versions(context);
    case 'publish':
      return publish(context);
    case 'rollback':
      return rollback(context);
    case 'secrets':
      return secrets(context);
    case 'deps':
    case 'dependencies':
      return dependencies(context);
    case 'actions':
      return actions(context);
    default:
      throw new UsageError(
        command
          ? `Unknown command "modules ${command}". Run a0bridge modules --help for the commands.`
          : MODULES_USAGE,
      );
  }
}

async function list({ client, io, json, values }: Context): Promise<number> {
  const query: Record<string, string> = {};
  if (typeof values.page === 'string') query.page = values.page;
  if (typeof values['per-page'] === 'string') query.per_page = values['per-page'];
  const { body } = await client.request('GET', BASE, { query });
  if (json) return printJson(io, body);
  io.stdout.write(
    table(
      ['NAME', 'ID', 'LATEST', 'PUBLISHED', 'SECRETS', 'DEPS', 'ACTIONS', 'UPDATED'],
      body.modules.map((module: ModuleBody) => [
        module.name,
        module.id,
        module.latest_version_number ? `v${module.latest_version_number}` : '-',
        module.all_changes_published ? 'yes' : 'no (draft changed)',
        String(module.secrets.length),
        String(module.dependencies.length),
        String(module.actions_using_module_total),
        time(module.updated_at),
      ]),
    ),
  );
  io.stdout.write(`${body.total} module(s)\n`);
  return 0;
}

async function create({ client, io, json, values, positionals }: Context): Promise<number> {
  const [name] = need(positionals, ['name'], 'modules create <name> [--code <file|->]');
  const code = typeof values.code === 'string' ? await readCode(io, values.code) : '';
  const deps = ((values.dep as string[] | undefined) ?? []).map(parseDependency);
  const { body } = await client.request('POST', BASE, {
    body: {
      name,
      code,
      ...(deps.length > 0 ? { dependencies: deps } : {}),
      ...(values.publish ? { publish: true } : {}),
    },
  });
  if (json) return printJson(io, body);
  io.stdout.write(`Created module ${body.name} (${body.id}).\n`);
  if (body.latest_version_number) io.stdout.write(`Published version ${body.latest_version_number}.\n`);
  return 0;
}

async function get({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules get <module>');
  const module = await findModule(client, ref);
  const { body } = await client.request('GET', `${BASE}/${encodeURIComponent(module.id)}`);
  if (values['show-code']) {
    io.stdout.write(body.code);
    return 0;
  }
  if (json) return printJson(io, body);
  io.stdout.write(describeModule(body));
  return 0;
}

async function update({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules update <module> --code <file|->');
  if (typeof values.code !== 'string') {
    throw new UsageError('modules update needs --code <file> (or --code - to read the code from stdin).');
  }
  const code = await readCode(io, values.code);
  const module = await findModule(client, ref);
  const { body } = await client.request('PATCH', `${BASE}/${encodeURIComponent(module.id)}`, {
    body: { code },
  });
  if (json) return printJson(io, body);
  io.stdout.write(`Saved the draft of ${body.name} (${body.code.length} characters).\n`);
  io.stdout.write(
    body.all_changes_published
      ? 'It equals the latest version: nothing new to publish.\n'
      : `Publish it with: a0bridge modules publish ${body.name}\n`,
  );
  return 0;
}

async function remove({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules delete <module> [--yes]');
  const module = await findModule(client, ref);
  if (!values.yes) {
    if (!io.stdinIsTty) throw new UsageError('Deleting needs --yes when not run from a terminal.');
    if (!(await io.confirm(`Delete module ${module.name} (${module.id}) and all its versions? [y/N] `))) {
      io.stderr.write('Not deleted.\n');
      return 1;
    }
  }
  await client.request('DELETE', `${BASE}/${encodeURIComponent(module.id)}`);
  if (json) return printJson(io, { deleted: module.id });
  io.stdout.write(`Deleted module ${module.name} (${module.id}).\n`);
  return 0;
}

async function versions({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref, versionRef] = need(positionals, ['module'], 'modules versions <module> [<version>]');
  const module = await findModule(client, ref);
  if (versionRef !== undefined) {
    const id = await findVersionId(client, module, versionRef);
    const { body } = await client.request(
      'GET',
      `${BASE}/${encodeURIComponent(module.id)}/versions/${encodeURIComponent(id)}`,
    );
    if (json) return printJson(io, body);
    io.stdout.write(describeVersion(module.name, body));
    return 0;
  }
  const query: Record<string, string> = {};
  if (typeof values.page === 'string') query.page = values.page;
  if (typeof values['per-page'] === 'string') query.per_page = values['per-page'];
  const { body } = await client.request('GET', `${BASE}/${encodeURIComponent(module.id)}/versions`, {
    query,
  });
  if (json) return printJson(io, body);
  const draft = module.all_changes_published ? 'same as the latest version' : 'has unpublished changes';
  io.stdout.write(`Versions of ${module.name} (draft: ${draft})\n`);
  io.stdout.write(
    table(
      ['VERSION', 'ID', 'CREATED', 'SECRETS', 'DEPENDENCIES'],
      body.versions.map((version: VersionBody) => [
        `v${version.version_number}`,
        version.id,
        time(version.created_at),
        version.secrets.map(({ name }) => name).join(', ') || '-',
        version.dependencies.map(({ name, version: exact }) => `${name}@${exact}`).join(', ') || '-',
      ]),
    ),
  );
  io.stdout.write(
    `${body.total} version(s), page ${body.page + 1} of ${Math.max(1, Math.ceil(body.total / body.per_page))}\n`,
  );
  return 0;
}

async function publish({ client, io, json, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules publish <module>');
  const module = await findModule(client, ref);
  const started = performance.now();
  const { body } = await client.request('POST', `${BASE}/${encodeURIComponent(module.id)}/versions`);
  const elapsed = Math.round(performance.now() - started);
  if (json) return printJson(io, body);
  io.stdout.write(`Published ${module.name} version ${body.version_number} (${body.id}) in ${elapsed} ms.\n`);
  io.stdout.write(
    `Actions pin it as ${module.name} v${body.version_number} and call require('actions:${module.name}').\n`,
  );
  return 0;
}

async function rollback({ client, io, json, positionals }: Context): Promise<number> {
  const [ref, versionRef] = need(positionals, ['module', 'version'], 'modules rollback <module> <version>');
  const module = await findModule(client, ref);
  const id = await findVersionId(client, module, versionRef as string);
  const { body } = await client.request('POST', `${BASE}/${encodeURIComponent(module.id)}/rollback`, {
    body: { module_version_id: id },
  });
  if (json) return printJson(io, body);
  io.stdout.write(
    `Rolled the draft of ${module.name} back to version ${versionRef}: code, dependencies and secret values.\n`,
  );
  if (!body.all_changes_published) io.stdout.write(`Publish it to make it the latest version.\n`);
  return 0;
}

async function secrets(context: Context): Promise<number> {
  const { client, io, json, positionals } = context;
  const [action, ref, ...names] = positionals;
  if (!action || !ref) throw new UsageError('Usage: a0bridge modules secrets list|set|rm <module> [NAME...]');
  const module = await findModule(client, ref);
  if (action === 'list' || action === 'ls') {
    const { body } = await client.request('GET', `${BASE}/${encodeURIComponent(module.id)}`);
    if (json) return printJson(io, body.secrets);
    io.stdout.write(
      table(
        ['NAME', 'UPDATED'],
        body.secrets.map((secret: SecretBody) => [secret.name, time(secret.updated_at)]),
      ),
    );
    return 0;
  }
  if (action === 'set') {
    const [name, extra] = names;
    if (!name || extra !== undefined) {
      throw new UsageError(
        'Usage: a0bridge modules secrets set <module> <NAME>   (one secret at a time; the value is read from stdin or prompted for, never from the command line)',
      );
    }
    const value = await readSecretValue(io, name);
    const body = await patchWithRetry(client, module.id, (current) => ({
      secrets: [
        ...current.secrets
          .filter((secret: SecretBody) => secret.name !== name)
          .map(({ name: kept }) => ({ name: kept })),
        { name, value },
      ],
    }));
    if (json) return printJson(io, body.secrets);
    io.stdout.write(`Set secret ${name} on ${module.name}. The value will not be shown again.\n`);
    return 0;
  }
  if (action === 'rm' || action === 'remove') {
    if (names.length === 0) throw new UsageError('Usage: a0bridge modules secrets rm <module> <NAME>...');
    const body = await patchWithRetry(client, module.id, (current) => {
      const missing = names.filter(
        (name) => !current.secrets.some((secret: SecretBody) => secret.name === name),
      );
      if (missing.length > 0)
        throw new UsageError(`Module ${module.name} has no secret ${missing.join(', ')}.`);
      return {
        secrets: current.secrets
          .filter((secret: SecretBody) => !names.includes(secret.name))
          .map(({ name }: SecretBody) => ({ name })),
      };
    });
    if (json) return printJson(io, body.secrets);
    io.stdout.write(`Removed ${names.join(', ')} from the draft of ${module.name}.\n`);
    return 0;
  }
  throw new UsageError(`Unknown secrets command "${action}"; use list, set or rm.`);
}

async function dependencies(context: Context): Promise<number> {
  const { client, io, json, positionals } = context;
  const [action, ref, ...specs] = positionals;
  if (!action || !ref) throw new UsageError('Usage: a0bridge modules deps list|add|rm <module> [pkg...]');
  const module = await findModule(client, ref);
  if (action === 'list' || action === 'ls') {
    const { body } = await client.request('GET', `${BASE}/${encodeURIComponent(module.id)}`);
    if (json) return printJson(io, body.dependencies);
    io.stdout.write(
      table(
        ['PACKAGE', 'VERSION'],
        body.dependencies.map((dep: DependencyBody) => [dep.name, dep.version]),
      ),
    );
    return 0;
  }
  if (specs.length === 0) throw new UsageError(`Usage: a0bridge modules deps ${action} <module> <pkg>...`);
  let body: ModuleBody;
  if (action === 'add') {
    const added = specs.map(parseDependency);
    body = await patchWithRetry(client, module.id, (current) => ({
      dependencies: [
        ...current.dependencies.filter((dep: DependencyBody) => !added.some(({ name }) => name === dep.name)),
        ...added,
      ],
    }));
  } else if (action === 'rm' || action === 'remove') {
    body = await patchWithRetry(client, module.id, (current) => {
      const missing = specs.filter(
        (name) => !current.dependencies.some((dep: DependencyBody) => dep.name === name),
      );
      if (missing.length > 0)
        throw new UsageError(`Module ${module.name} has no dependency ${missing.join(', ')}.`);
      return {
        dependencies: current.dependencies.filter((dep: DependencyBody) => !specs.includes(dep.name)),
      };
    });
  } else {
    throw new UsageError(`Unknown deps command "${action}"; use list, add or rm.`);
  }
  if (json) return printJson(io, body.dependencies);
  io.stdout.write(
    table(
      ['PACKAGE', 'VERSION'],
      body.dependencies.map((dep: DependencyBody) => [dep.name, dep.version]),
    ),
  );
  return 0;
}

async function actions({ client, io, json, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules actions <module>');
  const module = await findModule(client, ref);
  const { body } = await client.request('GET', `${BASE}/${encodeURIComponent(module.id)}/actions`, {
    query: { per_page: '100' },
  });
  if (json) return printJson(io, body);
  io.stdout.write(
    table(
      ['ACTION', 'ID', 'MODULE VERSION'],
      body.actions.map((action: ActionBody) => [
        action.action_name,
        action.action_id,
        `v${action.module_version_number}`,
      ]),
    ),
  );
  return 0;
}

/** Reads the module, applies `change` to it, and PATCHes with If-Match, again if someone else changed it. */
async function patchWithRetry(
  client: ManagementClient,
  id: string,
  change: (current: ModuleBody) => Record<string, unknown>,
): Promise<ModuleBody> {
  const path = `${BASE}/${encodeURIComponent(id)}`;
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

/** A module by name or id. */
async function findModule(client: ManagementClient, ref: string): Promise<ModuleBody> {
  const { body } = await client.request('GET', BASE);
  const found = (body.modules as ModuleBody[]).find((module) => module.name === ref || module.id === ref);
  if (!found) throw new UsageError(`No module is named or has the id ${JSON.stringify(ref)}.`);
  return found;
}

/** A version id from a version number (`3`, `v3`) or id. */
async function findVersionId(client: ManagementClient, module: ModuleBody, ref: string): Promise<string> {
  const number = /^v?(\d+)$/.exec(ref)?.[1];
  if (number === undefined) return ref;
  const wanted = Number(number);
  const total = module.latest_version_number ?? 0;
  if (wanted < 1 || wanted > total) {
    throw new UsageError(`Module ${module.name} has no version ${wanted} (it has ${total}).`);
  }
  // Versions are listed newest first, 100 a page: version n is on page floor((total - n) / 100).
  const page = Math.floor((total - wanted) / 100);
  const { body } = await client.request('GET', `${BASE}/${encodeURIComponent(module.id)}/versions`, {
    query: { page: String(page), per_page: '100' },
  });
  const version = (body.versions as VersionBody[]).find(({ version_number }) => version_number === wanted);
  if (!version) throw new UsageError(`Module ${module.name} has no version ${wanted}.`);
  return version.id;
}

async function readCode(io: CliIo, source: string): Promise<string> {
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
async function readSecretValue(io: CliIo, name: string): Promise<string> {
  const value = io.stdinIsTty
    ? await io.promptHidden(`Value for ${name} (not shown): `)
    : (await readAll(io.stdin)).replace(/\r?\n$/, '');
  if (value.length === 0) throw new UsageError(`No value was given for ${name}.`);
  return value;
}

function parseDependency(spec: string): { name: string; version: string } {
  const at = spec.lastIndexOf('@');
  if (at > 0) return { name: spec.slice(0, at), version: spec.slice(at + 1) || 'latest' };
  return { name: spec, version: 'latest' };
}

function need(positionals: string[], names: string[], usage: string): [string, ...(string | undefined)[]] {
  if (positionals.length < names.length) throw new UsageError(`Usage: a0bridge ${usage}`);
  return positionals as [string, ...string[]];
}

function printJson(io: CliIo, body: unknown): number {
  io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  return 0;
}

function describeModule(module: ModuleBody): string {
  const latest = module.latest_version_number ? `v${module.latest_version_number}` : 'none (never published)';
  const lines = keyValues([
    ['Name', module.name],
    ['Id', module.id],
    ['Latest version', latest],
    ['Draft', module.all_changes_published ? 'same as the latest version' : 'has unpublished changes'],
    ['Used by actions', String(module.actions_using_module_total)],
    ['Created', time(module.created_at)],
    ['Updated', time(module.updated_at)],
    ['Code', `${module.code.length} characters (a0bridge modules get ${module.name} --show-code)`],
  ]);
  return [
    lines,
    'Secrets (values are never shown):',
    table(
      ['NAME', 'UPDATED'],
      module.secrets.map((secret) => [secret.name, time(secret.updated_at)]),
    ),
    'Dependencies:',
    table(
      ['PACKAGE', 'VERSION'],
      module.dependencies.map((dep) => [dep.name, dep.version]),
    ),
  ].join('\n');
}

function describeVersion(name: string, version: VersionBody): string {
  return [
    keyValues([
      ['Module', name],
      ['Version', `v${version.version_number}`],
      ['Id', version.id],
      ['Created', time(version.created_at)],
      ['Secrets', version.secrets.map((secret) => secret.name).join(', ') || '-'],
      ['Dependencies', version.dependencies.map((dep) => `${dep.name}@${dep.version}`).join(', ') || '-'],
    ]),
    '--- code ---',
    version.code,
  ].join('\n');
}

interface SecretBody {
  readonly name: string;
  readonly updated_at: string;
}

interface DependencyBody {
  readonly name: string;
  readonly version: string;
}

interface ModuleBody {
  readonly id: string;
  readonly name: string;
  readonly code: string;
  readonly secrets: SecretBody[];
  readonly dependencies: DependencyBody[];
  readonly actions_using_module_total: number;
  readonly all_changes_published: boolean;
  readonly latest_version_number?: number;
  readonly created_at: string;
  readonly updated_at: string;
}

interface VersionBody {
  readonly id: string;
  readonly version_number: number;
  readonly code: string;
  readonly secrets: SecretBody[];
  readonly dependencies: DependencyBody[];
  readonly created_at: string;
}

interface ActionBody {
  readonly action_id: string;
  readonly action_name: string;
  readonly module_version_number: number;
}
