/**
 * The Action Modules registry: Auth0's rules for modules on top of the lifecycle modules and actions share
 * (`lambdas/lifecycle/lifecycle.ts`: drafts under a lock, pinned dependencies, secret sets, versions,
 * rollback). What is the modules' own: the module limit and unique names (checked in one transaction on
 * create), the build, and the actions that use a module. No I/O of its own.
 */
import { type EntityKind, Lifecycle, type VersionOutcome } from '../lifecycle/lifecycle';
import {
  LimitExceededError,
  ModuleBusyError,
  ModuleNotFoundError,
  RegistryError,
  VersionNotFoundError,
} from './errors';
import { draftFingerprint, uuidV7 } from './ids';
import {
  AUTH0_LIMITS,
  DEFAULT_ACTIONS_PER_PAGE,
  DEFAULT_VERSIONS_PER_PAGE,
  type RegistryLimits,
} from './limits';
import type { ModuleRecord, ModuleUsage, Page, VersionRecord, Window } from './model';
import type { RegistryPorts } from './ports';
import type { CreateModuleInput, Paging, UpdateModuleInput } from './validate';

export interface RegistryOptions {
  /** Defaults to Auth0's limits. */
  readonly limits?: Partial<RegistryLimits>;
  /** How long a draft lock lasts; longer than one draft change takes. */
  readonly leaseMs?: number;
  /** How long a draft change waits for another one to finish before answering 409. */
  readonly leaseWaitMs?: number;
  /** How long a publish may hold the draft lock: the build may download dependencies first. */
  readonly publishLeaseMs?: number;
}

/** A module as the API shows it: the record and, once published, its latest version. */
export interface ModuleView {
  readonly module: ModuleRecord;
  readonly latest?: VersionRecord;
}

export interface Listed<T> extends Page<T> {
  readonly paging?: Paging;
}

export type PublishOutcome = VersionOutcome<VersionRecord>;

/** How the lifecycle names modules and counts their limits. */
export function moduleKind(limits: RegistryLimits): EntityKind<undefined, ModuleRecord> {
  return {
    noun: { noun: 'action module', code: 'module' },
    maxVersions: limits.maxVersionsPerModule,
    maxSecrets: limits.maxSecretsPerModule,
    fingerprint: ({ code, dependencies, secretsSetId }) => draftFingerprint(code, dependencies, secretsSetId),
    notFound: (id) => new ModuleNotFoundError(id),
    busy: (id) => new ModuleBusyError(id),
    versionNotFound: (id, versionId) => new VersionNotFoundError(id, versionId),
    tooManyVersions: (module) =>
      new LimitExceededError(
        412,
        'too_many_versions',
        `Action module ${JSON.stringify(module.name)} already has ${module.versionCount} versions, the most allowed (limit: ${limits.maxVersionsPerModule} versions per module).`,
      ),
  };
}

export class ModuleRegistry {
  public readonly limits: RegistryLimits;
  private readonly lifecycle: Lifecycle<undefined, ModuleRecord, VersionRecord>;
  private readonly newId: () => string;

  public constructor(
    private readonly ports: RegistryPorts,
    options: RegistryOptions = {},
  ) {
    this.limits = { ...AUTH0_LIMITS, ...options.limits };
    this.lifecycle = new Lifecycle(moduleKind(this.limits), ports, options);
    const now = ports.now ?? (() => new Date());
    this.newId = ports.newId ?? (() => uuidV7(now().getTime()));
  }

  public async listModules(paging: Paging | undefined): Promise<Listed<ModuleRecord>> {
    const window = paging ? toWindow(paging) : { offset: 0, limit: Number.MAX_SAFE_INTEGER };
    const page = await this.ports.store.listModules(window);
    return { ...page, ...(paging ? { paging } : {}) };
  }

  public async getModule(id: string): Promise<ModuleView> {
    return this.view(await this.lifecycle.require(id));
  }

  public async createModule(input: CreateModuleInput): Promise<ModuleView> {
    const module = await this.lifecycle.create(
      this.newId(),
      input,
      (base) => ({
        ...base,
        actionsUsingModuleTotal: 0,
        ...(input.apiVersion ? { apiVersion: input.apiVersion } : {}),
      }),
      (record) => this.ports.store.createModule(record, this.limits.maxModules),
    );
    const { id } = module;
    this.ports.logger.info('Created an action module', { moduleId: id, moduleName: input.name });
    if (!input.publish) return { module };
    try {
      await this.publish(id);
    } catch (error) {
      if (!(error instanceof RegistryError)) throw error;
      throw new RegistryError(
        error.statusCode,
        error.errorCode,
        `The module was created with id ${id}, but publishing it failed: ${error.message}`,
        { cause: error },
      );
    }
    return this.view(await this.lifecycle.require(id));
  }

  public async updateModule(id: string, input: UpdateModuleInput, ifMatch?: string): Promise<ModuleView> {
    const before = await this.lifecycle.require(id);
    // Resolution may take seconds on a slow registry: done before taking the draft lock.
    const dependencies = input.dependencies
      ? await this.lifecycle.resolveDependencies(input.dependencies, before.dependencies)
      : undefined;
    const saved = await this.lifecycle.changeDraft(
      id,
      {
        ...(input.code === undefined ? {} : { code: input.code }),
        ...(dependencies ? { dependencies } : {}),
        ...(input.secrets ? { secrets: input.secrets } : {}),
      },
      ifMatch,
    );
    this.ports.logger.info('Saved an action module draft', {
      moduleId: id,
      draftRevision: saved.draftRevision,
      changed: Object.keys(input),
    });
    return this.view(saved);
  }

  public async deleteModule(id: string): Promise<void> {
    await this.ports.store.deleteModule(id);
    // After the module is gone: deleting the secret first could strand an in-use module without its values.
    await this.lifecycle.discardSecrets(id, false);
    this.ports.logger.info('Deleted an action module', { moduleId: id });
  }

  public async listVersions(id: string, paging: Paging | undefined): Promise<Listed<VersionRecord>> {
    const effective = paging ?? { page: 0, perPage: DEFAULT_VERSIONS_PER_PAGE };
    const listed = await this.lifecycle.listVersions(id, toWindow(effective));
    return { ...listed, paging: effective };
  }

  public async getVersion(id: string, versionId: string): Promise<VersionRecord> {
    await this.lifecycle.require(id);
    return this.lifecycle.getVersion(id, versionId);
  }

  /** Builds the draft and records it as the next version (see `Lifecycle.createVersion`). */
  public async publish(id: string, ifMatch?: string): Promise<PublishOutcome> {
    const outcome = await this.lifecycle.createVersion(
      id,
      async (module, base) => {
        const built = await this.ports.builder.build({
          moduleName: module.name,
          code: module.code,
          dependencies: module.dependencies,
        });
        const artifact = await this.ports.artifacts.put(built.sha256, built.content);
        return { ...base, moduleId: id, artifact };
      },
      ifMatch,
    );
    const { version } = outcome;
    this.ports.logger.info('Published an action module version', {
      moduleId: id,
      versionNumber: version.versionNumber,
      versionId: version.id,
      artifactSha256: version.artifact.sha256,
      artifactBytes: version.artifact.bytes,
      buildMs: Math.round(outcome.buildMs),
      latencyMs: Math.round(outcome.latencyMs),
    });
    return outcome;
  }

  /** Copies a version's code, dependencies and secret values into the draft. */
  public async rollback(id: string, versionId: string, ifMatch?: string): Promise<ModuleView> {
    const { record, version } = await this.lifecycle.restoreDraft(id, versionId, ifMatch);
    this.ports.logger.info('Rolled an action module draft back to a version', {
      moduleId: id,
      versionNumber: version.versionNumber,
    });
    return this.view(record);
  }

  public async listActions(id: string, paging: Paging | undefined): Promise<Listed<ModuleUsage>> {
    await this.lifecycle.require(id);
    const effective = paging ?? { page: 0, perPage: DEFAULT_ACTIONS_PER_PAGE };
    const page = await this.ports.store.listUsage(id, toWindow(effective));
    return { ...page, paging: effective };
  }

  private async view(module: ModuleRecord): Promise<ModuleView> {
    const latest = await this.lifecycle.latest(module);
    return latest ? { module, latest } : { module };
  }
}

function toWindow(paging: Paging): Window {
  return { offset: paging.page * paging.perPage, limit: paging.perPage };
}
