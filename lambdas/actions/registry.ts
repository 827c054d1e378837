/**
 * The actions registry: Auth0's rules for actions on top of the lifecycle modules and actions share
 * (`lambdas/lifecycle/lifecycle.ts`). What is the actions' own: supported triggers and pinned module
 * versions in the draft, deploy (build one bundle with the pinned module artifacts, make it the live
 * version, record which module versions it uses), bindings and the EventBridge rules they become, and
 * executions. No I/O of its own.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  InvalidRequestError,
  LimitExceededError,
  RegistryError,
  RollbackNotNeededError,
} from '../lifecycle/errors';
import { type EntityKind, Lifecycle, type LifecycleOptions } from '../lifecycle/lifecycle';
import { uuidV7 } from '../modules/ids';
import type { ModuleRecord, VersionRecord as ModuleVersionRecord } from '../modules/model';
import { sleep as realSleep } from '../shared/concurrency';
import { type Binding, desiredRules } from './bindings/rules';
import { getTrigger, TRIGGERS, type TriggerId } from './bindings/triggers';
import {
  ACTION_NOUN,
  ActionBoundError,
  ActionBusyError,
  ActionNotDeployedError,
  ActionNotFoundError,
  ActionVersionNotFoundError,
  ExecutionNotFoundError,
} from './errors';
import { type ActionLimits, AUTH0_ACTION_LIMITS, DEFAULT_EXECUTIONS_PER_PAGE } from './limits';
import type {
  ActionDeployment,
  ActionRecord,
  ActionSpec,
  ActionVersionRecord,
  BindingRecord,
  ExecutionRecord,
  ModulePin,
  ModuleSecretSet,
  Page,
  Window,
} from './model';
import type { ActionRegistryPorts } from './ports';
import { assembleActionBundle } from './runtime/bundle';
import type { BindingInput, CreateActionInput, ModulePinInput, UpdateActionInput } from './validate';

export interface ActionRegistryOptions extends LifecycleOptions {
  readonly limits?: Partial<ActionLimits>;
  /** The `source` of the events binding rules match (the ingest's `EVENT_SOURCE`). */
  readonly eventSource: string;
  /** Binding rules' names start with this; the registry touches no other rule. */
  readonly rulePrefix: string;
}

export interface ActionView {
  readonly action: ActionRecord;
  readonly deployed?: ActionVersionRecord;
}

export interface Paging {
  readonly page: number;
  readonly perPage: number;
}

/** How the lifecycle names actions and counts their limits. */
export function actionKind(limits: ActionLimits): EntityKind<ActionSpec, ActionRecord> {
  return {
    noun: ACTION_NOUN,
    maxVersions: limits.maxVersionsPerAction,
    maxSecrets: limits.maxSecretsPerAction,
    fingerprint: ({ code, dependencies, secretsSetId, spec }) =>
      actionFingerprint(code, dependencies, secretsSetId, spec),
    notFound: (id) => new ActionNotFoundError(id),
    busy: (id) => new ActionBusyError(id),
    versionNotFound: (id, versionId) => new ActionVersionNotFoundError(id, versionId),
    tooManyVersions: (action) =>
      new LimitExceededError(
        412,
        'too_many_versions',
        `Action ${JSON.stringify(action.name)} already has ${action.versionCount} versions, the most allowed (limit: ${limits.maxVersionsPerAction} versions per action).`,
      ),
  };
}

/**
 * Equal fingerprints mean equal drafts. The secret set id stands for the secret values (sets are immutable),
 * and pinned modules count by version id.
 */
export function actionFingerprint(
  code: string,
  dependencies: readonly { name: string; version: string }[],
  secretsSetId: string | undefined,
  spec: ActionSpec | undefined,
): string {
  const deps = [...dependencies]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(({ name, version }) => [name, version]);
  const triggers = (spec?.supportedTriggers ?? []).map(({ id, version }) => [id, version]);
  const modules = (spec?.modules ?? []).map((pin) => pin.moduleVersionId).sort();
  return createHash('sha256')
    .update(JSON.stringify([code, deps, secretsSetId ?? null, triggers, modules]))
    .digest('hex');
}

export class ActionRegistry {
  public readonly limits: ActionLimits;
  private readonly lifecycle: Lifecycle<ActionSpec, ActionRecord, ActionVersionRecord>;
  private readonly newId: () => string;
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;

  public constructor(
    private readonly ports: ActionRegistryPorts,
    private readonly options: ActionRegistryOptions,
  ) {
    this.limits = { ...AUTH0_ACTION_LIMITS, ...options.limits };
    this.lifecycle = new Lifecycle(actionKind(this.limits), ports, options);
    this.now = ports.now ?? (() => new Date());
    this.newId = ports.newId ?? (() => uuidV7(this.now().getTime()));
    this.sleep = ports.sleep ?? realSleep;
  }

  public async listActions(paging: Paging | undefined): Promise<Page<ActionRecord> & { paging?: Paging }> {
    const window = paging ? toWindow(paging) : { offset: 0, limit: Number.MAX_SAFE_INTEGER };
    const page = await this.ports.store.listActions(window);
    return { ...page, ...(paging ? { paging } : {}) };
  }

  public async getAction(id: string): Promise<ActionView> {
    return this.view(await this.lifecycle.require(id));
  }

  public async createAction(input: CreateActionInput): Promise<ActionView> {
    const modules = await this.resolvePins(input.modules ?? []);
    const spec: ActionSpec = { supportedTriggers: input.supportedTriggers, modules, runtime: 'node22' };
    const action = await this.lifecycle.create(
      this.newId(),
      { ...input, spec },
      (base) => base,
      (record) => this.ports.store.createAction(record, this.limits.maxActions),
    );
    this.ports.logger.info('Created an action', { actionId: action.id, actionName: input.name });
    return { action };
  }

  public async updateAction(id: string, input: UpdateActionInput, ifMatch?: string): Promise<ActionView> {
    const before = await this.lifecycle.require(id);
    const dependencies = input.dependencies
      ? await this.lifecycle.resolveDependencies(input.dependencies, before.dependencies)
      : undefined;
    const modules = input.modules ? await this.resolvePins(input.modules) : undefined;
    const spec: ActionSpec | undefined =
      input.supportedTriggers || modules
        ? {
            ...(before.spec as ActionSpec),
            ...(input.supportedTriggers ? { supportedTriggers: input.supportedTriggers } : {}),
            ...(modules ? { modules } : {}),
          }
        : undefined;
    const saved = await this.lifecycle.changeDraft(
      id,
      {
        ...(input.code === undefined ? {} : { code: input.code }),
        ...(dependencies ? { dependencies } : {}),
        ...(input.secrets ? { secrets: input.secrets } : {}),
        ...(spec ? { spec } : {}),
      },
      ifMatch,
    );
    this.ports.logger.info('Saved an action draft', { actionId: id, draftRevision: saved.draftRevision });
    return this.view(saved);
  }

  /** Deletes an action. A bound action needs `force`, which removes its bindings (and their rules) first. */
  public async deleteAction(id: string, force: boolean): Promise<void> {
    const action = await this.lifecycle.require(id);
    const bound = await this.triggersBinding(id);
    if (bound.length > 0 && !force) throw new ActionBoundError(id, bound);
    for (const triggerId of bound) {
      const kept = (await this.ports.store.getBindings(triggerId)).filter(
        (binding) => binding.actionId !== id,
      );
      await this.ports.store.putBindings(triggerId, kept);
    }
    if (bound.length > 0) await this.syncRules();
    await this.ports.deployer.remove(id);
    // Usage is recorded from the deployed version's pins; removed before the action goes, so a failure fails
    // the delete, which can then be retried.
    const deployed = action.deployedVersionId
      ? await this.ports.store.getVersion(id, action.deployedVersionId)
      : undefined;
    const pinned = new Set(
      [...(deployed?.spec?.modules ?? []), ...(action.spec?.modules ?? [])].map((pin) => pin.moduleId),
    );
    for (const moduleId of pinned) await this.ports.modules.removeUsage(moduleId, id);
    await this.ports.store.deleteAction(id);
    await this.lifecycle.discardSecrets(id, false);
    this.ports.logger.info('Deleted an action', { actionId: id });
  }

  public async listVersions(
    id: string,
    paging: Paging | undefined,
  ): Promise<Page<ActionVersionRecord> & { paging: Paging }> {
    const effective = paging ?? { page: 0, perPage: 20 };
    return { ...(await this.lifecycle.listVersions(id, toWindow(effective))), paging: effective };
  }

  public async getVersion(
    id: string,
    versionId: string,
  ): Promise<{ version: ActionVersionRecord; action: ActionRecord }> {
    const action = await this.lifecycle.require(id);
    return { version: await this.lifecycle.getVersion(id, versionId), action };
  }

  /**
   * Builds the draft into a new version and makes it the live one. If the last deploy built a version but
   * failed to make it live, deploying again finishes that instead of building the same draft twice.
   */
  public async deploy(
    id: string,
    ifMatch?: string,
  ): Promise<{ version: ActionVersionRecord; action: ActionRecord }> {
    const action = await this.lifecycle.require(id);
    let version: ActionVersionRecord;
    if (
      action.latestVersionId &&
      action.latestFingerprint === action.draftFingerprint &&
      action.deployedVersionId !== action.latestVersionId
    ) {
      version = await this.lifecycle.getVersion(id, action.latestVersionId);
    } else {
      const outcome = await this.lifecycle.createVersion(
        id,
        (draft, base) => this.build(draft, base),
        ifMatch,
      );
      version = outcome.version;
      this.ports.logger.info('Built an action version', {
        actionId: id,
        versionNumber: version.versionNumber,
        bundleSha256: version.artifact.sha256,
        buildMs: Math.round(outcome.buildMs),
      });
    }
    const deployed = await this.activate(action, version);
    return { version, action: deployed };
  }

  /** Auth0's rollback: the older version's code, secrets and pins become the draft and a new live version. */
  public async deployVersion(
    id: string,
    versionId: string,
  ): Promise<{ version: ActionVersionRecord; action: ActionRecord }> {
    try {
      await this.lifecycle.restoreDraft(id, versionId);
    } catch (error) {
      if (!(error instanceof RollbackNotNeededError)) throw error;
    }
    return this.deploy(id);
  }

  public async getBindings(triggerId: string): Promise<readonly BindingRecord[]> {
    return this.ports.store.getBindings(getTrigger(triggerId).id);
  }

  /** Replaces a trigger's bindings (array order is run order) and syncs their rules. */
  public async updateBindings(
    triggerId: string,
    inputs: readonly BindingInput[],
  ): Promise<readonly BindingRecord[]> {
    const trigger = getTrigger(triggerId);
    const current = await this.ports.store.getBindings(trigger.id);
    const now = this.lifecycle.timestamp();
    const actions = (await this.ports.store.listActions({ offset: 0, limit: Number.MAX_SAFE_INTEGER })).items;
    const seen = new Set<string>();
    const bindings = inputs.map((input, index): BindingRecord => {
      const action = actions.find((candidate) =>
        input.ref.type === 'action_id'
          ? candidate.id === input.ref.value
          : candidate.name === input.ref.value,
      );
      if (!action) {
        throw new InvalidRequestError(
          `bindings[${index}]: no action has the ${input.ref.type === 'action_id' ? 'id' : 'name'} ${JSON.stringify(input.ref.value)}.`,
          'action_not_found',
        );
      }
      if (!action.spec?.supportedTriggers.some(({ id }) => id === trigger.id)) {
        throw new InvalidRequestError(
          `bindings[${index}]: action ${JSON.stringify(action.name)} does not support the trigger ${trigger.id}.`,
          'trigger_not_supported',
        );
      }
      if (!action.deployedVersionId) throw new ActionNotDeployedError(action.name);
      if (seen.has(action.id)) {
        throw new InvalidRequestError(
          `bindings[${index}]: action ${JSON.stringify(action.name)} is bound twice.`,
        );
      }
      seen.add(action.id);
      const previous = current.find((binding) => binding.actionId === action.id);
      return {
        id: previous?.id ?? randomUUID(),
        triggerId: trigger.id,
        actionId: action.id,
        actionName: action.name,
        displayName: input.displayName ?? previous?.displayName ?? action.name,
        ...(input.match ? { match: input.match } : {}),
        createdAt: previous?.createdAt ?? now,
        updatedAt: now,
      };
    });
    await this.ports.store.putBindings(trigger.id, bindings);
    await this.syncRules();
    this.ports.logger.info('Updated bindings', { triggerId: trigger.id, bindings: bindings.length });
    return bindings;
  }

  public async getExecution(id: string): Promise<ExecutionRecord> {
    const execution = await this.ports.executions.get(id);
    if (!execution) throw new ExecutionNotFoundError(id);
    return execution;
  }

  public async listExecutions(
    actionId: string,
    paging: Paging | undefined,
  ): Promise<Page<ExecutionRecord> & { paging: Paging }> {
    await this.lifecycle.require(actionId);
    const effective = paging ?? { page: 0, perPage: DEFAULT_EXECUTIONS_PER_PAGE };
    return { ...(await this.ports.executions.list(actionId, toWindow(effective))), paging: effective };
  }

  /** Starts every deployed version again where actions run (local mode, after a restart). */
  public async redeployLive(): Promise<number> {
    const { items } = await this.ports.store.listActions({ offset: 0, limit: Number.MAX_SAFE_INTEGER });
    let count = 0;
    for (const action of items) {
      if (!action.deployedVersionId) continue;
      const version = await this.ports.store.getVersion(action.id, action.deployedVersionId);
      if (!version) continue;
      await this.ports.deployer.deploy(this.deploymentOf(action, version));
      count++;
    }
    return count;
  }

  /** What a runner needs to run a version; no secret value. */
  public deploymentOf(action: ActionRecord, version: ActionVersionRecord): ActionDeployment {
    return {
      actionId: action.id,
      actionName: action.name,
      versionId: version.id,
      versionNumber: version.versionNumber,
      bundle: version.artifact,
      triggers: version.spec?.supportedTriggers ?? [],
      ...(version.secretsSetId ? { secretsSetId: version.secretsSetId } : {}),
      moduleSecretSets: version.moduleSecretSets,
      timeoutMs: this.limits.timeoutMs,
    };
  }

  private async build(
    draft: ActionRecord,
    base: Parameters<
      Parameters<Lifecycle<ActionSpec, ActionRecord, ActionVersionRecord>['createVersion']>[1]
    >[1],
  ): Promise<ActionVersionRecord> {
    const pins = draft.spec?.modules ?? [];
    const modules: Array<{ pin: ModulePin; version: ModuleVersionRecord; code: string }> = [];
    for (const pin of pins) {
      const version = await this.ports.modules.getVersion(pin.moduleId, pin.moduleVersionId);
      if (!version) {
        throw new InvalidRequestError(
          `The action pins ${pin.moduleName} version ${pin.moduleVersionNumber}, which no longer exists; pin another version.`,
          'module_version_not_found',
        );
      }
      const code = (await this.ports.artifacts.get(version.artifact)).toString('utf8');
      modules.push({ pin, version, code });
    }
    const built = await this.ports.builder.build({
      name: draft.name,
      code: draft.code,
      dependencies: draft.dependencies,
      modules: pins.map(({ moduleName }) => moduleName),
    });
    const bundle = assembleActionBundle({
      action: { code: built.content.toString('utf8') },
      modules: modules.map(({ pin, code }) => ({ name: pin.moduleName, code })),
    });
    const artifact = await this.ports.artifacts.put(bundle.sha256, bundle.content);
    const moduleSecretSets: ModuleSecretSet[] = modules.map(({ pin, version }) => ({
      moduleId: pin.moduleId,
      moduleName: pin.moduleName,
      ...(version.secretsSetId ? { setId: version.secretsSetId } : {}),
    }));
    return { ...base, actionId: draft.id, artifact, moduleSecretSets };
  }

  /**
   * Makes a built version live: the runner, the deployed pointer and the modules' usage. The binding rules
   * stay as they are: their targets are known from the action id alone (the alias, or the action's queue).
   */
  private async activate(before: ActionRecord, version: ActionVersionRecord): Promise<ActionRecord> {
    await this.ports.deployer.deploy(this.deploymentOf(before, version));
    const action = await this.ports.store.markDeployed(before.id, version.id, version.versionNumber);
    const pinned = version.spec?.modules ?? [];
    const supportedTriggers = (version.spec?.supportedTriggers ?? []).map((trigger) => ({ ...trigger }));
    for (const pin of pinned) {
      await this.ports.modules.putUsage({
        moduleId: pin.moduleId,
        actionId: before.id,
        actionName: before.name,
        moduleVersionId: pin.moduleVersionId,
        moduleVersionNumber: pin.moduleVersionNumber,
        supportedTriggers,
      });
    }
    const previous = before.deployedVersionId
      ? await this.ports.store.getVersion(before.id, before.deployedVersionId)
      : undefined;
    for (const old of previous?.spec?.modules ?? []) {
      if (!pinned.some((pin) => pin.moduleId === old.moduleId)) {
        await this.forgetUsage(old.moduleId, before.id);
      }
    }
    this.ports.logger.info('Deployed an action version', {
      actionId: before.id,
      versionNumber: version.versionNumber,
    });
    return action;
  }

  /**
   * Makes the rules match the bindings of every trigger, one sync at a time (a lock on the rules, taken with
   * the project's claim pattern in the store), since two overlapping syncs could delete each other's rules.
   */
  private async syncRules(): Promise<void> {
    const bindings: Binding[] = [];
    for (const trigger of TRIGGERS) {
      for (const binding of await this.ports.store.getBindings(trigger.id)) {
        bindings.push({
          triggerId: binding.triggerId,
          actionId: binding.actionId,
          actionName: binding.actionName,
          ...(binding.match ? { match: binding.match } : {}),
        });
      }
    }
    const desired = desiredRules(bindings, {
      source: this.options.eventSource,
      prefix: this.options.rulePrefix,
      targetFor: (binding) => this.ports.deployer.targetFor(binding.actionId),
    });
    const leaseId = randomUUID();
    const deadline = this.now().getTime() + (this.options.leaseWaitMs ?? 10_000);
    while (!(await this.ports.store.lockRules(leaseId))) {
      if (this.now().getTime() >= deadline) {
        throw new RegistryError(
          409,
          'bindings_busy',
          'Another request is updating the binding rules; try again in a few seconds.',
        );
      }
      await this.sleep(50 + Math.random() * 200);
    }
    try {
      await this.ports.rules.sync(desired);
    } finally {
      await this.ports.store.unlockRules(leaseId);
    }
  }

  private async triggersBinding(actionId: string): Promise<TriggerId[]> {
    const bound: TriggerId[] = [];
    for (const trigger of TRIGGERS) {
      const bindings = await this.ports.store.getBindings(trigger.id);
      if (bindings.some((binding) => binding.actionId === actionId)) bound.push(trigger.id);
    }
    return bound;
  }

  /**
   * A new live version no longer pins the module. The version is live already, so a failure here is logged,
   * not thrown: it leaves a stale usage record that keeps the module from being deleted (412) until the action
   * is deleted, and the warning says which.
   */
  private async forgetUsage(moduleId: string, actionId: string): Promise<void> {
    await this.ports.modules.removeUsage(moduleId, actionId).catch((error: unknown) => {
      this.ports.logger.warn('Could not remove a module usage record; the module stays marked as in use', {
        moduleId,
        actionId,
        error: error instanceof Error ? error.name : typeof error,
      });
    });
  }

  /** Resolves each pin to one module version; names and numbers become ids. */
  private async resolvePins(inputs: readonly ModulePinInput[]): Promise<ModulePin[]> {
    if (inputs.length === 0) return [];
    const modules = (await this.ports.modules.listModules({ offset: 0, limit: Number.MAX_SAFE_INTEGER }))
      .items;
    const pins = await Promise.all(inputs.map((input, index) => this.resolvePin(input, index, modules)));
    const names = new Set<string>();
    for (const pin of pins) {
      if (names.has(pin.moduleName)) {
        throw new InvalidRequestError(
          `The module ${pin.moduleName} is pinned twice; an action pins one version of a module.`,
        );
      }
      names.add(pin.moduleName);
    }
    return pins;
  }

  private async resolvePin(
    input: ModulePinInput,
    index: number,
    modules: readonly ModuleRecord[],
  ): Promise<ModulePin> {
    const where = `modules[${index}]`;
    const module = modules.find((candidate) =>
      input.moduleId ? candidate.id === input.moduleId : candidate.name === input.moduleName,
    );
    if (!module || (input.moduleName && module.name !== input.moduleName)) {
      throw new InvalidRequestError(
        `${where}: no action module has the ${input.moduleId ? `id ${JSON.stringify(input.moduleId)}` : `name ${JSON.stringify(input.moduleName)}`}.`,
        'module_not_found',
      );
    }
    let version: ModuleVersionRecord | undefined;
    if (input.moduleVersionId)
      version = await this.ports.modules.getVersion(module.id, input.moduleVersionId);
    else {
      const number = input.moduleVersionNumber as number;
      const [found] = await this.ports.modules.listVersions(module.id, module.versionCount, {
        offset: module.versionCount - number,
        limit: 1,
      });
      version = found?.versionNumber === number ? found : undefined;
    }
    if (
      !version ||
      (input.moduleVersionNumber !== undefined && version.versionNumber !== input.moduleVersionNumber)
    ) {
      throw new InvalidRequestError(
        `${where}: action module ${module.name} has no version ${input.moduleVersionId ? JSON.stringify(input.moduleVersionId) : input.moduleVersionNumber}; publish it first (it has ${module.versionCount}).`,
        'module_version_not_found',
      );
    }
    return {
      moduleId: module.id,
      moduleName: module.name,
      moduleVersionId: version.id,
      moduleVersionNumber: version.versionNumber,
    };
  }

  private async view(action: ActionRecord): Promise<ActionView> {
    if (!action.deployedVersionId) return { action };
    const deployed = await this.ports.store.getVersion(action.id, action.deployedVersionId);
    return deployed ? { action, deployed } : { action };
  }
}

function toWindow(paging: Paging): Window {
  return { offset: paging.page * paging.perPage, limit: paging.perPage };
}
