/** Actions, versions, bindings and executions as Auth0's Management API shows them. */
import type {
  ActionRecord,
  ActionVersionRecord,
  BindingRecord,
  Dependency,
  ExecutionRecord,
  ModulePin,
  SecretInfo,
} from './model';

export function presentAction(action: ActionRecord, deployed?: ActionVersionRecord) {
  return {
    id: action.id,
    name: action.name,
    supported_triggers: (action.spec?.supportedTriggers ?? []).map(({ id, version }) => ({ id, version })),
    all_changes_deployed:
      action.deployedVersionId !== undefined &&
      action.deployedVersionId === action.latestVersionId &&
      action.latestFingerprint === action.draftFingerprint,
    code: action.code,
    dependencies: dependencies(action.dependencies),
    runtime: action.spec?.runtime ?? 'node22',
    secrets: secrets(action.secrets),
    modules: modules(action.spec?.modules ?? []),
    ...(deployed ? { deployed_version: presentVersion(deployed, action) } : {}),
    status: 'built',
    created_at: action.createdAt,
    updated_at: action.updatedAt,
  };
}

export function presentVersion(version: ActionVersionRecord, action: ActionRecord) {
  return {
    id: version.id,
    action_id: version.actionId,
    number: version.versionNumber,
    code: version.code,
    dependencies: dependencies(version.dependencies),
    secrets: secrets(version.secrets),
    runtime: version.spec?.runtime ?? 'node22',
    supported_triggers: (version.spec?.supportedTriggers ?? []).map(({ id, version: v }) => ({
      id,
      version: v,
    })),
    modules: modules(version.spec?.modules ?? []),
    deployed: action.deployedVersionId === version.id,
    status: 'built',
    built_at: version.createdAt,
    created_at: version.createdAt,
    updated_at: version.createdAt,
  };
}

export function presentBinding(binding: BindingRecord, action?: ActionRecord) {
  return {
    id: binding.id,
    trigger_id: binding.triggerId,
    display_name: binding.displayName,
    action: action ? presentAction(action) : { id: binding.actionId, name: binding.actionName },
    ...(binding.match ? { match: { ...binding.match } } : {}),
    created_at: binding.createdAt,
    updated_at: binding.updatedAt,
  };
}

/**
 * Auth0's execution, plus what this project records besides: version, event, duration, console output, and
 * the `api` calls recorded but not applied (`recorded`, `recorded_omitted`).
 */
export function presentExecution(execution: ExecutionRecord) {
  return {
    id: execution.id,
    trigger_id: execution.triggerId,
    status:
      execution.status === 'succeeded' ? 'final' : execution.status === 'timed_out' ? 'canceled' : 'final',
    results: [
      {
        action_name: execution.actionName,
        ...(execution.error ? { error: { id: execution.error.name, msg: execution.error.message } } : {}),
        started_at: execution.startedAt,
        ended_at: execution.endedAt,
      },
    ],
    outcome: execution.status,
    action_id: execution.actionId,
    action_version_id: execution.actionVersionId,
    action_version_number: execution.actionVersionNumber,
    event_id: execution.eventId,
    duration_ms: execution.durationMs,
    logs: [...execution.logs],
    ...(execution.emitted ? { emitted: execution.emitted } : {}),
    ...(execution.recorded?.length
      ? { recorded: execution.recorded.map(({ method, args }) => ({ method, args: [...args] })) }
      : {}),
    ...(execution.recordedOmitted ? { recorded_omitted: execution.recordedOmitted } : {}),
    created_at: execution.startedAt,
    updated_at: execution.endedAt,
  };
}

function dependencies(list: readonly Dependency[]) {
  return list.map(({ name, version }) => ({ name, version }));
}

/** Names and times only: a record cannot carry a value here, and this copy makes sure none slips through. */
function secrets(list: readonly SecretInfo[]) {
  return list.map(({ name, updated_at }) => ({ name, updated_at }));
}

function modules(list: readonly ModulePin[]) {
  return list.map((pin) => ({
    module_id: pin.moduleId,
    module_name: pin.moduleName,
    module_version_id: pin.moduleVersionId,
    module_version_number: pin.moduleVersionNumber,
  }));
}
