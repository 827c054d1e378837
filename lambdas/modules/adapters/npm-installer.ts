/**
 * Installs a module's pinned dependencies, and theirs, into a `node_modules` tree under the temp dir, with
 * pacote (npm's fetcher) and no lifecycle scripts. Placement follows Node's resolution: a package goes to the
 * top level unless another version already sits on the requirer's path, in which case it nests under the
 * requirer. Packages are processed breadth first, so every package nested under a requirer is placed before
 * anything below it resolves, and no later placement shadows an earlier resolution.
 */
import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pacote from 'pacote';
import semver from 'semver';
import { mapWithConcurrency } from '../../shared/concurrency';
import { BuildFailedError } from '../errors';
import type { Dependency } from '../model';
import { toRegistryError } from './npm-registry';

export interface InstallerOptions {
  readonly pacote: pacote.Options;
  /** Where installed trees are kept, one per set of pinned dependencies. */
  readonly root?: string;
  /** The most packages one module may pull in, its own dependencies included. */
  readonly maxPackages?: number;
}

interface Container {
  readonly dir: string;
  readonly children: Map<string, Placed>;
  readonly parent?: Container;
}

interface Placed extends Container {
  readonly name: string;
  readonly version: string;
  readonly depth: number;
  readonly manifest: Manifest;
  readonly requiredBy: string;
}

type Manifest = Awaited<ReturnType<typeof pacote.manifest>>;

const COMPLETE_MARKER = '.a0bridge-complete';

export class NpmInstaller {
  private readonly root: string;

  public constructor(private readonly options: InstallerOptions) {
    this.root = options.root ?? join(tmpdir(), 'a0bridge-modules', 'deps');
  }

  /**
   * The directory whose `node_modules` holds these dependencies, installing them unless an earlier build in
   * this container already did. Equal dependency lists share one directory.
   */
  public async install(dependencies: readonly Dependency[]): Promise<string> {
    const sorted = [...dependencies].sort((a, b) => a.name.localeCompare(b.name));
    const key = createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 32);
    const dir = join(this.root, sorted.length === 0 ? 'none' : key);
    if (await exists(join(dir, COMPLETE_MARKER))) return dir;
    await mkdir(this.root, { recursive: true });
    if (sorted.length === 0) {
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, COMPLETE_MARKER), '');
      return dir;
    }
    const staging = `${dir}.tmp-${randomUUID()}`;
    try {
      await this.installInto(staging, sorted);
      await writeFile(join(staging, COMPLETE_MARKER), '');
      await rename(staging, dir).catch(async (error: NodeJS.ErrnoException) => {
        // Another build installed the same tree first: use theirs.
        if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
      });
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
    return dir;
  }

  private async installInto(dir: string, dependencies: readonly Dependency[]): Promise<void> {
    const maxPackages = this.options.maxPackages ?? 400;
    const manifests = new Map<string, Promise<Manifest>>();
    const manifest = (name: string, range: string, requiredBy: string) => {
      const spec = `${name}@${range}`;
      let found = manifests.get(spec);
      if (!found) {
        found = pacote.manifest(spec, this.options.pacote).catch((error: unknown) => {
          const mapped = toRegistryError(
            error,
            name,
            range,
            `installing ${spec} (required by ${requiredBy})`,
          );
          if (mapped.name === 'RegistryUnavailableError') throw mapped;
          throw new BuildFailedError(
            `${spec}, required by ${requiredBy}, cannot be installed: ${mapped.message}`,
          );
        });
        manifests.set(spec, found);
      }
      return found;
    };

    const root: Container = { dir, children: new Map() };
    const placed: Placed[] = [];
    const queue: Array<{ container: Container; wants: Array<[string, string, boolean]>; label: string }> = [
      {
        container: root,
        wants: dependencies.map(({ name, version }) => [name, version, false]),
        label: 'the module',
      },
    ];
    while (queue.length > 0) {
      const { container, wants, label } = queue.shift() as (typeof queue)[number];
      const needed = wants.filter(([name, range]) => {
        const found = resolveFrom(container, name);
        return !(found && semver.satisfies(found.version, range, { loose: true }));
      });
      const fetched = await Promise.all(
        needed.map(([name, range, optional]) =>
          manifest(name, range, label).then(
            (value) => value,
            (error: unknown) => {
              if (optional && !(error instanceof Error && error.name === 'RegistryUnavailableError'))
                return undefined;
              throw error;
            },
          ),
        ),
      );
      needed.forEach(([name], index) => {
        const found = resolveFrom(container, name);
        const chosen = fetched[index];
        if (!chosen || found?.version === chosen.version) return;
        const target = found ? container : root;
        const package_: Placed = {
          name,
          version: chosen.version,
          dir: join(target.dir, 'node_modules', name),
          children: new Map(),
          parent: target,
          depth: target === root ? 1 : (target as Placed).depth + 1,
          manifest: chosen,
          requiredBy: label,
        };
        target.children.set(name, package_);
        placed.push(package_);
        if (placed.length > maxPackages) {
          throw new BuildFailedError(
            `the dependencies pull in more than ${maxPackages} npm packages, more than a module may bundle.`,
          );
        }
        queue.push({ container: package_, wants: wantsOf(chosen), label: `${name}@${chosen.version}` });
      });
    }

    // Parents first: extracting a package empties its directory, nested packages included.
    const depths = [...new Set(placed.map(({ depth }) => depth))].sort((a, b) => a - b);
    for (const depth of depths) {
      await mapWithConcurrency(
        placed.filter((package_) => package_.depth === depth),
        8,
        async (package_) => {
          const spec = `${package_.name}@${package_.version}`;
          await pacote
            .extract(spec, package_.dir, {
              ...this.options.pacote,
              ...(package_.manifest._integrity ? { integrity: package_.manifest._integrity } : {}),
            })
            .catch((error: unknown) => {
              const mapped = toRegistryError(error, package_.name, package_.version, `downloading ${spec}`);
              if (mapped.name === 'RegistryUnavailableError') throw mapped;
              throw new BuildFailedError(
                `${spec} (required by ${package_.requiredBy}) could not be downloaded.`,
              );
            });
        },
      );
    }
  }
}

/** What a package needs installed next to it: dependencies, optional ones, and peers npm would install. */
function wantsOf(manifest: Manifest): Array<[string, string, boolean]> {
  const meta = (manifest as { peerDependenciesMeta?: Record<string, { optional?: boolean }> })
    .peerDependenciesMeta;
  const wants = new Map<string, [string, string, boolean]>();
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (!meta?.[name]?.optional) wants.set(name, [name, range, false]);
  }
  for (const [name, range] of Object.entries(manifest.optionalDependencies ?? {}))
    wants.set(name, [name, range, true]);
  for (const [name, range] of Object.entries(manifest.dependencies ?? {})) {
    if (!manifest.optionalDependencies?.[name]) wants.set(name, [name, range, false]);
  }
  return [...wants.values()];
}

/** Where Node finds `name` from inside `container`: its own node_modules, then each one above it. */
function resolveFrom(container: Container, name: string): Placed | undefined {
  for (let current: Container | undefined = container; current; current = current.parent) {
    const found = current.children.get(name);
    if (found) return found;
  }
  return undefined;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
