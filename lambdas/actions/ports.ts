/**
 * What the actions registry and the runner need from the outside world. The management handler wires
 * DynamoDB, Secrets Manager, S3, esbuild-wasm, Lambda and EventBridge to these; local mode wires the same AWS
 * adapters to moto plus a child-process runner; unit tests wire fakes.
 */
import type { DependencyResolver, EntityStore, LogPort, SecretSetStore } from '../lifecycle/ports';
import type { ArtifactStore, ModuleStore } from '../modules/ports';
import type { BindingRules, RuleTarget } from './bindings/rules';
import type { TriggerId } from './bindings/triggers';
import type {
  ActionDeployment,
  ActionRecord,
  ActionSpec,
  ActionVersionRecord,
  BindingRecord,
  Dependency,
  ExecutionRecord,
  Page,
  Window,
} from './model';

export type { DependencyResolver, LogPort, SecretSetStore } from '../lifecycle/ports';

/** Actions, their versions and bindings, with the conditional writes that keep them consistent. */
export interface ActionStore extends EntityStore<ActionSpec, ActionRecord, ActionVersionRecord> {
  listActions(window: Window): Promise<Page<ActionRecord>>;
  /** Writes a new action, its unique name and the action count in one transaction. */
  createAction(action: ActionRecord, maxActions: number): Promise<void>;
  /** Deletes the action, its name, versions and bindings, and lowers the count. */
  deleteAction(id: string): Promise<void>;
  /** Records which version runs. */
  markDeployed(id: string, versionId: string, versionNumber: number): Promise<ActionRecord>;
  /** A trigger's bindings, in run order. */
  getBindings(triggerId: TriggerId): Promise<readonly BindingRecord[]>;
  /** Replaces a trigger's bindings. */
  putBindings(triggerId: TriggerId, bindings: readonly BindingRecord[]): Promise<void>;
  /** Takes the lock on the binding rules (the project's claim pattern); false while another holds it. */
  lockRules(leaseId: string): Promise<boolean>;
  unlockRules(leaseId: string): Promise<void>;
}

/** Content-addressed build outputs (module artifacts and action bundles) in S3: the modules' port. */
export type { ArtifactStore } from '../modules/ports';

export interface ActionBuildInput {
  readonly name: string;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  /** The module names the code may require as `actions:<name>`: left as requires, for the bundle. */
  readonly modules: readonly string[];
}

export interface ActionBuilder {
  /** One CommonJS file; throws `BuildFailedError` with the build's messages. */
  build(input: ActionBuildInput): Promise<{ readonly content: Buffer; readonly sha256: string }>;
}

/**
 * Where deployed versions run. AWS: one Lambda function per action, the version behind an alias that deploy
 * and rollback move. Locally: one child process per action, fed from an SQS queue.
 */
export interface ActionDeployer {
  /** Makes `deployment` the live version of its action. */
  deploy(deployment: ActionDeployment): Promise<void>;
  /** Where the rules of this action's bindings deliver (known from the action id alone). */
  targetFor(actionId: string): RuleTarget;
  /** Removes what `deploy` created for the action. Harmless when there is nothing. */
  remove(actionId: string): Promise<void>;
}

/** The executions the runner writes, read back by the management API. */
export interface ExecutionReader {
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Newest first. */
  list(actionId: string, window: Window): Promise<Page<ExecutionRecord>>;
}

/** What a claim on (version, event) found: only `claimed` lets the runner run the action. */
export type RunClaim = 'claimed' | 'done' | 'in-flight';

/** One action version on one event: what a run claim is about. */
export interface RunRef {
  readonly actionId: string;
  readonly versionId: string;
  /** The EventBridge event id. */
  readonly eventId: string;
}

/** The runner's side of executions: one lease per (action version, event id), and the records. */
export interface ExecutionWriter {
  claim(run: RunRef, leaseId: string): Promise<RunClaim>;
  /** The run succeeded: later deliveries of the event are duplicates. */
  complete(run: RunRef, leaseId: string): Promise<void>;
  /** The run failed: a retry may run it again at once. */
  release(run: RunRef, leaseId: string): Promise<void>;
  put(execution: ExecutionRecord): Promise<void>;
}

export interface ActionRegistryPorts {
  readonly store: ActionStore;
  readonly secrets: SecretSetStore;
  readonly resolver: DependencyResolver;
  readonly builder: ActionBuilder;
  readonly artifacts: ArtifactStore;
  /** The modules registry's store: pinned versions, and the usage records behind `GET /modules/{id}/actions`. */
  readonly modules: ModuleStore;
  readonly deployer: ActionDeployer;
  readonly rules: BindingRules;
  readonly executions: ExecutionReader;
  readonly logger: LogPort;
  readonly now?: () => Date;
  readonly newId?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
}
