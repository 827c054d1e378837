/** `a0bridge modules …`: the Action Modules journey from a terminal. */
import { UsageError } from './client';
import {
  A0BRIDGE,
  type Area,
  type Context,
  confirmDelete,
  need,
  parseDependency,
  printJson,
  printPage,
  readCode,
  shellWord,
  showVersions,
} from './common';
import { Collection, type DraftBody, draftDependencies, draftSecrets, showDraft } from './drafts';
import { dependencyList, draftText, nameList, table, time, versionText } from './format';

const MODULES_PATH = '/api/v2/actions/modules';
const MODULES = new Collection<ModuleBody, VersionBody>({
  path: MODULES_PATH,
  key: 'modules',
  noun: 'module',
  versionNumber: (version) => version.version_number,
  versionCount: (module) => module.latest_version_number ?? 0,
  syntax: (group, verb, args) => `modules ${group} ${verb} <module> ${args}`,
});

export const MODULES_USAGE = `Usage: ${A0BRIDGE} modules <command> [options]

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

<module> is a module name or id; <version> is a version number or id.`;

const COMMAND_OPTIONS = {
  page: { type: 'string' },
  'per-page': { type: 'string' },
  code: { type: 'string' },
  dep: { type: 'string', multiple: true },
  publish: { type: 'boolean' },
  'show-code': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

export const MODULES_AREA: Area = {
  name: 'modules',
  usage: MODULES_USAGE,
  options: COMMAND_OPTIONS,
  commands: {
    list,
    ls: list,
    create,
    get,
    show: get,
    update,
    delete: remove,
    rm: remove,
    versions,
    publish,
    rollback,
    secrets,
    deps: dependencies,
    dependencies,
    actions,
  },
};

async function list(context: Context): Promise<number> {
  return printPage<ModuleBody>(context, MODULES_PATH, {
    key: 'modules',
    noun: 'module',
    headers: ['NAME', 'ID', 'LATEST', 'PUBLISHED', 'SECRETS', 'DEPS', 'ACTIONS', 'UPDATED'],
    row: (module) => [
      module.name,
      module.id,
      module.latest_version_number ? `v${module.latest_version_number}` : '-',
      module.all_changes_published ? 'yes' : 'no (draft changed)',
      String(module.secrets.length),
      String(module.dependencies.length),
      String(module.actions_using_module_total),
      time(module.updated_at),
    ],
  });
}

async function create({ client, io, json, values, positionals }: Context): Promise<number> {
  const [name] = need(positionals, ['name'], 'modules create <name> [--code <file|->]');
  const code = typeof values.code === 'string' ? await readCode(io, values.code) : '';
  const deps = ((values.dep as string[] | undefined) ?? []).map(parseDependency);
  const { body } = await client.request('POST', MODULES_PATH, {
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

async function get(context: Context): Promise<number> {
  const [ref] = need(context.positionals, ['module'], 'modules get <module>');
  const module = await MODULES.find(context.client, ref);
  return showDraft(context, MODULES.pathOf(module), describeModule);
}

async function update({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules update <module> --code <file|->');
  if (typeof values.code !== 'string') {
    throw new UsageError('modules update needs --code <file> (or --code - to read the code from stdin).');
  }
  const code = await readCode(io, values.code);
  const module = await MODULES.find(client, ref);
  const { body } = await client.request('PATCH', `${MODULES.pathOf(module)}`, {
    body: { code },
  });
  if (json) return printJson(io, body);
  io.stdout.write(`Saved the draft of ${body.name} (${body.code.length} characters).\n`);
  io.stdout.write(
    body.all_changes_published
      ? 'It equals the latest version: nothing new to publish.\n'
      : `Publish it with: ${A0BRIDGE} modules publish ${shellWord(body.name)}\n`,
  );
  return 0;
}

async function remove({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules delete <module> [--yes]');
  const module = await MODULES.find(client, ref);
  if (
    !(await confirmDelete(
      io,
      values,
      `Delete module ${module.name} (${module.id}) and all its versions? [y/N] `,
    ))
  )
    return 1;
  await client.request('DELETE', `${MODULES.pathOf(module)}`);
  if (json) return printJson(io, { deleted: module.id });
  io.stdout.write(`Deleted module ${module.name} (${module.id}).\n`);
  return 0;
}

async function versions(context: Context): Promise<number> {
  const [ref, versionRef] = need(context.positionals, ['module'], 'modules versions <module> [<version>]');
  const module = await MODULES.find(context.client, ref);
  const draft = module.all_changes_published ? 'same as the latest version' : 'has unpublished changes';
  return showVersions<VersionBody>(
    context,
    MODULES.versions(module),
    versionRef,
    (version) => describeVersion(module.name, version),
    {
      title: `Versions of ${module.name} (draft: ${draft})`,
      headers: ['VERSION', 'ID', 'CREATED', 'SECRETS', 'DEPENDENCIES'],
      row: (version) => [
        `v${version.version_number}`,
        version.id,
        time(version.created_at),
        nameList(version.secrets),
        dependencyList(version.dependencies),
      ],
    },
  );
}

async function publish({ client, io, json, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules publish <module>');
  const module = await MODULES.find(client, ref);
  const started = performance.now();
  const { body } = await client.request('POST', `${MODULES.pathOf(module)}/versions`);
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
  const module = await MODULES.find(client, ref);
  const id = await MODULES.versionId(client, module, versionRef as string);
  const { body } = await client.request('POST', `${MODULES.pathOf(module)}/rollback`, {
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
  const [verb, ref, ...names] = context.positionals;
  if (!verb || !ref)
    throw new UsageError(`Usage: ${A0BRIDGE} modules secrets list|set|rm <module> [NAME...]`);
  return draftSecrets(context, MODULES.draft(await MODULES.find(context.client, ref)), verb, names);
}

async function dependencies(context: Context): Promise<number> {
  const [verb, ref, ...specs] = context.positionals;
  if (!verb || !ref) throw new UsageError(`Usage: ${A0BRIDGE} modules deps list|add|rm <module> [pkg...]`);
  return draftDependencies(context, MODULES.draft(await MODULES.find(context.client, ref)), verb, specs);
}

async function actions({ client, io, json, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['module'], 'modules actions <module>');
  const module = await MODULES.find(client, ref);
  const { body } = await client.request('GET', `${MODULES.pathOf(module)}/actions`, {
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

function describeModule(module: ModuleBody): string {
  const latest = module.latest_version_number ? `v${module.latest_version_number}` : 'none (never published)';
  return draftText(
    [
      ['Name', module.name],
      ['Id', module.id],
      ['Latest version', latest],
      ['Draft', module.all_changes_published ? 'same as the latest version' : 'has unpublished changes'],
      ['Used by actions', String(module.actions_using_module_total)],
      ['Created', time(module.created_at)],
      ['Updated', time(module.updated_at)],
      [
        'Code',
        `${module.code.length} characters (${A0BRIDGE} modules get ${shellWord(module.name)} --show-code)`,
      ],
    ],
    module,
  );
}

function describeVersion(name: string, version: VersionBody): string {
  return versionText(
    [
      ['Module', name],
      ['Version', `v${version.version_number}`],
    ],
    version,
  );
}

interface ModuleBody extends DraftBody {
  readonly name: string;
  readonly actions_using_module_total: number;
  readonly all_changes_published: boolean;
  readonly latest_version_number?: number;
  readonly updated_at: string;
}

interface VersionBody extends DraftBody {
  readonly version_number: number;
}

interface ActionBody {
  readonly action_id: string;
  readonly action_name: string;
  readonly module_version_number: number;
}
