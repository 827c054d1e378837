/**
 * The registry's records, as the store keeps them. Field names in responses follow Auth0's Management API
 * (see `present.ts`); these records add what the registry needs on top: revisions, fingerprints, the secret
 * set a draft or version points at, and the built artifact.
 */

import type { EntityRecord, EntityVersion } from '../lifecycle/model';

export type { ArtifactRef, Dependency, DraftState, Page, SecretInfo, Window } from '../lifecycle/model';

/** A module: the lifecycle's record, plus how many actions use it. Modules add nothing to the draft. */
export interface ModuleRecord extends EntityRecord {
  readonly actionsUsingModuleTotal: number;
  readonly apiVersion?: string;
}

/** A published version: written once, never changed. `moduleId` is its owner's id. */
export interface VersionRecord extends EntityVersion {
  readonly moduleId: string;
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
