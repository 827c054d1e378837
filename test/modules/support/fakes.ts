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
  ModuleInUseError,
  ModuleLimitError,
  ModuleNameTakenError,
  ModuleNotFoundError,
  SecretsTooLargeError,
} from '../../../lambdas/modules/errors';
import type {
  ArtifactRef,
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
  LogPort,
  ModuleBuilder,
  ModuleSecretStore,
  ModuleStore,
  RegistryPorts,
  SecretWrite,
} from '../../../lambdas/modules/ports';
import { InMemoryEntityStore, tick } from '../../support/entity-fakes';

interface StoredModule {
  record: ModuleRecord;
}

export class InMemoryModuleStore
  extends InMemoryEntityStore<undefined, ModuleRecord, VersionRecord>
  implements ModuleStore
{
  public readonly names = new Map<string, string>();
  public readonly usage = new Map<string, ModuleUsage[]>();

  public constructor() {
    super((id) => new ModuleNotFoundError(id));
  }

  /** The modules by id, as the tests read them. */
  public get modules(): ReadonlyMap<string, StoredModule> {
    return this.records;
  }

  public async listModules(window: Window): Promise<Page<ModuleRecord>> {
    await tick();
    const all = this.all();
    return { items: all.slice(window.offset, window.offset + window.limit), total: all.length };
  }

  public async createModule(module: ModuleRecord, maxModules: number): Promise<void> {
    await tick();
    if (this.names.has(module.name)) throw new ModuleNameTakenError(module.name);
    if (this.records.size >= maxModules) throw new ModuleLimitError(maxModules);
    this.records.set(module.id, { record: module });
    this.names.set(module.name, module.id);
  }

  public async deleteModule(id: string): Promise<void> {
    await tick();
    const stored = this.records.get(id);
    if (!stored) throw new ModuleNotFoundError(id);
    if (stored.record.actionsUsingModuleTotal > 0) {
      throw new ModuleInUseError(id, stored.record.actionsUsingModuleTotal);
    }
    this.records.delete(id);
    this.names.delete(stored.record.name);
    this.versions.delete(id);
  }

  public async putUsage(usage: ModuleUsage): Promise<void> {
    await tick();
    if (!this.records.has(usage.moduleId)) throw new ModuleNotFoundError(usage.moduleId);
    const list = (this.usage.get(usage.moduleId) ?? []).filter(({ actionId }) => actionId !== usage.actionId);
    const isNew = list.length === (this.usage.get(usage.moduleId) ?? []).length;
    this.usage.set(usage.moduleId, [...list, usage]);
    if (isNew)
      this.update(usage.moduleId, (r) => ({ ...r, actionsUsingModuleTotal: r.actionsUsingModuleTotal + 1 }));
  }

  public async removeUsage(moduleId: string, actionId: string): Promise<void> {
    await tick();
    const list = this.usage.get(moduleId) ?? [];
    const kept = list.filter((usage) => usage.actionId !== actionId);
    this.usage.set(moduleId, kept);
    if (kept.length < list.length) {
      this.update(moduleId, (r) => ({ ...r, actionsUsingModuleTotal: r.actionsUsingModuleTotal - 1 }));
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

  public async get(ref: ArtifactRef): Promise<Buffer> {
    await tick();
    const content = this.objects.get(ref.key);
    if (!content) throw new Error(`No artifact at ${ref.key}`);
    return content;
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
