/**
 * The lifecycle modules and actions share, on top of the ports in `ports.ts`. No I/O of its own.
 *
 * Consistency, in short:
 * - a draft changes only under its draft lock (a short lease on the record), so secret writes, which
 *   read-modify-write one Secrets Manager secret, never lose one another;
 * - a new version does not change the draft: it is written only if the draft revision and the version count
 *   are still those it read, so numbers are never reused or skipped and no draft edit is lost.
 */
import { randomUUID } from 'node:crypto';
import { sleep as realSleep } from '../shared/concurrency';
import {
  DraftChangedError,
  type EntityNoun,
  InvalidRequestError,
  LeaseLostError,
  LimitExceededError,
  NothingToPublishError,
  RegistryError,
  RevisionMismatchError,
  RollbackNotNeededError,
  VersionConflictError,
} from './errors';
import type { Dependency, EntityRecord, EntityVersion, SecretInfo, Window } from './model';
import type { DependencyResolver, EntityStore, LogPort, SecretSetStore } from './ports';
import type { SecretWrite } from './secret-sets';

/** A secret as a request gives it: a new value, or (no value) the current one kept. */
export interface SecretInput {
  readonly name: string;
  readonly value?: string;
}

export interface DependencyInput {
  readonly name: string;
  /** An exact version, a range or a dist-tag; pinned to an exact version on save. */
  readonly version: string;
}

/** What differs between modules and actions, as far as the lifecycle cares. */
export interface EntityKind<S, R extends EntityRecord<S>> {
  readonly noun: EntityNoun;
  readonly maxVersions: number;
  readonly maxSecrets: number;
  /** Digest of everything a version is built from; the secret set id stands for the secret values. */
  fingerprint(draft: {
    readonly code: string;
    readonly dependencies: readonly Dependency[];
    readonly secretsSetId?: string;
    readonly spec?: S;
  }): string;
  notFound(id: string): RegistryError;
  busy(id: string): RegistryError;
  versionNotFound(id: string, versionId: string): RegistryError;
  /** How the kind names its version limit, e.g. `Action module "logger" already has 50 versions…`. */
  tooManyVersions(record: R): LimitExceededError;
}

export interface LifecyclePorts<S, R extends EntityRecord<S>, V extends EntityVersion<S>> {
  readonly store: EntityStore<S, R, V>;
  readonly secrets: SecretSetStore;
  readonly resolver: DependencyResolver;
  readonly logger: LogPort;
  readonly now?: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface LifecycleOptions {
  /** How long a draft lock lasts; longer than one draft change takes. */
  readonly leaseMs?: number;
  /** How long a draft change waits for another one to finish before answering 409. */
  readonly leaseWaitMs?: number;
  /** How long making a version may hold the draft lock: the build may download dependencies first. */
  readonly publishLeaseMs?: number;
}

/** One draft change; absent fields stay as they are. Dependencies come resolved (`resolveDependencies`). */
export interface DraftChange<S> {
  readonly code?: string;
  readonly dependencies?: readonly Dependency[];
  /** The draft's secrets in full: a missing name is removed, an entry without a value keeps its value. */
  readonly secrets?: readonly SecretInput[];
  readonly spec?: S;
}

export interface VersionOutcome<V> {
  readonly version: V;
  /** Draft to version, including the build. */
  readonly latencyMs: number;
  readonly buildMs: number;
}

/** What a kind's build gives back: the version to write. */
export type MakeVersion<S, R extends EntityRecord<S>, V extends EntityVersion<S>> = (
  record: R,
  base: Omit<EntityVersion<S>, 'artifact'>,
) => Promise<V>;

export class Lifecycle<S, R extends EntityRecord<S>, V extends EntityVersion<S>> {
  private readonly leaseMs: number;
  private readonly leaseWaitMs: number;
  private readonly publishLeaseMs: number;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(
    private readonly kind: EntityKind<S, R>,
    private readonly ports: LifecyclePorts<S, R, V>,
    options: LifecycleOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? 15_000;
    this.leaseWaitMs = options.leaseWaitMs ?? 10_000;
    this.publishLeaseMs = options.publishLeaseMs ?? 60_000;
    this.now = ports.now ?? (() => new Date());
    this.sleep = ports.sleep ?? realSleep;
  }

  public timestamp(): string {
    return this.now().toISOString();
  }

  public async require(id: string): Promise<R> {
    const record = await this.ports.store.get(id);
    if (!record) throw this.kind.notFound(id);
    return record;
  }

  /** Pins each dependency to one exact version; ones already pinned to that exact version stay as they are. */
  public async resolveDependencies(
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

  /**
   * Creates a record: its dependencies pinned, its first secret set written, and the kind's own fields
   * added by `complete`. `persist` writes it (with the kind's uniqueness and limit checks); if that fails,
   * the secret just written is deleted again.
   */
  public async create(
    id: string,
    input: {
      readonly name: string;
      readonly code: string;
      readonly dependencies?: readonly DependencyInput[];
      readonly secrets?: readonly SecretInput[];
      readonly spec?: S;
    },
    complete: (base: EntityRecord<S>) => R,
    persist: (record: R) => Promise<void>,
  ): Promise<R> {
    const dependencies = await this.resolveDependencies(input.dependencies ?? [], []);
    const now = this.timestamp();
    const { secrets, secretsSetId } = await this.firstSecrets(id, input.secrets ?? []);
    const record = complete({
      id,
      name: input.name,
      code: input.code,
      dependencies,
      secrets,
      ...(secretsSetId ? { secretsSetId } : {}),
      ...(input.spec === undefined ? {} : { spec: input.spec }),
      draftRevision: 1,
      draftFingerprint: this.kind.fingerprint({
        code: input.code,
        dependencies,
        secretsSetId,
        spec: input.spec,
      }),
      versionCount: 0,
      versionSecretSets: [],
      createdAt: now,
      updatedAt: now,
    });
    try {
      await persist(record);
    } catch (error) {
      if (secretsSetId) await this.discardSecrets(id, true);
      throw error;
    }
    return record;
  }

  /**
   * The secrets of a record nobody else can know yet (its id is new), so no draft lock is needed. Undo with
   * `discardSecrets` if the record is not created after all.
   */
  private async firstSecrets(
    id: string,
    inputs: readonly SecretInput[],
  ): Promise<{ secrets: SecretInfo[]; secretsSetId?: string }> {
    if (inputs.length === 0) return { secrets: [] };
    const writes = inputs.map(({ name, value }): SecretWrite => ({ name, value: value ?? '' }));
    const secretsSetId = await this.ports.secrets.writeSet(id, undefined, writes, []);
    const now = this.timestamp();
    return {
      secrets: sortByName(inputs.map(({ name }) => ({ name, updated_at: now }))),
      ...(secretsSetId ? { secretsSetId } : {}),
    };
  }

  /** Applies one change to the draft under its lock; `ifMatch` is the revision the caller last read. */
  public async changeDraft(id: string, change: DraftChange<S>, ifMatch?: string): Promise<R> {
    let previousSetId: string | undefined;
    const saved = await this.withDraftLock(id, async (record, leaseId) => {
      this.checkRevision(record, ifMatch);
      previousSetId = record.secretsSetId;
      const now = this.timestamp();
      const secrets = change.secrets
        ? await this.nextSecrets(record, change.secrets, now)
        : { secrets: record.secrets, secretsSetId: record.secretsSetId };
      const code = change.code ?? record.code;
      const dependencies = change.dependencies ?? record.dependencies;
      const spec = change.spec ?? record.spec;
      return this.ports.store.saveDraft(id, leaseId, {
        code,
        dependencies,
        secrets: secrets.secrets,
        ...(secrets.secretsSetId ? { secretsSetId: secrets.secretsSetId } : {}),
        ...(spec === undefined ? {} : { spec }),
        draftFingerprint: this.kind.fingerprint({
          code,
          dependencies,
          secretsSetId: secrets.secretsSetId,
          spec,
        }),
        updatedAt: now,
      });
    });
    if (previousSetId && previousSetId !== saved.secretsSetId) await this.pruneSecrets(id);
    return saved;
  }

  /**
   * Builds the draft and records it as the next version. Holds the draft lock meanwhile, so a save waits for
   * the build instead of voiding it; the version is written only if the draft is still the one built.
   */
  public async createVersion(
    id: string,
    makeVersion: MakeVersion<S, R, V>,
    ifMatch?: string,
  ): Promise<VersionOutcome<V>> {
    const started = performance.now();
    return this.withDraftLock(
      id,
      async (record, leaseId) => {
        this.checkRevision(record, ifMatch);
        this.checkPublishable(record);
        const buildStarted = performance.now();
        const version = await makeVersion(record, {
          id: randomUUID(),
          ownerId: id,
          versionNumber: record.versionCount + 1,
          code: record.code,
          dependencies: record.dependencies,
          secrets: record.secrets,
          ...(record.secretsSetId ? { secretsSetId: record.secretsSetId } : {}),
          ...(record.spec === undefined ? {} : { spec: record.spec }),
          fingerprint: record.draftFingerprint,
          createdAt: this.timestamp(),
        });
        const buildMs = performance.now() - buildStarted;
        try {
          await this.ports.store.createVersion(version, {
            draftRevision: record.draftRevision,
            versionCount: record.versionCount,
            leaseId,
          });
        } catch (error) {
          if (!(error instanceof VersionConflictError)) throw error;
          throw await this.explainVersionConflict(record);
        }
        return { version, latencyMs: performance.now() - started, buildMs };
      },
      this.publishLeaseMs,
    );
  }

  /** Copies a version's code, dependencies, secret values and spec into the draft. */
  public async restoreDraft(
    id: string,
    versionId: string,
    ifMatch?: string,
  ): Promise<{ record: R; version: V }> {
    await this.require(id);
    const version = await this.getVersion(id, versionId);
    let previousSetId: string | undefined;
    const saved = await this.withDraftLock(id, async (record, leaseId) => {
      this.checkRevision(record, ifMatch);
      previousSetId = record.secretsSetId;
      if (record.draftFingerprint === version.fingerprint) {
        throw new RollbackNotNeededError(version.versionNumber);
      }
      return this.ports.store.saveDraft(id, leaseId, {
        code: version.code,
        dependencies: version.dependencies,
        secrets: version.secrets,
        ...(version.secretsSetId ? { secretsSetId: version.secretsSetId } : {}),
        ...(version.spec === undefined ? {} : { spec: version.spec }),
        draftFingerprint: version.fingerprint,
        updatedAt: this.timestamp(),
      });
    });
    if (previousSetId && previousSetId !== saved.secretsSetId) await this.pruneSecrets(id);
    return { record: saved, version };
  }

  public async getVersion(id: string, versionId: string): Promise<V> {
    const version = await this.ports.store.getVersion(id, versionId);
    if (!version) throw this.kind.versionNotFound(id, versionId);
    return version;
  }

  public async listVersions(id: string, window: Window): Promise<{ items: readonly V[]; total: number }> {
    const record = await this.require(id);
    const items = await this.ports.store.listVersions(id, record.versionCount, window);
    return { items, total: record.versionCount };
  }

  /** The latest version, when there is one. */
  public async latest(record: R): Promise<V | undefined> {
    if (!record.latestVersionId) return undefined;
    return this.ports.store.getVersion(record.id, record.latestVersionId);
  }

  /** Deletes the secret of a record that was not created after all, or was deleted. */
  public async discardSecrets(id: string, force: boolean): Promise<void> {
    await this.ports.secrets.deleteAll(id, force).catch((error: unknown) => {
      this.ports.logger.error(`Could not delete the secret of ${this.kind.noun} ${id}; delete it by hand`, {
        id,
        error: errorName(error),
      });
    });
  }

  /** `If-Match: "<revision>"` (or `*`), as the record's `ETag` gives it. */
  private checkRevision(record: R, ifMatch: string | undefined): void {
    if (ifMatch === undefined) return;
    const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
    if (tags.includes('*') || tags.includes(`"${record.draftRevision}"`)) return;
    throw new RevisionMismatchError(this.kind.noun, ifMatch.slice(0, 40), record.draftRevision);
  }

  private checkPublishable(record: R): void {
    if (record.latestFingerprint !== undefined && record.latestFingerprint === record.draftFingerprint) {
      throw new NothingToPublishError(record.versionCount);
    }
    if (record.versionCount >= this.kind.maxVersions) throw this.kind.tooManyVersions(record);
  }

  /** The draft's secrets after a change that lists them all: new values, kept values, and removals. */
  private async nextSecrets(
    record: R,
    inputs: readonly SecretInput[],
    now: string,
  ): Promise<{ secrets: SecretInfo[]; secretsSetId: string | undefined }> {
    const existing = new Map(record.secrets.map((secret) => [secret.name, secret]));
    for (const input of inputs) {
      if (input.value === undefined && !existing.has(input.name)) {
        throw new InvalidRequestError(
          `The secret ${input.name} has no value yet; give one to create it.`,
          'secret_value_required',
        );
      }
    }
    if (inputs.length > this.kind.maxSecrets) {
      throw new LimitExceededError(
        400,
        'too_many_secrets',
        `${inputs.length} secrets were given; an ${this.kind.noun} has at most ${this.kind.maxSecrets} secrets.`,
      );
    }
    const unchanged =
      inputs.length === record.secrets.length && inputs.every((input) => input.value === undefined);
    if (unchanged) return { secrets: [...record.secrets], secretsSetId: record.secretsSetId };

    const writes = inputs.map(
      (input): SecretWrite =>
        input.value === undefined
          ? { name: input.name, keep: true }
          : { name: input.name, value: input.value },
    );
    const secretsSetId = await this.ports.secrets.writeSet(
      record.id,
      record.secretsSetId,
      writes,
      record.versionSecretSets,
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
   * Runs a draft change under the draft lock, waiting a while for another change to finish. The change's
   * own write releases the lock; when the change fails, the lock is released here.
   */
  private async withDraftLock<T>(
    id: string,
    change: (record: R, leaseId: string) => Promise<T>,
    leaseMs: number = this.leaseMs,
  ): Promise<T> {
    const leaseId = randomUUID();
    const deadline = this.now().getTime() + this.leaseWaitMs;
    let record: R | undefined;
    for (let attempt = 1; !record; attempt++) {
      const nowMs = this.now().getTime();
      const result = await this.ports.store.acquireLease(id, leaseId, nowMs, nowMs + leaseMs);
      if (result.acquired) record = result.record;
      else if ('missing' in result) throw this.kind.notFound(id);
      else if (nowMs >= deadline) throw this.kind.busy(id);
      // Polling a held lock costs a write each time: back off, with jitter, up to a second.
      else
        await this.sleep(Math.min(deadline - nowMs, 20 + Math.random() * Math.min(1000, 40 * 2 ** attempt)));
    }
    let saved = false;
    try {
      const result = await change(record, leaseId);
      saved = true;
      return result;
    } catch (error) {
      // The lock expired mid-change and another request took it: ours was not written.
      if (error instanceof LeaseLostError) throw this.kind.busy(id);
      throw error;
    } finally {
      if (!saved) {
        await this.ports.store.releaseLease(id, leaseId).catch((error: unknown) => {
          this.ports.logger.warn('Could not release a draft lock; it expires by itself', {
            id,
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
        const { secretsSetId, versionSecretSets } = lease.record;
        await this.ports.secrets.prune(id, [...(secretsSetId ? [secretsSetId] : []), ...versionSecretSets]);
      } finally {
        await this.ports.store.releaseLease(id, leaseId);
      }
    } catch (error) {
      this.ports.logger.warn('Could not drop unused secret values yet; the next secret change will', {
        id,
        error: errorName(error),
      });
    }
  }

  private async explainVersionConflict(before: R): Promise<RegistryError> {
    const now = await this.require(before.id);
    if (now.draftRevision !== before.draftRevision) {
      return new DraftChangedError(
        'The draft changed while it was being built, so no version was created; try again to build the new draft.',
      );
    }
    try {
      this.checkPublishable(now);
    } catch (error) {
      if (error instanceof RegistryError) return error;
      throw error;
    }
    return new DraftChangedError(
      `The ${this.kind.noun} changed while its version was being built, so no version was created; try again.`,
    );
  }
}

export function sortByName<T extends { readonly name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Only the class name of an error from a secret operation: SDK messages are not ours to vouch for. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}
