/**
 * Actions as the registry keeps them. An action is a lifecycle record (`lambdas/lifecycle/model.ts`: code,
 * pinned npm dependencies, write-only secrets, immutable versions) whose spec adds the triggers it supports
 * and the module versions it pins. Field names in responses follow Auth0's Management API (`present.ts`).
 */

import type { ArtifactRef, EntityRecord, EntityVersion } from '../lifecycle/model';
import type { TriggerId } from './bindings/triggers';
import type { RecordedCall } from './runtime/recorded-api';

export type { ArtifactRef, Dependency, Page, SecretInfo, Window } from '../lifecycle/model';

/** A trigger an action is written for, as Auth0 gives it: `{id: 'auth0-log', version: 'v1'}`. */
export interface TriggerRef {
  readonly id: TriggerId;
  readonly version: string;
}

/** One module version an action pins: `require('actions:<moduleName>')` resolves to exactly this version. */
export interface ModulePin {
  readonly moduleId: string;
  readonly moduleName: string;
  readonly moduleVersionId: string;
  readonly moduleVersionNumber: number;
}

/** What an action adds to the lifecycle's draft and versions. */
export interface ActionSpec {
  readonly supportedTriggers: readonly TriggerRef[];
  readonly modules: readonly ModulePin[];
  /** Auth0's runtime name; this project runs everything on Node.js 22. */
  readonly runtime: 'node22';
}

export interface ActionRecord extends EntityRecord<ActionSpec> {
  /** The version that runs, once one was deployed. */
  readonly deployedVersionId?: string;
  readonly deployedVersionNumber?: number;
}

/**
 * A version: what was built at deploy, as one bundle (`artifact`) holding the action and the artifacts of
 * the module versions it pins. Its `secretsSetId` is the action's secret set at that time.
 */
export interface ActionVersionRecord extends EntityVersion<ActionSpec> {
  readonly actionId: string;
  /** The module versions' secret sets, by module: what `actions.secrets` holds inside each module. */
  readonly moduleSecretSets: readonly ModuleSecretSet[];
}

export interface ModuleSecretSet {
  readonly moduleId: string;
  readonly moduleName: string;
  /** Absent when that module version has no secrets. */
  readonly setId?: string;
}

/** One entry of a trigger's bindings, in run order. */
export interface BindingRecord {
  readonly id: string;
  readonly triggerId: TriggerId;
  readonly actionId: string;
  readonly actionName: string;
  readonly displayName: string;
  /** For `auth0-log`: which log types reach the action; all when absent. */
  readonly match?: { readonly codes?: readonly string[]; readonly categories?: readonly string[] };
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ExecutionStatus = 'succeeded' | 'failed' | 'timed_out';

/** One run of one action version on one event. Never holds a secret value. */
export interface ExecutionRecord {
  readonly id: string;
  readonly actionId: string;
  readonly actionName: string;
  readonly actionVersionId: string;
  readonly actionVersionNumber: number;
  readonly triggerId: TriggerId;
  /** The EventBridge event id: an action version runs once per event. */
  readonly eventId: string;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly endedAt: string;
  readonly durationMs: number;
  /** Console output, bounded, with secret values redacted. */
  readonly logs: readonly string[];
  readonly error?: { readonly name: string; readonly message: string };
  /** Derived events the action published with `api.emit`. */
  readonly emitted?: number;
  /**
   * The `api` calls that would have changed Auth0's transaction (`api.access.deny`…), in order: recorded, not
   * applied, since the action ran after the fact. Arguments are JSON, with secret values redacted.
   */
  readonly recorded?: readonly RecordedCall[];
  /** Calls made past the recording limits, so not in `recorded`. */
  readonly recordedOmitted?: number;
}

/**
 * Everything a runner needs to run one deployed version, and nothing secret: the secrets are read by the
 * runner, from the sets named here, with its own (least-privilege) credentials.
 */
export interface ActionDeployment {
  readonly actionId: string;
  readonly actionName: string;
  readonly versionId: string;
  readonly versionNumber: number;
  readonly bundle: ArtifactRef;
  readonly triggers: readonly TriggerRef[];
  /** The action's own secret set for this version; absent when it has no secrets. */
  readonly secretsSetId?: string;
  readonly moduleSecretSets: readonly ModuleSecretSet[];
  readonly timeoutMs: number;
}
