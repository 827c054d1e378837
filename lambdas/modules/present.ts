/** Records as Auth0's Management API shows them: the same field names, nothing more. */
import type { Dependency, ModuleRecord, ModuleUsage, SecretInfo, VersionRecord } from './model';

export interface ActionModuleDependency {
  readonly name: string;
  readonly version: string;
}

export interface ActionModuleSecret {
  readonly name: string;
  readonly updated_at: string;
}

export interface ActionModuleListItem {
  readonly id: string;
  readonly name: string;
  readonly code: string;
  readonly dependencies: ActionModuleDependency[];
  readonly secrets: ActionModuleSecret[];
  readonly actions_using_module_total: number;
  readonly all_changes_published: boolean;
  readonly latest_version_number?: number;
  readonly created_at: string;
  readonly updated_at: string;
}

export interface ActionModuleVersionReference {
  readonly id: string;
  readonly version_number: number;
  readonly code: string;
  readonly dependencies: ActionModuleDependency[];
  readonly secrets: ActionModuleSecret[];
  readonly created_at: string;
}

export interface ActionModule extends ActionModuleListItem {
  readonly latest_version?: ActionModuleVersionReference;
}

export interface ActionModuleVersion {
  readonly id: string;
  readonly module_id: string;
  readonly version_number: number;
  readonly code: string;
  readonly secrets: ActionModuleSecret[];
  readonly dependencies: ActionModuleDependency[];
  readonly created_at: string;
}

export interface ActionModuleAction {
  readonly action_id: string;
  readonly action_name: string;
  readonly module_version_id: string;
  readonly module_version_number: number;
  readonly supported_triggers: Record<string, unknown>[];
}

export function presentModuleListItem(module: ModuleRecord): ActionModuleListItem {
  return {
    id: module.id,
    name: module.name,
    code: module.code,
    dependencies: dependencies(module.dependencies),
    secrets: secrets(module.secrets),
    actions_using_module_total: module.actionsUsingModuleTotal,
    all_changes_published: module.latestFingerprint === module.draftFingerprint,
    ...(module.versionCount > 0 ? { latest_version_number: module.versionCount } : {}),
    created_at: module.createdAt,
    updated_at: module.updatedAt,
  };
}

export function presentModule(module: ModuleRecord, latest?: VersionRecord): ActionModule {
  return {
    ...presentModuleListItem(module),
    ...(latest
      ? {
          latest_version: {
            id: latest.id,
            version_number: latest.versionNumber,
            code: latest.code,
            dependencies: dependencies(latest.dependencies),
            secrets: secrets(latest.secrets),
            created_at: latest.createdAt,
          },
        }
      : {}),
  };
}

export function presentVersion(version: VersionRecord): ActionModuleVersion {
  return {
    id: version.id,
    module_id: version.moduleId,
    version_number: version.versionNumber,
    code: version.code,
    secrets: secrets(version.secrets),
    dependencies: dependencies(version.dependencies),
    created_at: version.createdAt,
  };
}

export function presentUsage(usage: ModuleUsage): ActionModuleAction {
  return {
    action_id: usage.actionId,
    action_name: usage.actionName,
    module_version_id: usage.moduleVersionId,
    module_version_number: usage.moduleVersionNumber,
    supported_triggers: usage.supportedTriggers.map((trigger) => ({ ...trigger })),
  };
}

function dependencies(list: readonly Dependency[]): ActionModuleDependency[] {
  return list.map(({ name, version }) => ({ name, version }));
}

/** Names and times only: a record cannot carry a value here, and this copy makes sure none slips through. */
function secrets(list: readonly SecretInfo[]): ActionModuleSecret[] {
  return list.map(({ name, updated_at }) => ({ name, updated_at }));
}
