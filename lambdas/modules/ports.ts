/**
 * What the registry core needs from the outside world. The handler wires DynamoDB, Secrets Manager, npm
 * (pacote), esbuild-wasm and S3 to these; unit tests wire in-memory fakes; local mode wires the same AWS
 * adapters to an emulator. The lifecycle's own ports (drafts, versions, secret sets, npm) are in
 * `lambdas/lifecycle/ports.ts`.
 */
import type { LeaseResult as EntityLeaseResult, EntityStore } from '../lifecycle/ports';
import type {
  ArtifactRef,
  Dependency,
  ModuleRecord,
  ModuleUsage,
  Page,
  VersionRecord,
  Window,
} from './model';

export type {
  DependencyResolver,
  LogPort,
  SecretSetStore as ModuleSecretStore,
  VersionExpectation,
} from '../lifecycle/ports';
export type { SecretWrite } from '../lifecycle/secret-sets';

import type { DependencyResolver, LogPort, SecretSetStore } from '../lifecycle/ports';

export type LeaseResult = EntityLeaseResult<ModuleRecord>;

/** Modules, versions and usage relations, with the conditional writes that keep them consistent. */
export interface ModuleStore extends EntityStore<undefined, ModuleRecord, VersionRecord> {
  listModules(window: Window): Promise<Page<ModuleRecord>>;
  /**
   * Writes a new module, its unique name and the tenant's module count in one transaction.
   * Throws `ModuleNameTakenError` or `ModuleLimitError`.
   */
  createModule(module: ModuleRecord, maxModules: number): Promise<void>;
  /**
   * Deletes the module, its name and its versions, and lowers the module count. Throws `ModuleInUseError`
   * while any action uses it, `ModuleNotFoundError` when it is gone.
   */
  deleteModule(id: string): Promise<void>;
  /** Records that an action uses a module version (written by the actions registry). */
  putUsage(usage: ModuleUsage): Promise<void>;
  removeUsage(moduleId: string, actionId: string): Promise<void>;
  listUsage(moduleId: string, window: Window): Promise<Page<ModuleUsage>>;
}

export interface BuildInput {
  /** Names the entry file in build messages. */
  readonly moduleName: string;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
  /**
   * The module names the code may require as `actions:<name>` (an action's pinned modules), left as
   * requires for the action bundle to resolve. Modules cannot require modules: none for them.
   */
  readonly actionModules?: readonly string[];
}

export interface BuildOutput {
  /** One CommonJS file: the code with its dependencies bundled. */
  readonly content: Buffer;
  readonly sha256: string;
}

export interface ModuleBuilder {
  /** Throws `BuildFailedError` with esbuild's messages when the code does not build. */
  build(input: BuildInput): Promise<BuildOutput>;
}

export interface ArtifactStore {
  /** Stores the artifact under a key derived from its hash; storing it again is harmless. */
  put(sha256: string, content: Buffer): Promise<ArtifactRef>;
  /** Reads one back, checking its SHA-256. */
  get(ref: ArtifactRef): Promise<Buffer>;
}

export interface RegistryPorts {
  readonly store: ModuleStore;
  readonly secrets: SecretSetStore;
  readonly resolver: DependencyResolver;
  readonly builder: ModuleBuilder;
  readonly artifacts: ArtifactStore;
  readonly logger: LogPort;
  readonly now?: () => Date;
  readonly newId?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
}
