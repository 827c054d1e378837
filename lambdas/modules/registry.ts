/**
 * The Action Modules registry: Auth0's rules for modules, drafts, versions, secrets and dependencies, on top
 * of the ports in `ports.ts`. No I/O of its own.
 *
 * Consistency, in short:
 * - a module's draft changes only under its draft lock (a short lease on the module item), so secret writes,
 *   which read-modify-write one Secrets Manager secret, never lose one another;
 * - a publish does not change the draft: it writes the version only if the draft revision and the version
 *   count are still those it read, so numbers are never reused or skipped and no draft edit is lost;
 * - create checks the name and the module limit in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { sleep as realSleep } from '../shared/concurrency';
import {
  DraftChangedError,
  InvalidRequestError,
  LeaseLostError,
  LimitExceededError,
  ModuleBusyError,
  ModuleNotFoundError,
  NothingToPublishError,
  RegistryError,
  RevisionMismatchError,
  RollbackNotNeededError,
  VersionConflictError,
  VersionNotFoundError,
} from './errors';
import { draftFingerprint, uuidV7 } from './ids';
import {
  AUTH0_LIMITS,
  DEFAULT_ACTIONS_PER_PAGE,
  DEFAULT_VERSIONS_PER_PAGE,
  type RegistryLimits,
} from './limits';
import type {
  Dependency,
  DraftState,
  ModuleRecord,
  ModuleUsage,
  Page,
  SecretInfo,
  VersionRecord,
  Window,
} from './model';
import type { RegistryPorts, SecretWrite } from './ports';
import type { CreateModuleInput, DependencyInput, Paging, SecretInput, UpdateModuleInput } from './validate';

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

export interface PublishOutcome {
  readonly version: VersionRecord;
  /** Draft to version, including the build. */
  readonly latencyMs: number;
  readonly buildMs: number;
}

export class ModuleRegistry {
  public readonly limits: RegistryLimits;
  private readonly leaseMs: number;
  private readonly leaseWaitMs: number;
  private readonly publishLeaseMs: number;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(
    private readonly ports: RegistryPorts,
    options: RegistryOptions = {},
  ) {
    this.limits = { ...AUTH0_LIMITS, ...options.limits };
    this.leaseMs = options.leaseMs ?? 15_000;
    this.leaseWaitMs = options.leaseWaitMs ?? 10_000;
    this.publishLeaseMs = options.publishLeaseMs ?? 60_000;
    this.now = ports.now ?? (() => new Date());
    this.newId = ports.newId ?? (() => uuidV7(this.now().getTime()));
    this.sleep = ports.sleep ?? realSleep;
  }

  public async listModules(paging: Paging | undefined): Promise<Listed<ModuleRecord>> {
    const window = paging ? toWindow(paging) : { offset: 0, limit: Number.MAX_SAFE_INTEGER };
    const page = await this.ports.store.listModules(window);
    return { ...page, ...(paging ? { paging } : {}) };
  }

  public async getModule(id: string): Promise<ModuleView> {
    return this.view(await this.requireModule(id));
  }

  public async createModule(input: CreateModuleInput): Promise<ModuleView> {
    const dependencies = await this.resolveDependencies(input.dependencies ?? [], []);
    const id = this.newId();
    const now = this.timestamp();
    let secretsSetId: string | undefined;
    let secrets: SecretInfo[] = [];
    if (input.secrets && input.secrets.length > 0) {
      // Nobody else can know this module id yet, so no draft lock is needed for its first secret write.
      const writes = input.secrets.map(({ name, value }): SecretWrite => ({ name, value: value ?? '' }));
      secretsSetId = await this.ports.secrets.writeSet(id, undefined, writes, []);
      secrets = sortByName(input.secrets.map(({ name }) => ({ name, updated_at: now })));
    }
    const module: ModuleRecord = {
      id,
      name: input.name,
      code: input.code,
      dependencies,
      secrets,
      ...(secretsSetId ? { secretsSetId } : {}),
      draftRevision: 1,
      draftFingerprint: draftFingerprint(input.code, dependencies, secretsSetId),
      versionCount: 0,
      versionSecretSets: [],
      actionsUsingModuleTotal: 0,
      ...(input.apiVersion ? { apiVersion: input.apiVersion } : {}),
      createdAt: now,
      updatedAt: now,
    };
    try {
      await this.ports.store.createModule(module, this.limits.maxModules);
    } catch (error) {
      if (secretsSetId) await this.discardSecrets(id);
      throw error;
    }
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
    return this.view(await this.requireModule(id));
  }

  public async updateModule(id: string, input: UpdateModuleInput, ifMatch?: string): Promise<ModuleView> {
    const before = await this.requireModule(id);
    // Resolution may take seconds on a slow registry: done before taking the draft lock.
    const dependencies = input.dependencies
      ? await this.resolveDependencies(input.dependencies, before.dependencies)
      : undefined;
    let previousSetId: string | undefined;
    const saved = await this.withDraftLock(id, async (module, leaseId) => {
      checkRevision(module, ifMatch);
      previousSetId = module.secretsSetId;
      const now = this.timestamp();
      const secrets = input.secrets
        ? await this.nextSecrets(module, input.secrets, now)
        : { secrets: module.secrets, secretsSetId: module.secretsSetId };
      const code = input.code ?? module.code;
      const deps = dependencies ?? module.dependencies;
      const draft: DraftState = {
        code,
        dependencies: deps,
        secrets: secrets.secrets,
        ...(secrets.secretsSetId ? { secretsSetId: secrets.secretsSetId } : {}),
        draftFingerprint: draftFingerprint(code, deps, secrets.secretsSetId),
        updatedAt: now,
      };
      return this.ports.store.saveDraft(id, leaseId, draft);
    });
    this.ports.logger.info('Saved an action module draft', {
      moduleId: id,
      draftRevision: saved.draftRevision,
      changed: Object.keys(input),
    });
    if (previousSetId && previousSetId !== saved.secretsSetId) await this.pruneSecrets(id);
    return this.view(saved);
  }

  public async deleteModule(id: string): Promise<void> {
    await this.ports.store.deleteModule(id);
    // After the module is gone: deleting the secret first could strand an in-use module without its values.
    await this.ports.secrets.deleteAll(id, false).catch((error: unknown) => {
      this.ports.logger.error('Deleted an action module but not its secret; delete the secret by hand', {
        moduleId: id,
        error: errorName(error),
      });
    });
    this.ports.logger.info('Deleted an action module', { moduleId: id });
  }

  public async listVersions(id: string, paging: Paging | undefined): Promise<Listed<VersionRecord>> {
    const module = await this.requireModule(id);
    const effective = paging ?? { page: 0, perPage: DEFAULT_VERSIONS_PER_PAGE };
    const items = await this.ports.store.listVersions(id, module.versionCount, toWindow(effective));
    return { items, total: module.versionCount, paging: effective };
  }

  public async getVersion(id: string, versionId: string): Promise<VersionRecord> {
    await this.requireModule(id);
    const version = await this.ports.store.getVersion(id, versionId);
    if (!version) throw new VersionNotFoundError(id, versionId);
    return version;
  }

  /**
   * Builds the draft and records it as the next version. Holds the draft lock meanwhile, so a save waits for
   * the publish instead of voiding it; the version is written only if the draft is still the one built.
   */
  public async publish(id: string, ifMatch?: string): Promise<PublishOutcome> {
    const started = performance.now();
    return this.withDraftLock(
      id,
      async (module, leaseId) => {
        checkRevision(module, ifMatch);
        checkPublishable(module, this.limits);

        const buildStarted = performance.now();
        const built = await this.ports.builder.build({
          moduleName: module.name,
          code: module.code,
          dependencies: module.dependencies,
        });
        const artifact = await this.ports.artifacts.put(built.sha256, built.content);
        const buildMs = performance.now() - buildStarted;

        const version: VersionRecord = {
          id: randomUUID(),
          moduleId: id,
          versionNumber: module.versionCount + 1,
          code: module.code,
          dependencies: module.dependencies,
          secrets: module.secrets,
          ...(module.secretsSetId ? { secretsSetId: module.secretsSetId } : {}),
          fingerprint: module.draftFingerprint,
          artifact,
          createdAt: this.timestamp(),
        };
        try {
          await this.ports.store.createVersion(version, {
            draftRevision: module.draftRevision,
            versionCount: module.versionCount,
            leaseId,
          });
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
          throw await this.explainPublishConflict(module);
        }
        const latencyMs = performance.now() - started;
        this.ports.logger.info('Published an action module version', {
          moduleId: id,
          versionNumber: version.versionNumber,
          versionId: version.id,
          artifactSha256: artifact.sha256,
          artifactBytes: artifact.bytes,
          buildMs: Math.round(buildMs),
          latencyMs: Math.round(latencyMs),
        });
        return { version, latencyMs, buildMs };
      },
      this.publishLeaseMs,
    );
  }

  /** Copies a version's code, dependencies and secret values into the draft. */
  public async rollback(id: string, versionId: string, ifMatch?: string): Promise<ModuleView> {
    await this.requireModule(id);
    const version = await this.ports.store.getVersion(id, versionId);
    if (!version) throw new VersionNotFoundError(id, versionId);
    let previousSetId: string | undefined;
    const saved = await this.withDraftLock(id, async (module, leaseId) => {
      checkRevision(module, ifMatch);
      previousSetId = module.secretsSetId;
      if (module.draftFingerprint === version.fingerprint) {
        throw new RollbackNotNeededError(version.versionNumber);
      }
      return this.ports.store.saveDraft(id, leaseId, {
        code: version.code,
        dependencies: version.dependencies,
        secrets: version.secrets,
        ...(version.secretsSetId ? { secretsSetId: version.secretsSetId } : {}),
        draftFingerprint: version.fingerprint,
        updatedAt: this.timestamp(),
      });
    });
    this.ports.logger.info('Rolled an action module draft back to a version', {
      moduleId: id,
      versionNumber: version.versionNumber,
    });
    if (previousSetId && previousSetId !== saved.secretsSetId) await this.pruneSecrets(id);
    return this.view(saved);
  }

  public async listActions(id: string, paging: Paging | undefined): Promise<Listed<ModuleUsage>> {
    await this.requireModule(id);
    const effective = paging ?? { page: 0, perPage: DEFAULT_ACTIONS_PER_PAGE };
    const page = await this.ports.store.listUsage(id, toWindow(effective));
    return { ...page, paging: effective };
  }

  private async view(module: ModuleRecord): Promise<ModuleView> {
    if (!module.latestVersionId) return { module };
    const latest = await this.ports.store.getVersion(module.id, module.latestVersionId);
    return latest ? { module, latest } : { module };
  }

  private async requireModule(id: string): Promise<ModuleRecord> {
    const module = await this.ports.store.getModule(id);
    if (!module) throw new ModuleNotFoundError(id);
    return module;
  }

  /** Pins each dependency to one exact version; ones already pinned to that exact version stay as they are. */
  private async resolveDependencies(
    inputs: readonly DependencyInput[],
    current: readonly Dependency[],
  ): Promise<Dependency[]> {
    const pinned = new Map(current.map(({ name, version }) => [name, version]));
    return Promise.all(
      inputs.map(async ({ name, version }) => ({
        name,
        version: pinned.get(name) === version ? version : await this.ports.resolver.resolve(name, version),
      })),
    );
  }

  /** The draft's secrets after a PATCH that lists them all: new values, kept values, and removals. */
  private async nextSecrets(
    module: ModuleRecord,
    inputs: readonly SecretInput[],
    now: string,
  ): Promise<{ secrets: SecretInfo[]; secretsSetId: string | undefined }> {
    const existing = new Map(module.secrets.map((secret) => [secret.name, secret]));
    for (const input of inputs) {
      if (input.value === undefined && !existing.has(input.name)) {
        throw new InvalidRequestError(
          `The secret ${input.name} has no value yet; give one to create it.`,
          'secret_value_required',
        );
      }
    }
    if (inputs.length > this.limits.maxSecretsPerModule) {
      throw new LimitExceededError(
        400,
        'too_many_secrets',
        `${inputs.length} secrets were given; a module has at most ${this.limits.maxSecretsPerModule} secrets.`,
      );
    }
    const unchanged =
      inputs.length === module.secrets.length && inputs.every((input) => input.value === undefined);
    if (unchanged) return { secrets: [...module.secrets], secretsSetId: module.secretsSetId };

    const writes = inputs.map(
      (input): SecretWrite =>
        input.value === undefined
          ? { name: input.name, keep: true }
          : { name: input.name, value: input.value },
    );
    const secretsSetId = await this.ports.secrets.writeSet(
      module.id,
      module.secretsSetId,
      writes,
      module.versionSecretSets,
    );
    const secrets = inputs.map(
      (input): SecretInfo =>
        input.value === undefined
          ? (existing.get(input.name) as SecretInfo)
          : { name: input.name, updated_at: now },
    );
    return { secrets: sortByName(secrets), secretsSetId };
  }

  /**
   * Runs a draft change under the module's draft lock, waiting a while for another change to finish. The
   * change's own write releases the lock; when the change fails, the lock is released here.
   */
  private async withDraftLock<T>(
    id: string,
    change: (module: ModuleRecord, leaseId: string) => Promise<T>,
    leaseMs: number = this.leaseMs,
  ): Promise<T> {
    const leaseId = randomUUID();
    const deadline = this.now().getTime() + this.leaseWaitMs;
    let module: ModuleRecord | undefined;
    for (let attempt = 1; !module; attempt++) {
      const nowMs = this.now().getTime();
      const result = await this.ports.store.acquireLease(id, leaseId, nowMs, nowMs + leaseMs);
      if (result.acquired) module = result.module;
      else if ('missing' in result) throw new ModuleNotFoundError(id);
      else if (nowMs >= deadline) throw new ModuleBusyError(id);
      // Polling a held lock costs a write each time: back off, with jitter, up to a second.
      else
        await this.sleep(Math.min(deadline - nowMs, 20 + Math.random() * Math.min(1000, 40 * 2 ** attempt)));
    }
    let saved = false;
    try {
      const result = await change(module, leaseId);
      saved = true;
      return result;
    } catch (error) {
      // The lock expired mid-change and another request took it: ours was not written.
      if (error instanceof LeaseLostError) throw new ModuleBusyError(id);
      throw error;
    } finally {
      if (!saved) {
        await this.ports.store.releaseLease(id, leaseId).catch((error: unknown) => {
          this.ports.logger.warn('Could not release a draft lock; it expires by itself', {
            moduleId: id,
            error: errorName(error),
          });
        });
      }
    }
  }

  /**
   * Drops secret values that neither the draft nor any version uses any more, once the draft that replaced
   * them is saved. Best effort: if another change holds the lock, its own write drops them.
   */
  private async pruneSecrets(id: string): Promise<void> {
    const leaseId = randomUUID();
    const nowMs = this.now().getTime();
    try {
      const lease = await this.ports.store.acquireLease(id, leaseId, nowMs, nowMs + this.leaseMs);
      if (!lease.acquired) return;
      try {
        const { secretsSetId, versionSecretSets } = lease.module;
        await this.ports.secrets.prune(id, [...(secretsSetId ? [secretsSetId] : []), ...versionSecretSets]);
      } finally {
        await this.ports.store.releaseLease(id, leaseId);
      }
    } catch (error) {
      this.ports.logger.warn('Could not drop unused secret values yet; the next secret change will', {
        moduleId: id,
        error: errorName(error),
      });
    }
  }

  private async explainPublishConflict(before: ModuleRecord): Promise<RegistryError> {
    const now = await this.requireModule(before.id);
    if (now.draftRevision !== before.draftRevision) {
      return new DraftChangedError(
        'The draft changed while it was being published, so no version was created; publish again to publish the new draft.',
      );
    }
    if (now.latestFingerprint === now.draftFingerprint) {
      return new NothingToPublishError(now.versionCount);
    }
    try {
      checkPublishable(now, this.limits);
    } catch (error) {
      if (error instanceof RegistryError) return error;
      throw error;
    }
    return new DraftChangedError(
      'The module changed while it was being published, so no version was created; publish again.',
    );
  }

  private async discardSecrets(id: string): Promise<void> {
    await this.ports.secrets.deleteAll(id, true).catch((error: unknown) => {
      this.ports.logger.warn('Could not delete the secret of a module that was not created', {
        moduleId: id,
        error: errorName(error),
      });
    });
  }

  private timestamp(): string {
    return this.now().toISOString();
  }
}

function checkPublishable(module: ModuleRecord, limits: RegistryLimits): void {
  if (module.latestFingerprint !== undefined && module.latestFingerprint === module.draftFingerprint) {
    throw new NothingToPublishError(module.versionCount);
  }
  if (module.versionCount >= limits.maxVersionsPerModule) {
    throw new LimitExceededError(
      412,
      'too_many_versions',
      `Action module ${JSON.stringify(module.name)} already has ${module.versionCount} versions, the most allowed (limit: ${limits.maxVersionsPerModule} versions per module).`,
    );
  }
}

/** `If-Match: "<revision>"` (or `*`), as the module's `ETag` gives it. */
function checkRevision(module: ModuleRecord, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  if (tags.includes('*') || tags.includes(`"${module.draftRevision}"`)) return;
  throw new RevisionMismatchError(ifMatch.slice(0, 40), module.draftRevision);
}

function toWindow(paging: Paging): Window {
  return { offset: paging.page * paging.perPage, limit: paging.perPage };
}

function sortByName<T extends { readonly name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Only the class name of an error from a secret operation: SDK messages are not ours to vouch for. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
