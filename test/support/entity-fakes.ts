/**
 * An in-memory lifecycle store with the same rules as `DynamoDbEntityStore`: a draft lock that expires,
 * draft writes only under the lock, and versions written only from the revision and count that were read.
 * The modules' and actions' fakes extend it with what their kinds keep besides.
 */
import { LeaseLostError, type RegistryError, VersionConflictError } from '../../lambdas/lifecycle/errors';
import type { DraftState, EntityRecord, EntityVersion, Window } from '../../lambdas/lifecycle/model';
import type { EntityStore, LeaseResult, VersionExpectation } from '../../lambdas/lifecycle/ports';

export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Stored<R> {
  record: R;
  lockId?: string;
  lockUntil?: number;
}

export class InMemoryEntityStore<S, R extends EntityRecord<S>, V extends EntityVersion<S>>
  implements EntityStore<S, R, V>
{
  public readonly records = new Map<string, Stored<R>>();
  public readonly versions = new Map<string, V[]>();

  public constructor(private readonly notFound: (id: string) => RegistryError) {}

  public async get(id: string): Promise<R | undefined> {
    await tick();
    return this.records.get(id)?.record;
  }

  public all(): R[] {
    return [...this.records.values()].map(({ record }) => record).sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  public async acquireLease(
    id: string,
    leaseId: string,
    nowMs: number,
    untilMs: number,
  ): Promise<LeaseResult<R>> {
    await tick();
    const stored = this.records.get(id);
    if (!stored) return { acquired: false, missing: true };
    if (stored.lockId && (stored.lockUntil ?? 0) >= nowMs) {
      return { acquired: false, heldUntil: stored.lockUntil ?? 0 };
    }
    stored.lockId = leaseId;
    stored.lockUntil = untilMs;
    return { acquired: true, record: stored.record };
  }

  public async saveDraft(id: string, leaseId: string, draft: DraftState<S>): Promise<R> {
    await tick();
    const stored = this.records.get(id);
    if (!stored) throw this.notFound(id);
    if (stored.lockId !== leaseId) throw new LeaseLostError(id);
    const { secretsSetId: _set, spec: _spec, ...rest } = stored.record;
    stored.record = {
      ...rest,
      code: draft.code,
      dependencies: draft.dependencies,
      secrets: draft.secrets,
      ...(draft.secretsSetId ? { secretsSetId: draft.secretsSetId } : {}),
      ...(draft.spec === undefined ? {} : { spec: draft.spec }),
      draftFingerprint: draft.draftFingerprint,
      updatedAt: draft.updatedAt,
      draftRevision: stored.record.draftRevision + 1,
    } as R;
    delete stored.lockId;
    delete stored.lockUntil;
    return stored.record;
  }

  public async releaseLease(id: string, leaseId: string): Promise<void> {
    await tick();
    const stored = this.records.get(id);
    if (stored?.lockId === leaseId) {
      delete stored.lockId;
      delete stored.lockUntil;
    }
  }

  public async createVersion(version: V, expected: VersionExpectation): Promise<void> {
    await tick();
    const stored = this.records.get(version.ownerId);
    if (
      !stored ||
      stored.record.draftRevision !== expected.draftRevision ||
      stored.record.versionCount !== expected.versionCount ||
      (expected.leaseId !== undefined && stored.lockId !== expected.leaseId)
    ) {
      throw new VersionConflictError(version.ownerId);
    }
    if (expected.leaseId !== undefined) {
      delete stored.lockId;
      delete stored.lockUntil;
    }
    const sets = new Set(stored.record.versionSecretSets);
    if (version.secretsSetId) sets.add(version.secretsSetId);
    stored.record = {
      ...stored.record,
      versionCount: version.versionNumber,
      latestVersionId: version.id,
      latestFingerprint: version.fingerprint,
      versionSecretSets: [...sets],
    };
    this.versions.set(version.ownerId, [...(this.versions.get(version.ownerId) ?? []), version]);
  }

  public async getVersion(ownerId: string, versionId: string): Promise<V | undefined> {
    await tick();
    return this.versions.get(ownerId)?.find(({ id }) => id === versionId);
  }

  public async listVersions(ownerId: string, _count: number, window: Window): Promise<V[]> {
    await tick();
    const all = [...(this.versions.get(ownerId) ?? [])].reverse();
    return all.slice(window.offset, window.offset + window.limit);
  }

  /** Changes a stored record outside the lifecycle (counters a kind keeps). */
  protected update(id: string, change: (record: R) => R): void {
    const stored = this.records.get(id);
    if (stored) stored.record = change(stored.record);
  }
}
