/**
 * npm's own resolution (pacote), through the registry npm is configured with: `npm_config_registry` from the
 * environment (npm and npx set it), or pacote's default. No registry host is written here.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pacote from 'pacote';
import { DependencyNotFoundError, DependencyVersionNotFoundError, RegistryUnavailableError } from '../errors';
import type { DependencyResolver } from '../ports';

export interface NpmOptions {
  /** The registry to ask; pacote's default when absent. */
  readonly registry?: string;
  /** pacote's cache; under the temp dir because Lambda's home directory is read-only. */
  readonly cache?: string;
  /** Per-request timeout. */
  readonly timeoutMs?: number;
}

/** The options pacote needs, built once. */
export function pacoteOptions(options: NpmOptions = {}): pacote.Options {
  const registry = options.registry ?? npmConfiguredRegistry();
  return {
    cache: options.cache ?? join(tmpdir(), 'a0bridge-modules', 'npm-cache'),
    ...(registry ? { registry } : {}),
    timeout: options.timeoutMs ?? 20_000,
    fullMetadata: false,
    // No lifecycle script of any package (prepare of a git or directory dependency) ever runs.
    ignoreScripts: true,
  } as pacote.Options;
}

/** The registry npm itself is configured with, as npm exposes it to the processes it runs. */
export function npmConfiguredRegistry(): string | undefined {
  return process.env.npm_config_registry || process.env.NPM_CONFIG_REGISTRY || undefined;
}

export class NpmDependencyResolver implements DependencyResolver {
  private readonly options: pacote.Options;

  public constructor(options: NpmOptions = {}) {
    this.options = pacoteOptions(options);
  }

  public async resolve(name: string, spec: string): Promise<string> {
    try {
      const manifest = await pacote.manifest(`${name}@${spec}`, this.options);
      return manifest.version;
    } catch (error) {
      throw toRegistryError(error, name, spec, `resolving ${name}@${spec}`);
    }
  }
}

/** Maps pacote's failures to registry errors a user can act on. */
export function toRegistryError(error: unknown, name: string, spec: string, what: string): Error {
  const code = (error as { code?: string } | undefined)?.code;
  if (code === 'E404') return new DependencyNotFoundError(name);
  if (
    code === 'ETARGET' ||
    code === 'ENOVERSIONS' ||
    code === 'EINVALIDTAGNAME' ||
    code === 'EINVALIDPACKAGENAME'
  ) {
    return new DependencyVersionNotFoundError(name, spec);
  }
  if (
    code === 'ECONNREFUSED' ||
    code === 'ENOTFOUND' ||
    code === 'EAI_AGAIN' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code === 'FETCH_ERROR' ||
    code?.startsWith('E5') ||
    (error as { type?: string } | undefined)?.type === 'request-timeout'
  ) {
    return new RegistryUnavailableError(what, { cause: error });
  }
  return error instanceof Error ? error : new Error(String(error));
}
