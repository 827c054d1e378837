/**
 * In-memory ports for unit tests of the registry core. They keep the same rules as the AWS adapters
 * (conditional writes, locks, immutable secret sets) so the core's behaviour can be checked without I/O.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  EMPTY_SECRET_DOCUMENT,
  pruneSecretSets,
  resolveSecretSet,
  type SecretDocument,
  writeSecretSet,
} from '../../../lambdas/lifecycle/secret-sets';
import {
  BuildFailedError,
  DependencyNotFoundError,
  DependencyVersionNotFoundError,
  LeaseLostError,
  ModuleInUseError,
  ModuleLimitError,
  ModuleNameTakenError,
  ModuleNotFoundError,
  SecretsTooLargeError,
  VersionConflictError,
} from '../../../lambdas/modules/errors';
import type {
  ArtifactRef,
  DraftState,
  ModuleRecord,
  ModuleUsage,
  Page,
  VersionRecord,
  Window,
} from '../../../lambdas/modules/model';
import type {
  ArtifactStore,
  BuildInput,
  BuildOutput,
  DependencyResolver,
  LeaseResult,
  LogPort,
  ModuleBuilder,
  ModuleSecretStore,
  ModuleStore,
  RegistryPorts,
  SecretWrite,
  VersionExpectation,
} from '../../../lambdas/modules/ports';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface StoredModule {
  record: ModuleRecord;
  lockId?: string;
  lockUntil?: number;
}

export class InMemoryModuleStore implements ModuleStore {
  public readonly modules = new Map<string, StoredModule>();
  public readonly names = new Map<string, string>();
  public readonly versions = new Map<string, VersionRecord[]>();
  public readonly usage = new Map<string, ModuleUsage[]>();

  public async listModules(window: Window): Promise<Page<ModuleRecord>> {
    await tick();
    const all = [...this.modules.values()].map(({ record }) => record).sort((a, b) => (a.id < b.id ? -1 : 1));
    return { items: all.slice(window.offset, window.offset + window.limit), total: all.length };
  }

  public async getModule(id: string): Promise<ModuleRecord | undefined> {
    await tick();
    return this.modules.get(id)?.record;
  }

  public async createModule(module: ModuleRecord, maxModules: number): Promise<void> {
    await tick();
    if (this.names.has(module.name)) throw new ModuleNameTakenError(module.name);
    if (this.modules.size >= maxModules) throw new ModuleLimitError(maxModules);
    this.modules.set(module.id, { record: module });
    this.names.set(module.name, module.id);
  }

  public async acquireLease(
    id: string,
    leaseId: string,
    nowMs: number,
    untilMs: number,
  ): Promise<LeaseResult> {
    await tick();
    const stored = this.modules.get(id);
    if (!stored) return { acquired: false, missing: true };
    if (stored.lockId && (stored.lockUntil ?? 0) >= nowMs) {
      return { acquired: false, heldUntil: stored.lockUntil ?? 0 };
    }
    stored.lockId = leaseId;
    stored.lockUntil = untilMs;
    return { acquired: true, module: stored.record };
  }

  public async saveDraft(id: string, leaseId: string, draft: DraftState): Promise<ModuleRecord> {
    await tick();
    const stored = this.modules.get(id);
    if (!stored) throw new ModuleNotFoundError(id);
    if (stored.lockId !== leaseId) throw new LeaseLostError(id);
    const { secretsSetId: _previous, ...rest } = stored.record;
    stored.record = {
      ...rest,
      code: draft.code,
      dependencies: draft.dependencies,
      secrets: draft.secrets,
      ...(draft.secretsSetId ? { secretsSetId: draft.secretsSetId } : {}),
      draftFingerprint: draft.draftFingerprint,
      updatedAt: draft.updatedAt,
      draftRevision: stored.record.draftRevision + 1,
    };
    delete stored.lockId;
    delete stored.lockUntil;
    return stored.record;
  }

  public async releaseLease(id: string, leaseId: string): Promise<void> {
    await tick();
    const stored = this.modules.get(id);
    if (stored?.lockId === leaseId) {
      delete stored.lockId;
      delete stored.lockUntil;
    }
  }

  public async createVersion(version: VersionRecord, expected: VersionExpectation): Promise<void> {
    await tick();
    const stored = this.modules.get(version.moduleId);
    if (
      !stored ||
      stored.record.draftRevision !== expected.draftRevision ||
      stored.record.versionCount !== expected.versionCount ||
      (expected.leaseId !== undefined && stored.lockId !== expected.leaseId)
    ) {
      throw new VersionConflictError(version.moduleId);
    }
    if (expected.leaseId !== undefined) {
      delete stored.lockId;
      delete stored.lockUntil;
    }
    const sets = new Set(stored.record.versionSecretSets);
    if (version.secretsSetId) sets.add(version.secretsSetId);
    stored.record = {
      ...stored.record,
      versionCount: version.versionNumber,
      latestVersionId: version.id,
      latestFingerprint: version.fingerprint,
      versionSecretSets: [...sets],
    };
    this.versions.set(version.moduleId, [...(this.versions.get(version.moduleId) ?? []), version]);
  }

  public async getVersion(moduleId: string, versionId: string): Promise<VersionRecord | undefined> {
    await tick();
    return this.versions.get(moduleId)?.find(({ id }) => id === versionId);
  }

  public async listVersions(moduleId: string, _count: number, window: Window): Promise<VersionRecord[]> {
    await tick();
    const all = [...(this.versions.get(moduleId) ?? [])].reverse();
    return all.slice(window.offset, window.offset + window.limit);
  }

  public async deleteModule(id: string): Promise<void> {
    await tick();
    const stored = this.modules.get(id);
    if (!stored) throw new ModuleNotFoundError(id);
    if (stored.record.actionsUsingModuleTotal > 0) {
      throw new ModuleInUseError(id, stored.record.actionsUsingModuleTotal);
    }
    this.modules.delete(id);
    this.names.delete(stored.record.name);
    this.versions.delete(id);
  }

  public async putUsage(usage: ModuleUsage): Promise<void> {
    await tick();
    const stored = this.modules.get(usage.moduleId);
    if (!stored) throw new ModuleNotFoundError(usage.moduleId);
    const list = (this.usage.get(usage.moduleId) ?? []).filter(({ actionId }) => actionId !== usage.actionId);
    const isNew = list.length === (this.usage.get(usage.moduleId) ?? []).length;
    this.usage.set(usage.moduleId, [...list, usage]);
    if (isNew) {
      stored.record = {
        ...stored.record,
        actionsUsingModuleTotal: stored.record.actionsUsingModuleTotal + 1,
      };
    }
  }

  public async removeUsage(moduleId: string, actionId: string): Promise<void> {
    await tick();
    const list = this.usage.get(moduleId) ?? [];
    const kept = list.filter((usage) => usage.actionId !== actionId);
    this.usage.set(moduleId, kept);
    const stored = this.modules.get(moduleId);
    if (stored && kept.length < list.length) {
      stored.record = {
        ...stored.record,
        actionsUsingModuleTotal: stored.record.actionsUsingModuleTotal - 1,
      };
    }
  }

  public async listUsage(moduleId: string, window: Window): Promise<Page<ModuleUsage>> {
    await tick();
    const all = this.usage.get(moduleId) ?? [];
    return { items: all.slice(window.offset, window.offset + window.limit), total: all.length };
  }
}

/** Keeps each module's secret document in memory, through the same pure set functions as the adapter. */
export class InMemorySecretStore implements ModuleSecretStore {
  public readonly documents = new Map<string, SecretDocument>();

  public constructor(private readonly maxBytes = 65_536) {}

  public async writeSet(
    moduleId: string,
    baseSetId: string | undefined,
    entries: readonly SecretWrite[],
    retain: readonly string[],
  ): Promise<string | undefined> {
    await tick();
    const current = this.documents.get(moduleId);
    if (current === undefined && entries.length === 0) return undefined;
    const { document, setId } = writeSecretSet(
      current ?? EMPTY_SECRET_DOCUMENT,
      baseSetId,
      entries,
      retain,
      randomUUID,
    );
    const bytes = Buffer.byteLength(JSON.stringify(document));
    if (bytes > this.maxBytes) throw new SecretsTooLargeError(bytes, this.maxBytes);
    this.documents.set(moduleId, document);
    return setId;
  }

  public async prune(moduleId: string, keep: readonly string[]): Promise<void> {
    await tick();
    const current = this.documents.get(moduleId);
    const next = current && pruneSecretSets(current, keep);
    if (next) this.documents.set(moduleId, next);
  }

  public async readSet(moduleId: string, setId: string): Promise<Record<string, string>> {
    const document = this.documents.get(moduleId);
    return (document && resolveSecretSet(document, setId)) ?? {};
  }

  public async deleteAll(moduleId: string): Promise<void> {
    this.documents.delete(moduleId);
  }
}

/** Knows a few packages and their versions; `latest` is the highest. */
export class FakeResolver implements DependencyResolver {
  public readonly calls: string[] = [];

  public constructor(
    private readonly packages: Record<string, string[]> = {
      lodash: ['4.17.20', '4.17.21'],
      uuid: ['8.3.2', '9.0.1'],
      'is-number': ['6.0.0', '7.0.0'],
    },
  ) {}

  public async resolve(name: string, spec: string): Promise<string> {
    this.calls.push(`${name}@${spec}`);
    await tick();
    const versions = this.packages[name];
    if (!versions) throw new DependencyNotFoundError(name);
    if (spec === 'latest') return versions[versions.length - 1] as string;
    const exact = versions.filter(
      (version) =>
        version === spec || (spec.startsWith('^') && version.split('.')[0] === spec.slice(1).split('.')[0]),
    );
    const chosen = exact[exact.length - 1];
    if (!chosen) throw new DependencyVersionNotFoundError(name, spec);
    return chosen;
  }
}

/** "Builds" by hashing the inputs; code containing `BUILD_ERROR` fails like a syntax error. */
export class FakeBuilder implements ModuleBuilder {
  public readonly builds: BuildInput[] = [];

  public async build(input: BuildInput): Promise<BuildOutput> {
    this.builds.push(input);
    await tick();
    if (input.code.includes('BUILD_ERROR'))
      throw new BuildFailedError(`${input.moduleName}.js:1:1: Unexpected "BUILD_ERROR"`);
    const content = Buffer.from(`/* built */\n${input.code}\n${JSON.stringify(input.dependencies)}`);
    return { content, sha256: createHash('sha256').update(content).digest('hex') };
  }
}

export class InMemoryArtifacts implements ArtifactStore {
  public readonly objects = new Map<string, Buffer>();

  public async put(sha256: string, content: Buffer): Promise<ArtifactRef> {
    await tick();
    const key = `modules/artifacts/sha256/${sha256}.js`;
    this.objects.set(key, content);
    return { bucket: 'artifacts', key, sha256, bytes: content.length };
  }
}

export class RecordingLogger implements LogPort {
  public readonly lines: string[] = [];
  public debug(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'debug', message, extra }));
  }
  public info(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'info', message, extra }));
  }
  public warn(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'warn', message, extra }));
  }
  public error(message: string, ...extra: Record<string, unknown>[]) {
    this.lines.push(JSON.stringify({ level: 'error', message, extra }));
  }
}

export interface FakePorts extends RegistryPorts {
  readonly store: InMemoryModuleStore;
  readonly secrets: InMemorySecretStore;
  readonly resolver: FakeResolver;
  readonly builder: FakeBuilder;
  readonly artifacts: InMemoryArtifacts;
  readonly logger: RecordingLogger;
}

export function fakePorts(overrides: Partial<RegistryPorts> = {}): FakePorts {
  return {
    store: new InMemoryModuleStore(),
    secrets: new InMemorySecretStore(),
    resolver: new FakeResolver(),
    builder: new FakeBuilder(),
    artifacts: new InMemoryArtifacts(),
    logger: new RecordingLogger(),
    sleep: async () => undefined,
    ...overrides,
  } as FakePorts;
}
