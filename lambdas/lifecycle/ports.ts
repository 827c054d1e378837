/**
 * What the lifecycle core needs from the outside world, whatever it keeps (modules or actions). The AWS
 * adapters and the test fakes implement these; each kind adds its own on top.
 */
import type { DraftState, EntityRecord, EntityVersion, Window } from './model';
import type { SecretWrite } from './secret-sets';

export type LeaseResult<R> =
  | { readonly acquired: true; readonly record: R }
  | { readonly acquired: false; readonly heldUntil: number }
  | { readonly acquired: false; readonly missing: true };

export interface VersionExpectation {
  readonly draftRevision: number;
  readonly versionCount: number;
  readonly leaseId?: string;
}

/** Drafts and versions of one kind, with the conditional writes that keep them consistent. */
export interface EntityStore<S, R extends EntityRecord<S>, V extends EntityVersion<S>> {
  get(id: string): Promise<R | undefined>;
  /** Takes the draft lock until `untilMs`, unless someone else holds an unexpired one. */
  acquireLease(id: string, leaseId: string, nowMs: number, untilMs: number): Promise<LeaseResult<R>>;
  /**
   * Writes the draft, bumps its revision and releases the lock, only while `leaseId` still holds it
   * (throws `LeaseLostError` otherwise).
   */
  saveDraft(id: string, leaseId: string, draft: DraftState<S>): Promise<R>;
  releaseLease(id: string, leaseId: string): Promise<void>;
  /**
   * Writes a version and advances the counter in one transaction, only while the record is at
   * `expected.draftRevision` and `expected.versionCount` (and, with `leaseId`, while that lease holds the
   * draft lock, which the write then releases). Throws `VersionConflictError` otherwise.
   */
  createVersion(version: V, expected: VersionExpectation): Promise<void>;
  getVersion(ownerId: string, versionId: string): Promise<V | undefined>;
  /** Newest first. */
  listVersions(ownerId: string, versionCount: number, window: Window): Promise<readonly V[]>;
}

/**
 * The secret values of one owner, in one Secrets Manager secret, grouped in immutable sets: a draft points
 * at one, each version at the one it was made with.
 */
export interface SecretSetStore {
  /**
   * Writes a new immutable set and returns its id (undefined when `entries` is empty). Sets other than the
   * new one, the base one and `retain` are dropped. Throws `SecretsTooLargeError` past Secrets Manager's size.
   * The caller holds the owner's draft lock.
   */
  writeSet(
    ownerId: string,
    baseSetId: string | undefined,
    entries: readonly SecretWrite[],
    retain: readonly string[],
  ): Promise<string | undefined>;
  /** Drops every set but `keep`. The caller holds the draft lock. Does nothing when there is no secret. */
  prune(ownerId: string, keep: readonly string[]): Promise<void>;
  /** The values of one set, by name: for running code, never for the management API. */
  readSet(ownerId: string, setId: string): Promise<Record<string, string>>;
  /** Deletes the owner's secret; `force` skips Secrets Manager's recovery window. */
  deleteAll(ownerId: string, force: boolean): Promise<void>;
}

/** Resolves a name and a version, range or dist-tag to one exact published version. */
export interface DependencyResolver {
  /** Throws `DependencyNotFoundError`, `DependencyVersionNotFoundError` or `RegistryUnavailableError`. */
  resolve(name: string, spec: string): Promise<string>;
}

/** The subset of a structured logger the core uses (Powertools Logger fits). */
export interface LogPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}
