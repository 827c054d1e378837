/**
 * What modules and actions share: a draft (code, pinned npm dependencies, write-only secrets) saved under a
 * lock, and immutable numbered versions built from it. `S` is what a kind adds to its draft and versions
 * (an action's triggers and pinned modules); the lifecycle keeps it without looking inside.
 */

/** An npm dependency. In a saved draft or a version, `version` is always an exact version. */
export interface Dependency {
  readonly name: string;
  readonly version: string;
}

/** What anyone may know about a secret: its name and when its value was last set. Never the value. */
export interface SecretInfo {
  readonly name: string;
  readonly updated_at: string;
}

/** Where a version's build lives: one content-addressed file. */
export interface ArtifactRef {
  readonly bucket: string;
  readonly key: string;
  /** Hex SHA-256 of the artifact bytes; the key is derived from it. */
  readonly sha256: string;
  readonly bytes: number;
}

/** The draft fields one change writes; the store bumps the revision. */
export interface DraftState<S = undefined> {
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  readonly secrets: readonly SecretInfo[];
  /** The immutable set of secret values the draft uses; absent when it has no secrets. */
  readonly secretsSetId?: string;
  readonly spec?: S;
  readonly draftFingerprint: string;
  readonly updatedAt: string;
}

/** A module or an action with its draft, its counters and the secret sets its versions keep. */
export interface EntityRecord<S = undefined> {
  readonly id: string;
  readonly name: string;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  readonly secrets: readonly SecretInfo[];
  readonly secretsSetId?: string;
  readonly spec?: S;
  /** Goes up by one on every draft change; the `ETag`. */
  readonly draftRevision: number;
  /** Digest of everything a version is built from: equal fingerprints mean equal drafts. */
  readonly draftFingerprint: string;
  /** How many versions were ever created; the next version number is this plus one. */
  readonly versionCount: number;
  readonly latestVersionId?: string;
  readonly latestFingerprint?: string;
  /** Secret sets that versions point at; they outlive any draft change. */
  readonly versionSecretSets: readonly string[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A version: written once, never changed. */
export interface EntityVersion<S = undefined> {
  readonly id: string;
  /** The module or action it belongs to. */
  readonly ownerId: string;
  readonly versionNumber: number;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  readonly secrets: readonly SecretInfo[];
  readonly secretsSetId?: string;
  readonly spec?: S;
  readonly fingerprint: string;
  readonly artifact: ArtifactRef;
  readonly createdAt: string;
}

/** A page of a list: `offset` items skipped, at most `limit` returned. */
export interface Window {
  readonly offset: number;
  readonly limit: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number;
}
