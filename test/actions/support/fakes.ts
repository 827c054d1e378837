/**
 * In-memory ports for the actions registry: the lifecycle's fake store plus what actions keep besides, a
 * deployer and rules that record what they were asked, and executions in a list. The modules' fakes serve
 * the pinned modules, secrets and artifacts, shared with a modules registry as in the real stack.
 */
import { createHash } from 'node:crypto';
import type {
  BindingRules,
  DesiredRule,
  ManagedRule,
  RuleTarget,
} from '../../../lambdas/actions/bindings/rules';
import type { TriggerId } from '../../../lambdas/actions/bindings/triggers';
import { ActionLimitError, ActionNameTakenError, ActionNotFoundError } from '../../../lambdas/actions/errors';
import type {
  ActionDeployment,
  ActionRecord,
  ActionSpec,
  ActionVersionRecord,
  BindingRecord,
  ExecutionRecord,
  Page,
  Window,
} from '../../../lambdas/actions/model';
import type {
  ActionBuilder,
  ActionBuildInput,
  ActionDeployer,
  ActionRegistryPorts,
  ActionStore,
  ExecutionReader,
} from '../../../lambdas/actions/ports';
import { type FakePorts, fakePorts as fakeModulePorts } from '../../modules/support/fakes';
import { InMemoryEntityStore, tick } from '../../support/entity-fakes';

export class InMemoryActionStore
  extends InMemoryEntityStore<ActionSpec, ActionRecord, ActionVersionRecord>
  implements ActionStore
{
  public readonly names = new Map<string, string>();
  public readonly bindings = new Map<TriggerId, readonly BindingRecord[]>();
  private rulesLock: string | undefined;

  public constructor() {
    super((id) => new ActionNotFoundError(id));
  }

  public async listActions(window: Window): Promise<Page<ActionRecord>> {
    await tick();
    const all = this.all();
    return { items: all.slice(window.offset, window.offset + window.limit), total: all.length };
  }

  public async createAction(action: ActionRecord, maxActions: number): Promise<void> {
    await tick();
    if (this.names.has(action.name)) throw new ActionNameTakenError(action.name);
    if (this.records.size >= maxActions) throw new ActionLimitError(maxActions);
    this.records.set(action.id, { record: action });
    this.names.set(action.name, action.id);
  }

  public async deleteAction(id: string): Promise<void> {
    await tick();
    const stored = this.records.get(id);
    if (!stored) throw new ActionNotFoundError(id);
    this.records.delete(id);
    this.names.delete(stored.record.name);
    this.versions.delete(id);
  }

  public async markDeployed(id: string, versionId: string, versionNumber: number): Promise<ActionRecord> {
    await tick();
    if (!this.versions.get(id)?.some((version) => version.id === versionId))
      throw new ActionNotFoundError(id);
    this.update(id, (record) => ({
      ...record,
      deployedVersionId: versionId,
      deployedVersionNumber: versionNumber,
    }));
    return this.records.get(id)?.record as ActionRecord;
  }

  public async getBindings(triggerId: TriggerId): Promise<readonly BindingRecord[]> {
    await tick();
    return this.bindings.get(triggerId) ?? [];
  }

  public async putBindings(triggerId: TriggerId, bindings: readonly BindingRecord[]): Promise<void> {
    await tick();
    this.bindings.set(triggerId, bindings);
  }

  public async lockRules(leaseId: string): Promise<boolean> {
    await tick();
    if (this.rulesLock && this.rulesLock !== leaseId) return false;
    this.rulesLock = leaseId;
    return true;
  }

  public async unlockRules(leaseId: string): Promise<void> {
    if (this.rulesLock === leaseId) this.rulesLock = undefined;
  }
}

/** Leaves the code as it is: test actions are CommonJS already. Records what it was asked. */
export class PassThroughActionBuilder implements ActionBuilder {
  public readonly inputs: ActionBuildInput[] = [];

  public async build(input: ActionBuildInput) {
    this.inputs.push(input);
    const content = Buffer.from(input.code);
    return { content, sha256: createHash('sha256').update(content).digest('hex') };
  }
}

export class RecordingDeployer implements ActionDeployer {
  public readonly live = new Map<string, ActionDeployment>();
  public readonly deployments: ActionDeployment[] = [];
  public readonly removed: string[] = [];

  public async deploy(deployment: ActionDeployment): Promise<void> {
    await tick();
    this.deployments.push(deployment);
    this.live.set(deployment.actionId, deployment);
  }

  public targetFor(actionId: string): RuleTarget {
    return {
      id: 'action',
      arn: `arn:aws:lambda:us-east-1:123456789012:function:a0b-action-${actionId}:live`,
      deadLetterArn: 'arn:aws:sqs:us-east-1:123456789012:a0b-actions-dlq',
      maxRetryAttempts: 185,
      maxEventAgeSeconds: 86_400,
    };
  }

  public async remove(actionId: string): Promise<void> {
    await tick();
    this.removed.push(actionId);
    this.live.delete(actionId);
  }
}

export class RecordingRules implements BindingRules {
  public desired: readonly DesiredRule[] = [];
  public syncs = 0;

  public async sync(desired: readonly DesiredRule[]): Promise<void> {
    await tick();
    this.syncs++;
    this.desired = desired;
  }

  public async list(): Promise<ManagedRule[]> {
    return this.desired.map(({ name, description, eventPattern }) => ({
      name,
      description,
      eventPattern,
    }));
  }
}

export class ListExecutions implements ExecutionReader {
  public readonly records: ExecutionRecord[] = [];

  public async get(id: string): Promise<ExecutionRecord | undefined> {
    return this.records.find((execution) => execution.id === id);
  }

  public async list(actionId: string, window: Window): Promise<Page<ExecutionRecord>> {
    const all = this.records.filter((execution) => execution.actionId === actionId).reverse();
    return { items: all.slice(window.offset, window.offset + window.limit), total: all.length };
  }
}

export interface FakeActionPorts extends ActionRegistryPorts {
  readonly store: InMemoryActionStore;
  readonly builder: PassThroughActionBuilder;
  readonly deployer: RecordingDeployer;
  readonly rules: RecordingRules;
  readonly executions: ListExecutions;
}

/** The modules' fake ports and the actions' ones over them, sharing secrets and artifacts. */
export function fakeStack(): { modules: FakePorts; actions: FakeActionPorts } {
  const modules = fakeModulePorts();
  const actions: FakeActionPorts = {
    store: new InMemoryActionStore(),
    secrets: modules.secrets,
    resolver: modules.resolver,
    builder: new PassThroughActionBuilder(),
    artifacts: modules.artifacts,
    modules: modules.store,
    deployer: new RecordingDeployer(),
    rules: new RecordingRules(),
    executions: new ListExecutions(),
    logger: modules.logger,
    sleep: async () => undefined,
  };
  return { modules, actions };
}
