/**
 * What modules and actions share as the CLI sees them: finding one by name or id, its versions, and the
 * commands that show its draft and change the draft's secrets and dependencies. Each PATCH lists them all
 * (a secret given by name alone keeps its value), with If-Match, read again on a conflict.
 */
import { type ManagementClient, UsageError } from './client';
import {
  A0BRIDGE,
  type Context,
  type DependencyBody,
  dependenciesWith,
  dependenciesWithout,
  findNamed,
  findVersionId,
  parseDependency,
  patchWithRetry,
  print,
  readSecretValue,
  type SecretBody,
  secretsWith,
  secretsWithout,
  type VersionList,
} from './common';
import { dependenciesTable, secretsTable } from './format';

/** What a module's or an action's draft, and each of its versions, holds alike. */
export interface DraftBody {
  readonly id: string;
  readonly code: string;
  readonly secrets: SecretBody[];
  readonly dependencies: DependencyBody[];
  readonly created_at: string;
}

/** The draft a command reads or changes. */
export interface Draft<T extends DraftBody> {
  readonly path: string;
  /** `logger`. */
  readonly name: string;
  /** `Module logger`, to begin a message with. */
  readonly owner: string;
  /** How a command is written, for usage messages: `modules secrets set <module> <NAME>`. */
  readonly syntax: (group: 'secrets' | 'deps', verb: string, args: string) => string;
  /** What to print once the draft changed: the next command. */
  readonly changed?: (body: T) => string;
}

export interface CollectionOptions<T extends DraftBody, V> {
  /** Where the API lists them: `/api/v2/actions/modules`. */
  readonly path: string;
  /** The list's key in the list body: `modules`. */
  readonly key: string;
  /** `module`. */
  readonly noun: string;
  /** A version's number, as the API names it. */
  readonly versionNumber: (version: V) => number;
  /** How many versions one has, when its body says. */
  readonly versionCount?: (item: T) => number;
  readonly syntax: Draft<T>['syntax'];
  readonly changed?: Draft<T>['changed'];
}

/** Modules, or actions: how the CLI finds one by name or id, and reaches its draft and versions. */
export class Collection<T extends DraftBody & { readonly name: string }, V extends { readonly id: string }> {
  public constructor(private readonly options: CollectionOptions<T, V>) {}

  public pathOf(item: { readonly id: string }): string {
    return `${this.options.path}/${encodeURIComponent(item.id)}`;
  }

  /** The one named `ref`, or with the id `ref`. */
  public find(client: ManagementClient, ref: string): Promise<T> {
    return findNamed<T>(client, this.options.path, this.options.key, ref, this.options.noun);
  }

  public versions(item: T): VersionList<V> {
    const count = this.options.versionCount?.(item);
    return {
      path: `${this.pathOf(item)}/versions`,
      owner: this.owner(item),
      numberOf: this.options.versionNumber,
      ...(count === undefined ? {} : { total: count }),
    };
  }

  /** A version id from a version number (`3`, `v3`) or an id. */
  public versionId(client: ManagementClient, item: T, ref: string): Promise<string> {
    return findVersionId(client, this.versions(item), ref);
  }

  public draft(item: T): Draft<T> {
    const { syntax, changed } = this.options;
    return {
      path: this.pathOf(item),
      name: item.name,
      owner: this.owner(item),
      syntax,
      ...(changed ? { changed } : {}),
    };
  }

  /** `Module logger`. */
  private owner(item: T): string {
    return `${this.options.noun.charAt(0).toUpperCase()}${this.options.noun.slice(1)} ${item.name}`;
  }
}

/** `get`: the draft described, its JSON, or (`--show-code`) its code alone. */
export async function showDraft<T extends DraftBody>(
  context: Context,
  path: string,
  describe: (body: T) => string,
): Promise<number> {
  const { body } = await context.client.request('GET', path);
  if (context.values['show-code']) {
    context.io.stdout.write(body.code);
    return 0;
  }
  return print(context, body as T, describe);
}

/** `secrets list`, `secrets set <NAME>` (value from stdin or a hidden prompt), `secrets rm <NAME>...`. */
export async function draftSecrets<T extends DraftBody>(
  context: Context,
  draft: Draft<T>,
  verb: string,
  names: string[],
): Promise<number> {
  const { client, io } = context;
  if (verb === 'list' || verb === 'ls') {
    const { body } = await client.request('GET', draft.path);
    return print(context, (body as T).secrets, secretsTable);
  }
  let body: T;
  let done: string;
  if (verb === 'set') {
    const [name, extra] = names;
    if (!name || extra !== undefined) {
      throw new UsageError(
        `Usage: ${A0BRIDGE} ${draft.syntax('secrets', 'set', '<NAME>')}   (one secret at a time; the value is read from stdin or prompted for, never from the command line)`,
      );
    }
    const value = await readSecretValue(io, name);
    body = await patchWithRetry<T>(client, draft.path, (current) => ({
      secrets: secretsWith(current.secrets, name, value),
    }));
    done = `Set secret ${name} on ${draft.name}. The value will not be shown again.\n`;
  } else if (verb === 'rm' || verb === 'remove') {
    if (names.length === 0)
      throw new UsageError(`Usage: ${A0BRIDGE} ${draft.syntax('secrets', verb, '<NAME>...')}`);
    body = await patchWithRetry<T>(client, draft.path, (current) => ({
      secrets: secretsWithout(current.secrets, names, draft.owner),
    }));
    done = `Removed ${names.join(', ')} from the draft of ${draft.name}.\n`;
  } else {
    throw new UsageError(`Unknown secrets command "${verb}"; use list, set or rm.`);
  }
  return print(context, body.secrets, () => `${done}${draft.changed?.(body) ?? ''}`);
}

/** `deps list`, `deps add <pkg[@range]>...` (pinned on save), `deps rm <pkg>...`. */
export async function draftDependencies<T extends DraftBody>(
  context: Context,
  draft: Draft<T>,
  verb: string,
  specs: string[],
): Promise<number> {
  const { client } = context;
  if (verb === 'list' || verb === 'ls') {
    const { body } = await client.request('GET', draft.path);
    return print(context, (body as T).dependencies, dependenciesTable);
  }
  if (specs.length === 0)
    throw new UsageError(`Usage: ${A0BRIDGE} ${draft.syntax('deps', verb, '<pkg>...')}`);
  let body: T;
  if (verb === 'add') {
    const added = specs.map(parseDependency);
    body = await patchWithRetry<T>(client, draft.path, (current) => ({
      dependencies: dependenciesWith(current.dependencies, added),
    }));
  } else if (verb === 'rm' || verb === 'remove') {
    body = await patchWithRetry<T>(client, draft.path, (current) => ({
      dependencies: dependenciesWithout(current.dependencies, specs, draft.owner),
    }));
  } else {
    throw new UsageError(`Unknown deps command "${verb}"; use list, add or rm.`);
  }
  return print(
    context,
    body.dependencies,
    (list) => `${dependenciesTable(list)}${draft.changed?.(body) ?? ''}`,
  );
}
