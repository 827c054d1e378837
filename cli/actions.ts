/** `a0bridge actions …`: write an action, pin modules, deploy it, bind it to a trigger, read its runs. */
import { type ManagementClient, UsageError } from './client';
import {
  A0BRIDGE,
  type Area,
  type Context,
  confirmDelete,
  findNamed,
  need,
  patchWithRetry,
  print,
  printJson,
  printPage,
  readCode,
  shellWord,
  showVersions,
  type Values,
  versionNumberOf,
  withHints,
} from './common';
import { Collection, type DraftBody, draftDependencies, draftSecrets, showDraft } from './drafts';
import { dependencyList, draftText, keyValues, nameList, table, time, versionText } from './format';

const ACTIONS_PATH = '/api/v2/actions/actions';
const ACTIONS = new Collection<ActionBody, VersionBody>({
  path: ACTIONS_PATH,
  key: 'actions',
  noun: 'action',
  versionNumber: (version) => version.number,
  syntax: (group, verb, args) => `actions ${group} <action> ${verb} ${args}`,
  changed: (action) => deployHint(action),
});
const DEFAULT_TRIGGER = 'auth0-log';

export const ACTIONS_USAGE = `Usage: ${A0BRIDGE} actions <command> [options]

Commands:
  list                                   list actions (--page N --per-page N)
  get <action> [--show-code]             show an action (--show-code prints only the draft code)
  create <name> [--trigger <t>] [--code-file <file|->]
                                         create an action for a trigger (default auth0-log)
  code <action> <file|->                 save the draft code (from a file, or - for stdin)
  deps <action> list                     list the draft's dependencies (pinned versions)
  deps <action> add <pkg[@range]>...     add dependencies; latest or a range is pinned on save
  deps <action> remove <pkg>...          remove dependencies
  secrets <action> list                  list secret names (values are never shown)
  secrets <action> set <NAME>            set a secret; the value is read from stdin, or prompted for
  secrets <action> remove <NAME>...      remove secrets from the draft
  modules <action> list                  list the module versions the draft pins
  modules <action> add <module>[@<n>]    pin a module version (default: its latest published version)
  modules <action> remove <module>       unpin a module
  deploy <action>                        build the draft into a new version and make it the live one
  versions <action> [<version>]          list versions (newest first), or show one by number or id
  rollback <action> <version>            deploy an older version again, as a new live version
  bind <action> [--codes c,..] [--categories c,..] [--trigger <t>]
                                         run the action on the trigger's events (all, or those matched);
                                         binds it again with the new match if it is bound already
  unbind <action> [--trigger <t>]        stop running it on the trigger's events
  bindings [--trigger <t>]               list a trigger's bindings, in order (default auth0-log)
  executions list <action>               list the action's recent runs (--page N --per-page N)
  executions get <execution-id>          show one run: outcome, version, event, timing, error, console
  delete <action> [--force] [--yes]      delete an action (asks unless --yes; --force unbinds it first)

<action> is an action name or id; <version> is a version number or id; <module> a module name or id.
--trigger defaults to the action's own trigger.`;

const COMMAND_OPTIONS = {
  page: { type: 'string' },
  'per-page': { type: 'string' },
  trigger: { type: 'string' },
  'code-file': { type: 'string' },
  codes: { type: 'string', multiple: true },
  categories: { type: 'string', multiple: true },
  'show-code': { type: 'boolean' },
  force: { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
} as const;

export const ACTIONS_AREA: Area = {
  name: 'actions',
  usage: ACTIONS_USAGE,
  options: COMMAND_OPTIONS,
  commands: {
    list,
    ls: list,
    get,
    show: get,
    create,
    code,
    deps: dependencies,
    dependencies,
    secrets,
    modules,
    deploy,
    versions,
    rollback,
    bind,
    unbind,
    bindings,
    executions,
    delete: remove,
    rm: remove,
  },
};

async function list(context: Context): Promise<number> {
  return printPage<ActionBody>(context, ACTIONS_PATH, {
    key: 'actions',
    noun: 'action',
    headers: ['NAME', 'ID', 'TRIGGER', 'DRAFT', 'MODULES', 'SECRETS', 'DEPS', 'UPDATED'],
    row: (action) => [
      action.name,
      action.id,
      triggerOf(action),
      action.all_changes_deployed ? 'deployed' : 'not deployed',
      pinList(action.modules),
      String(action.secrets.length),
      String(action.dependencies.length),
      time(action.updated_at),
    ],
  });
}

async function get(context: Context): Promise<number> {
  const [ref] = need(context.positionals, ['action'], 'actions get <action> [--show-code]');
  return showDraft(context, ACTIONS.pathOf(await ACTIONS.find(context.client, ref)), describeAction);
}

async function create({ client, io, json, values, positionals }: Context): Promise<number> {
  const [name] = need(
    positionals,
    ['name'],
    'actions create <name> [--trigger auth0-log] [--code-file <file>]',
  );
  const codeFile = values['code-file'];
  const code = typeof codeFile === 'string' ? await readCode(io, codeFile) : undefined;
  const trigger = typeof values.trigger === 'string' ? values.trigger : DEFAULT_TRIGGER;
  const { body } = await client.request('POST', ACTIONS_PATH, {
    body: { name, supported_triggers: [{ id: trigger }], ...(code === undefined ? {} : { code }) },
  });
  if (json) return printJson(io, body);
  io.stdout.write(`Created action ${body.name} (${body.id}) for trigger ${triggerOf(body)}.\n`);
  io.stdout.write(
    code === undefined
      ? `Next: ${A0BRIDGE} actions code ${shellWord(body.name)} action.js\n`
      : `Next: ${A0BRIDGE} actions deploy ${shellWord(body.name)}\n`,
  );
  return 0;
}

async function code({ client, io, json, positionals }: Context): Promise<number> {
  const [ref, source] = need(positionals, ['action', 'file'], 'actions code <action> <file|->');
  const action = await ACTIONS.find(client, ref);
  const text = await readCode(io, source as string);
  const { body } = await client.request('PATCH', ACTIONS.pathOf(action), { body: { code: text } });
  if (json) return printJson(io, body);
  io.stdout.write(`Saved the draft code of ${body.name} (${body.code.length} characters).\n`);
  io.stdout.write(deployHint(body));
  return 0;
}

async function dependencies(context: Context): Promise<number> {
  const [ref, verb, ...specs] = context.positionals;
  if (!ref || !verb) {
    throw new UsageError(`Usage: ${A0BRIDGE} actions deps <action> list|add|remove [pkg[@range]...]`);
  }
  return draftDependencies(context, ACTIONS.draft(await ACTIONS.find(context.client, ref)), verb, specs);
}

async function secrets(context: Context): Promise<number> {
  const [ref, verb, ...names] = context.positionals;
  if (!ref || !verb)
    throw new UsageError(`Usage: ${A0BRIDGE} actions secrets <action> list|set|remove [NAME...]`);
  return draftSecrets(context, ACTIONS.draft(await ACTIONS.find(context.client, ref)), verb, names);
}

async function modules(context: Context): Promise<number> {
  const { client, io, json, positionals } = context;
  const [ref, command, spec, extra] = positionals;
  if (!ref || !command) {
    throw new UsageError(
      `Usage: ${A0BRIDGE} actions modules <action> list|add|remove [<module>[@<version>]]`,
    );
  }
  const action = await ACTIONS.find(client, ref);
  let body: ActionBody;
  if (command === 'list' || command === 'ls') {
    body = (await client.request('GET', ACTIONS.pathOf(action))).body;
  } else {
    if (!spec || extra !== undefined) {
      throw new UsageError(
        `Usage: ${A0BRIDGE} actions modules <action> ${command} <module>   (one at a time)`,
      );
    }
    if (command === 'add') {
      const pin = await modulePin(client, spec);
      body = await patchWithRetry<ActionBody>(client, ACTIONS.pathOf(action), (current) => ({
        modules: [
          ...current.modules.filter((kept) => kept.module_id !== pin.module.id).map(keptPin),
          { module_name: pin.module.name, module_version_number: pin.number },
        ],
      }));
    } else if (command === 'remove' || command === 'rm') {
      body = await patchWithRetry<ActionBody>(client, ACTIONS.pathOf(action), (current) => {
        if (!current.modules.some((pin) => pin.module_name === spec || pin.module_id === spec)) {
          throw new UsageError(`Action ${action.name} pins no module ${spec}.`);
        }
        return {
          modules: current.modules
            .filter((pin) => pin.module_name !== spec && pin.module_id !== spec)
            .map(keptPin),
        };
      });
    } else {
      throw new UsageError(`Unknown modules command "${command}"; use list, add or remove.`);
    }
  }
  if (json) return printJson(io, body.modules);
  io.stdout.write(
    table(
      ['MODULE', 'VERSION', 'MODULE ID', 'VERSION ID'],
      body.modules.map((pin) => [
        pin.module_name,
        `v${pin.module_version_number}`,
        pin.module_id,
        pin.module_version_id,
      ]),
    ),
  );
  if (command !== 'list' && command !== 'ls') io.stdout.write(deployHint(body));
  return 0;
}

async function deploy({ client, io, json, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['action'], 'actions deploy <action>');
  const action = await ACTIONS.find(client, ref);
  const started = performance.now();
  const name = shellWord(action.name);
  const { body } = await withHints(client.request('POST', `${ACTIONS.pathOf(action)}/deploy`), {
    no_changes_to_publish: `Change the draft first (${A0BRIDGE} actions code ${name} action.js), or deploy an older version again: ${A0BRIDGE} actions rollback ${name} <version>`,
  });
  const elapsed = Math.round(performance.now() - started);
  if (json) return printJson(io, body);
  io.stdout.write(`Deployed ${action.name} version ${body.number} (${body.id}) in ${elapsed} ms.\n`);
  if (body.modules.length > 0) io.stdout.write(`It runs with ${pinList(body.modules)}.\n`);
  io.stdout.write(await boundHint(client, action));
  return 0;
}

async function versions(context: Context): Promise<number> {
  const [ref, versionRef] = need(context.positionals, ['action'], 'actions versions <action> [<version>]');
  const action = await ACTIONS.find(context.client, ref);
  const draft = action.all_changes_deployed ? 'same as the live version' : 'has undeployed changes';
  return showVersions<VersionBody>(
    context,
    ACTIONS.versions(action),
    versionRef,
    (version) => describeVersion(action.name, version),
    {
      title: `Versions of ${action.name} (draft: ${draft})`,
      headers: ['VERSION', 'ID', 'LIVE', 'CREATED', 'MODULES', 'SECRETS', 'DEPENDENCIES'],
      row: (version) => [
        `v${version.number}`,
        version.id,
        version.deployed ? 'live' : '-',
        time(version.created_at),
        pinList(version.modules),
        nameList(version.secrets),
        dependencyList(version.dependencies),
      ],
    },
  );
}

async function rollback({ client, io, json, positionals }: Context): Promise<number> {
  const [ref, versionRef] = need(positionals, ['action', 'version'], 'actions rollback <action> <version>');
  const action = await ACTIONS.find(client, ref);
  const id = await ACTIONS.versionId(client, action, versionRef as string);
  const { body } = await client.request(
    'POST',
    `${ACTIONS.pathOf(action)}/versions/${encodeURIComponent(id)}/deploy`,
  );
  if (json) return printJson(io, body);
  const from = versionNumberOf(versionRef as string);
  io.stdout.write(
    `Rolled ${action.name} back to ${from === undefined ? `version ${versionRef}` : `v${from}`}: ` +
      `its code, dependencies, secrets and modules are live again as version ${body.number} (${body.id}).\n`,
  );
  return 0;
}

async function bind({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(
    positionals,
    ['action'],
    'actions bind <action> [--codes fp,f] [--categories auth.login.fail] [--trigger auth0-log]',
  );
  const action = await ACTIONS.find(client, ref);
  const trigger = chosenTrigger(values, action);
  const match = matchOf(values);
  const current = await readBindings(client, trigger);
  const mine: BindingInput = { ref: { type: 'action_id', value: action.id }, ...(match ? { match } : {}) };
  const bound = current.some((binding) => binding.action.id === action.id);
  // The PATCH replaces the trigger's whole list: the others are sent back as they are, in their order.
  const next: BindingInput[] = current.map((binding) =>
    binding.action.id === action.id ? { ...mine, display_name: binding.display_name } : bindingInput(binding),
  );
  if (!bound) next.push(mine);
  const { body } = await withHints(
    client.request('PATCH', bindingsPath(trigger), { body: { bindings: next } }),
    { action_not_deployed: `Next: ${A0BRIDGE} actions deploy ${shellWord(action.name)}` },
  );
  if (json) return printJson(io, body);
  const position = (body.bindings as BindingBody[]).findIndex((binding) => binding.action.id === action.id);
  io.stdout.write(
    `${bound ? 'Rebound' : 'Bound'} ${action.name} to ${trigger} for ${describeMatch(match)} ` +
      `(binding ${position + 1} of ${body.bindings.length}).\n`,
  );
  io.stdout.write(bindingsTable(body.bindings));
  io.stdout.write(`Its runs: ${A0BRIDGE} actions executions list ${shellWord(action.name)}\n`);
  return 0;
}

async function unbind({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['action'], 'actions unbind <action> [--trigger auth0-log]');
  const action = await ACTIONS.find(client, ref);
  const trigger = chosenTrigger(values, action);
  const current = await readBindings(client, trigger);
  if (!current.some((binding) => binding.action.id === action.id)) {
    throw new UsageError(`Action ${action.name} is not bound to ${trigger}.`);
  }
  const next = current.filter((binding) => binding.action.id !== action.id).map(bindingInput);
  const { body } = await client.request('PATCH', bindingsPath(trigger), { body: { bindings: next } });
  if (json) return printJson(io, body);
  io.stdout.write(`Unbound ${action.name} from ${trigger}: it no longer runs on its events.\n`);
  io.stdout.write(bindingsTable(body.bindings));
  return 0;
}

async function bindings({ client, io, json, values }: Context): Promise<number> {
  const trigger = typeof values.trigger === 'string' ? values.trigger : DEFAULT_TRIGGER;
  const { body } = await client.request('GET', bindingsPath(trigger));
  if (json) return printJson(io, body);
  io.stdout.write(`Bindings of ${trigger}, in order\n`);
  io.stdout.write(bindingsTable(body.bindings));
  return 0;
}

async function executions(context: Context): Promise<number> {
  const { client, positionals } = context;
  const [verb, ref] = positionals;
  if ((verb === 'get' || verb === 'show') && ref) {
    const { body } = await client.request('GET', `/api/v2/actions/executions/${encodeURIComponent(ref)}`);
    return print(context, body, describeExecution);
  }
  if ((verb !== 'list' && verb !== 'ls') || !ref) {
    throw new UsageError(
      `Usage: ${A0BRIDGE} actions executions list <action> | executions get <execution-id>`,
    );
  }
  const action = await ACTIONS.find(client, ref);
  return printPage<ExecutionBody>(context, `${ACTIONS.pathOf(action)}/executions`, {
    key: 'executions',
    noun: 'execution',
    headers: ['ID', 'OUTCOME', 'VERSION', 'EVENT', 'STARTED', 'DURATION', 'ERROR'],
    row: (execution) => [
      execution.id,
      execution.outcome,
      `v${execution.action_version_number}`,
      execution.event_id,
      time(execution.created_at),
      `${execution.duration_ms} ms`,
      errorOf(execution) ?? '-',
    ],
    footer: (total) =>
      total === 0
        ? 'Runs appear once the action is deployed, bound and an event matches (kept 10 days).\n'
        : `One in full: ${A0BRIDGE} actions executions get <id>\n`,
  });
}

async function remove({ client, io, json, values, positionals }: Context): Promise<number> {
  const [ref] = need(positionals, ['action'], 'actions delete <action> [--force] [--yes]');
  const action = await ACTIONS.find(client, ref);
  const what = values.force ? ', its versions and its bindings' : ' and all its versions';
  if (!(await confirmDelete(io, values, `Delete action ${action.name} (${action.id})${what}? [y/N] `)))
    return 1;
  const name = shellWord(action.name);
  await withHints(
    client.request('DELETE', ACTIONS.pathOf(action), values.force ? { query: { force: 'true' } } : {}),
    {
      action_bound: `Next: ${A0BRIDGE} actions unbind ${name}, or ${A0BRIDGE} actions delete ${name} --force --yes`,
    },
  );
  if (json) return printJson(io, { deleted: action.id });
  io.stdout.write(`Deleted action ${action.name} (${action.id}).\n`);
  return 0;
}

function bindingsPath(trigger: string): string {
  return `/api/v2/actions/triggers/${encodeURIComponent(trigger)}/bindings`;
}

/** `logger`, `logger@3` or `logger@v3`: the module, and the version to pin (its latest when none is given). */
async function modulePin(client: ManagementClient, spec: string) {
  const at = spec.lastIndexOf('@');
  const ref = at > 0 ? spec.slice(0, at) : spec;
  const asked = at > 0 ? versionNumberOf(spec.slice(at + 1)) : undefined;
  if (at > 0 && asked === undefined) {
    throw new UsageError(`Pin a module by version number, as ${ref}@1; got ${JSON.stringify(spec)}.`);
  }
  const module = await findNamed<ModuleSummary>(client, '/api/v2/actions/modules', 'modules', ref, 'module');
  const number = asked ?? module.latest_version_number;
  if (number === undefined) {
    throw new UsageError(
      `Module ${module.name} has no published version to pin. Next: ${A0BRIDGE} modules publish ${shellWord(module.name)}`,
    );
  }
  return { module, number };
}

/** A pin the draft keeps, named by ids: exactly the version it pins now. */
function keptPin(pin: PinBody) {
  return { module_id: pin.module_id, module_version_id: pin.module_version_id };
}

function triggerOf(action: { readonly supported_triggers: readonly { id: string }[] }): string {
  return action.supported_triggers.map(({ id }) => id).join(', ') || '-';
}

function chosenTrigger(values: Values, action: ActionBody): string {
  if (typeof values.trigger === 'string') return values.trigger;
  return action.supported_triggers[0]?.id ?? DEFAULT_TRIGGER;
}

/** `--codes fp,f --codes s` and `--categories …`, comma-separated or repeated; none means every event. */
function matchOf(values: Values): MatchBody | undefined {
  const split = (value: unknown) =>
    ((value as string[] | undefined) ?? []).flatMap((item) =>
      item
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    );
  const codes = split(values.codes);
  const categories = split(values.categories);
  if (codes.length === 0 && categories.length === 0) return undefined;
  return { ...(codes.length > 0 ? { codes } : {}), ...(categories.length > 0 ? { categories } : {}) };
}

function describeMatch(match: MatchBody | undefined): string {
  if (!match) return 'every event';
  const parts = [
    ...(match.codes ? [`log codes ${match.codes.join(', ')}`] : []),
    ...(match.categories ? [`categories ${match.categories.join(', ')}`] : []),
  ];
  return parts.join(' or ');
}

async function readBindings(client: ManagementClient, trigger: string): Promise<BindingBody[]> {
  return (await client.request('GET', bindingsPath(trigger))).body.bindings;
}

/** A binding as the PATCH takes it back: by action id, with its name and match unchanged. */
function bindingInput(binding: BindingBody): BindingInput {
  return {
    ref: { type: 'action_id', value: binding.action.id },
    display_name: binding.display_name,
    ...(binding.match ? { match: binding.match } : {}),
  };
}

function bindingsTable(list: readonly BindingBody[]): string {
  return table(
    ['#', 'ACTION', 'ACTION ID', 'MATCH', 'UPDATED'],
    list.map((binding, index) => [
      String(index + 1),
      binding.display_name,
      binding.action.id,
      describeMatch(binding.match),
      time(binding.updated_at),
    ]),
  );
}

/** Whether the new version already runs (the action is bound), else the command that binds it. */
async function boundHint(client: ManagementClient, action: ActionBody): Promise<string> {
  const trigger = action.supported_triggers[0]?.id ?? DEFAULT_TRIGGER;
  const bound = (await readBindings(client, trigger)).some((binding) => binding.action.id === action.id);
  if (bound) return `It is bound to ${trigger}: this version runs on its events from now on.\n`;
  return (
    `Next: ${A0BRIDGE} actions bind ${shellWord(action.name)}` +
    (trigger === DEFAULT_TRIGGER
      ? '   (--codes fp,f or --categories auth.login.fail to run on fewer events)\n'
      : '\n')
  );
}

function deployHint(action: ActionBody): string {
  return action.all_changes_deployed
    ? 'It equals the live version: nothing new to deploy.\n'
    : `Next: ${A0BRIDGE} actions deploy ${shellWord(action.name)}\n`;
}

function pinList(pins: readonly PinBody[]): string {
  return pins.map((pin) => `${pin.module_name} v${pin.module_version_number}`).join(', ') || '-';
}

function errorOf(execution: ExecutionBody): string | undefined {
  const error = execution.results.find((result) => result.error)?.error;
  return error ? `${error.id}: ${error.msg}` : undefined;
}

function describeAction(action: ActionBody): string {
  const deployed = action.deployed_version;
  return draftText(
    [
      ['Name', action.name],
      ['Id', action.id],
      ['Trigger', triggerOf(action)],
      ['Live version', deployed ? `v${deployed.number} (${deployed.id})` : 'none (never deployed)'],
      ['Draft', action.all_changes_deployed ? 'same as the live version' : 'has undeployed changes'],
      ['Runtime', action.runtime],
      ['Created', time(action.created_at)],
      ['Updated', time(action.updated_at)],
      [
        'Code',
        `${action.code.length} characters (${A0BRIDGE} actions get ${shellWord(action.name)} --show-code)`,
      ],
    ],
    action,
    [
      'Modules (pinned versions):',
      table(
        ['MODULE', 'VERSION'],
        action.modules.map((pin) => [pin.module_name, `v${pin.module_version_number}`]),
      ),
    ],
  );
}

function describeVersion(name: string, version: VersionBody): string {
  return versionText(
    [
      ['Action', name],
      ['Version', `v${version.number}${version.deployed ? ' (live)' : ''}`],
    ],
    version,
    [['Modules', pinList(version.modules)]],
  );
}

function describeExecution(execution: ExecutionBody): string {
  const result = execution.results[0];
  return [
    keyValues([
      ['Execution', execution.id],
      ['Action', `${result?.action_name ?? '-'} (${execution.action_id})`],
      ['Status', execution.outcome],
      ['Version', `v${execution.action_version_number} (${execution.action_version_id})`],
      ['Trigger', execution.trigger_id],
      ['Event id', execution.event_id],
      ['Started', time(execution.created_at)],
      ['Duration', `${execution.duration_ms} ms`],
      ['Error', errorOf(execution) ?? '-'],
      ...(execution.emitted === undefined ? [] : [['Emitted events', String(execution.emitted)] as const]),
    ]),
    ...recordedCalls(execution),
    execution.logs.length > 0 ? '--- console ---' : '(no console output)',
    ...execution.logs,
    '',
  ].join('\n');
}

/** The api calls the action made that Auth0 would have applied: `api.access.deny("blocked country")`. */
function recordedCalls(execution: ExecutionBody): string[] {
  const calls = execution.recorded ?? [];
  if (calls.length === 0 && !execution.recorded_omitted) return [];
  return [
    '--- api calls (recorded, not applied: the action ran after the transaction) ---',
    ...calls.map(({ method, args }) => `${method}(${args.map((arg) => JSON.stringify(arg)).join(', ')})`),
    ...(execution.recorded_omitted ? [`… and ${execution.recorded_omitted} more, past the limits`] : []),
  ];
}

interface PinBody {
  readonly module_id: string;
  readonly module_name: string;
  readonly module_version_id: string;
  readonly module_version_number: number;
}

interface VersionBody extends DraftBody {
  readonly number: number;
  readonly modules: PinBody[];
  readonly deployed: boolean;
}

interface ActionBody extends DraftBody {
  readonly name: string;
  readonly supported_triggers: { readonly id: string; readonly version: string }[];
  readonly all_changes_deployed: boolean;
  readonly modules: PinBody[];
  readonly runtime: string;
  readonly deployed_version?: VersionBody;
  readonly updated_at: string;
}

interface MatchBody {
  readonly codes?: readonly string[];
  readonly categories?: readonly string[];
}

interface BindingInput {
  readonly ref: { readonly type: 'action_id'; readonly value: string };
  readonly display_name?: string;
  readonly match?: MatchBody;
}

interface BindingBody {
  readonly id: string;
  readonly trigger_id: string;
  readonly display_name: string;
  readonly action: { readonly id: string; readonly name: string };
  readonly match?: MatchBody;
  readonly updated_at: string;
}

interface ExecutionBody {
  readonly id: string;
  readonly trigger_id: string;
  readonly outcome: string;
  readonly results: { action_name: string; error?: { id: string; msg: string } }[];
  readonly action_id: string;
  readonly action_version_id: string;
  readonly action_version_number: number;
  readonly event_id: string;
  readonly duration_ms: number;
  readonly logs: string[];
  readonly emitted?: number;
  readonly recorded?: { readonly method: string; readonly args: readonly unknown[] }[];
  readonly recorded_omitted?: number;
  readonly created_at: string;
}

interface ModuleSummary {
  readonly id: string;
  readonly name: string;
  readonly latest_version_number?: number;
}
