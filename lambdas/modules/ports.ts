/**
 * What the registry core needs from the outside world. The handler wires DynamoDB, Secrets Manager, npm
 * (pacote), esbuild-wasm and S3 to these; unit tests wire in-memory fakes; local mode wires the same AWS
 * adapters to an emulator.
 */
import type {
  ArtifactRef,
  Dependency,
  DraftState,
  ModuleRecord,
  ModuleUsage,
  Page,
  VersionRecord,
  Window,
} from './model';

export type LeaseResult =
  | { readonly acquired: true; readonly module: ModuleRecord }
  | { readonly acquired: false; readonly heldUntil: number }
  | { readonly acquired: false; readonly missing: true };

export interface VersionExpectation {
  readonly draftRevision: number;
  readonly versionCount: number;
  readonly leaseId?: string;
}

/** Modules, versions and usage relations, with the conditional writes that keep them consistent. */
export interface ModuleStore {
  listModules(window: Window): Promise<Page<ModuleRecord>>;
  getModule(id: string): Promise<ModuleRecord | undefined>;
  /**
   * Writes a new module, its unique name and the tenant's module count in one transaction.
   * Throws `ModuleNameTakenError` or `ModuleLimitError`.
   */
  createModule(module: ModuleRecord, maxModules: number): Promise<void>;
  /** Takes the draft lock of a module until `untilMs`, unless someone else holds an unexpired one. */
  acquireLease(id: string, leaseId: string, nowMs: number, untilMs: number): Promise<LeaseResult>;
  /**
   * Writes the draft, bumps its revision and releases the lock, only while `leaseId` still holds it
   * (throws `LeaseLostError` otherwise).
   */
  saveDraft(id: string, leaseId: string, draft: DraftState): Promise<ModuleRecord>;
  releaseLease(id: string, leaseId: string): Promise<void>;
  /**
   * Writes a version and advances the module's counter in one transaction, only while the module is at
   * `expected.draftRevision` and `expected.versionCount` (and, with `leaseId`, while that lease holds the
   * draft lock, which the write then releases). Throws `VersionConflictError` otherwise.
   */
  createVersion(version: VersionRecord, expected: VersionExpectation): Promise<void>;
  getVersion(moduleId: string, versionId: string): Promise<VersionRecord | undefined>;
  /** Newest first. */
  listVersions(moduleId: string, versionCount: number, window: Window): Promise<readonly VersionRecord[]>;
  /**
   * Deletes the module, its name and its versions, and lowers the module count. Throws `ModuleInUseError`
   * while any action uses it, `ModuleNotFoundError` when it is gone.
   */
  deleteModule(id: string): Promise<void>;
  /** Records that an action uses a module version (for the actions feature). */
  putUsage(usage: ModuleUsage): Promise<void>;
  removeUsage(moduleId: string, actionId: string): Promise<void>;
  listUsage(moduleId: string, window: Window): Promise<Page<ModuleUsage>>;
}

import type { SecretWrite } from '../lifecycle/secret-sets';

export type { SecretWrite };

/**
 * The module's secret values, in one Secrets Manager secret per module. Values are grouped in immutable
 * sets: a draft points at one, each version at the one it was published with.
 */
export interface ModuleSecretStore {
  /**
   * Writes a new immutable set and returns its id (undefined when `entries` is empty). Sets other than the
   * new one, the base one and `retain` are dropped, and so are values no set uses any more. Throws `SecretsTooLargeError`
   * when the secret would exceed what Secrets Manager holds. The caller holds the module's draft lock.
   */
  writeSet(
    moduleId: string,
    baseSetId: string | undefined,
    entries: readonly SecretWrite[],
    retain: readonly string[],
  ): Promise<string | undefined>;
  /**
   * Drops every set but `keep`, and the values they alone used. The caller holds the module's draft lock.
   * Does nothing when the module has no secret.
   */
  prune(moduleId: string, keep: readonly string[]): Promise<void>;
  /** The values of one set, by name: for the actions runner, never for the management API. */
  readSet(moduleId: string, setId: string): Promise<Record<string, string>>;
  /** Deletes the module's secret; `force` skips Secrets Manager's recovery window. */
  deleteAll(moduleId: string, force: boolean): Promise<void>;
}

/** Resolves a name and a version, range or dist-tag to one exact published version. */
export interface DependencyResolver {
  /** Throws `DependencyNotFoundError`, `DependencyVersionNotFoundError` or `RegistryUnavailableError`. */
  resolve(name: string, spec: string): Promise<string>;
}

export interface BuildInput {
  readonly moduleName: string;
  readonly code: string;
  readonly dependencies: readonly Dependency[];
}

export interface BuildOutput {
  /** One CommonJS file: the module with its dependencies bundled. */
  readonly content: Buffer;
  readonly sha256: string;
}

export interface ModuleBuilder {
  /** Throws `BuildFailedError` with esbuild's messages when the module does not build. */
  build(input: BuildInput): Promise<BuildOutput>;
}

export interface ArtifactStore {
  /** Stores the artifact under a key derived from its hash; storing it again is harmless. */
  put(sha256: string, content: Buffer): Promise<ArtifactRef>;
}

/** The subset of a structured logger the core uses (Powertools Logger fits). */
export interface LogPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface RegistryPorts {
  readonly store: ModuleStore;
  readonly secrets: ModuleSecretStore;
  readonly resolver: DependencyResolver;
  readonly builder: ModuleBuilder;
  readonly artifacts: ArtifactStore;
  readonly logger: LogPort;
  readonly now?: () => Date;
  readonly newId?: () => string;
  readonly sleep?: (ms: number) => Promise<void>;
}
