/**
 * The registry's records, as the store keeps them. Field names in responses follow Auth0's Management API
 * (see `present.ts`); these records add what the registry needs on top: revisions, fingerprints, the secret
 * set a draft or version points at, and the built artifact.
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

/** Where a version's build lives: one content-addressed CommonJS file. */
export interface ArtifactRef {
  readonly bucket: string;
  readonly key: string;
  /** Hex SHA-256 of the artifact bytes; the key is derived from it. */
  readonly sha256: string;
  readonly bytes: number;
}

export interface ModuleRecord {
  readonly id: string;
  readonly name: string;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  readonly secrets: readonly SecretInfo[];
  /**
   * The immutable set of secret values the draft uses, inside the module's own Secrets Manager secret.
   * Absent when the draft has no secrets.
   */
  readonly secretsSetId?: string;
  /** Goes up by one on every draft change; the `ETag` of the module. */
  readonly draftRevision: number;
  /** Digest of code, dependencies and the secret set id: equal fingerprints mean equal drafts. */
  readonly draftFingerprint: string;
  /** How many versions were ever published; the next version number is this plus one. */
  readonly versionCount: number;
  readonly latestVersionId?: string;
  readonly latestFingerprint?: string;
  /** Secret sets that published versions point at; they outlive any draft change. */
  readonly versionSecretSets: readonly string[];
  readonly actionsUsingModuleTotal: number;
  readonly apiVersion?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A published version: written once, never changed. */
export interface VersionRecord {
  readonly id: string;
  readonly moduleId: string;
  readonly versionNumber: number;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  readonly secrets: readonly SecretInfo[];
  readonly secretsSetId?: string;
  readonly fingerprint: string;
  readonly artifact: ArtifactRef;
  readonly createdAt: string;
}

/** The draft fields one change writes; the store bumps the revision. */
export interface DraftState {
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  readonly secrets: readonly SecretInfo[];
  readonly secretsSetId?: string;
  readonly draftFingerprint: string;
  readonly updatedAt: string;
}

/** An action (version) that requires a module version. Written by the actions feature. */
export interface ModuleUsage {
  readonly moduleId: string;
  readonly actionId: string;
  readonly actionName: string;
  readonly moduleVersionId: string;
  readonly moduleVersionNumber: number;
  /** As Auth0 returns them: `[{id: 'post-login', version: 'v3'}]`. */
  readonly supportedTriggers: readonly Record<string, unknown>[];
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
