/**
 * Builds a module version into one CommonJS file: the module code with its pinned npm dependencies bundled
 * by esbuild-wasm (the same code runs in Lambda on any architecture, without a native binary). Secret values
 * are never bundled: the code reads them as `actions.secrets.NAME`, which the runner provides at run time.
 *
 * The code is untrusted, and esbuild reads whatever file an import names. So module code may import only
 * npm packages and Node.js built-ins; esbuild reads no file that does not really lie in the build's own
 * `node_modules`, and reads it only as JavaScript or JSON; and an error quotes no other file. esbuild runs
 * in a worker thread whose environment holds no credentials, and its service process inherits that.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { realpath } from 'node:fs/promises';
import { createRequire, isBuiltin } from 'node:module';
import { isAbsolute, join, resolve, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import type * as esbuild from 'esbuild-wasm';
import { BASIC_ENVIRONMENT, scrubbedEnvironment } from '../../shared/environment';
import { BuildFailedError } from '../errors';
import type { BuildInput, BuildOutput, ModuleBuilder } from '../ports';
import type { NpmInstaller } from './npm-installer';

export interface EsbuildBuilderOptions {
  /** The Node.js version the runner uses, for syntax lowering. */
  readonly target?: string;
}

export class EsbuildModuleBuilder implements ModuleBuilder {
  public constructor(
    private readonly installer: Pick<NpmInstaller, 'install'>,
    private readonly options: EsbuildBuilderOptions = {},
  ) {}

  public async build(input: BuildInput): Promise<BuildOutput> {
    // Real paths, as esbuild reports them: it follows symlinks to the files they point at.
    const workingDir = await realpath(await this.installer.install(input.dependencies));
    // A file name, whatever the name holds: the code must never pass for a file inside node_modules.
    const sourcefile = `${input.moduleName.replace(/[/\\]/g, '_')}.js`;
    const policy = await ImportPolicy.forBuildIn(workingDir, input.actionModules ?? []);
    const outcome = await esbuildService().build(
      {
        stdin: { contents: input.code, resolveDir: workingDir, sourcefile, loader: 'js' },
        // Paths in the output are relative to this directory, so equal inputs give equal bytes.
        absWorkingDir: workingDir,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: this.options.target ?? 'node22',
        write: false,
        logLevel: 'silent',
        charset: 'utf8',
        legalComments: 'inline',
        // Node's own extensions: `require('./x')` finds x.js or x.json, as Node does.
        resolveExtensions: ['.js', '.json'],
        loader: JAVASCRIPT_OR_JSON_ONLY,
        // No tsconfig.json in the host's directories may remap an import.
        tsconfigRaw: {},
      },
      policy,
    );
    if (!('contents' in outcome)) {
      throw new BuildFailedError(describeBuildFailure(outcome, sourcefile, policy));
    }
    const content = Buffer.from(outcome.contents);
    return { content, sha256: createHash('sha256').update(content).digest('hex') };
  }
}

/** Stops the esbuild worker and its service process (tests and scripts; a Lambda keeps them for the next build). */
export async function stopEsbuild(): Promise<void> {
  const running = service;
  service = undefined;
  await running?.stop();
}

// What a build may read ----------------------------------------------------------------------------------

/** What esbuild tells a plugin about one import. */
type ImportArgs = Pick<esbuild.OnResolveArgs, 'path' | 'importer' | 'resolveDir' | 'kind' | 'with'>;

/** A file esbuild is about to read. */
type FileArgs = Pick<esbuild.OnLoadArgs, 'path'>;

/** What the worker needs to guard one build. */
interface BuildGuard {
  /**
   * The real path of the build's `node_modules`, ending in a separator. A package's plain imports (no
   * attributes, no absolute path, no URL) go to esbuild's resolver without a check: where they end up is
   * checked before esbuild reads the file.
   */
  readonly packages: string | undefined;
  /** A regular expression (its source) for every path outside `packages`: esbuild asks checkFile first. */
  readonly outsidePackages: string;
  /** An import; no result lets esbuild resolve it as usual. */
  checkImport(args: ImportArgs): esbuild.OnResolveResult | undefined;
  /** A file outside `packages` that esbuild would read. */
  checkFile(args: FileArgs): Promise<esbuild.OnLoadResult | undefined>;
}

/**
 * esbuild's default loaders other than JavaScript and JSON (TypeScript, JSX, CSS, text) parse as plain
 * JavaScript instead: a package's file is bundled as JavaScript or JSON, or not at all.
 */
const JAVASCRIPT_OR_JSON_ONLY: Record<string, esbuild.Loader> = Object.fromEntries(
  ['.jsx', '.ts', '.cts', '.mts', '.tsx', '.css', '.module.css', '.txt'].map((extension) => [
    extension,
    'js',
  ]),
);

const ONLY_PACKAGES =
  'modules may import only npm packages listed in their dependencies and Node.js built-ins';
const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;
/** How checkFile's refusal begins: it sees a file, not the import that led there, which is named later. */
const UNNAMED_IMPORT = 'This import';

class ImportPolicy implements BuildGuard {
  public readonly outsidePackages: string;

  private constructor(
    private readonly workingDir: string,
    public readonly packages: string | undefined,
    /** The modules the code may require as `actions:<name>`: an action's pinned modules. */
    private readonly actionModules: ReadonlySet<string>,
  ) {
    // With no node_modules, every file is outside it.
    this.outsidePackages = packages ? notStartingWith(packages).source : '^';
  }

  public static async forBuildIn(
    workingDir: string,
    actionModules: readonly string[],
  ): Promise<ImportPolicy> {
    const nodeModules = await realpath(join(workingDir, 'node_modules')).catch(() => undefined);
    const packages = nodeModules === undefined ? undefined : `${nodeModules}${sep}`;
    return new ImportPolicy(workingDir, packages, new Set(actionModules));
  }

  /**
   * Module code may name an npm package or a Node.js built-in, nothing else, and set no import attributes.
   * A package's files may import by relative path too, and import JSON files as JSON.
   */
  public checkImport(args: ImportArgs): esbuild.OnResolveResult | undefined {
    const refuse = (why: string) => ({ errors: [{ text: `${describeImport(args)} is refused: ${why}` }] });
    const refuseAttributes = () =>
      refuse('import attributes change how a file is loaded, and modules load only JavaScript and JSON');
    const { path: specifier } = args;
    const attributes = Object.keys(args.with);
    if (specifier.startsWith('actions:')) {
      const name = specifier.slice('actions:'.length);
      // An action's pinned modules stay requires, for the action bundle to resolve; packages get none.
      if (this.actionModules.has(name) && !this.isPackageFile(args.importer) && attributes.length === 0) {
        return { path: specifier, external: true };
      }
      if (this.actionModules.size > 0) {
        return refuse(`${JSON.stringify(name)} is not one of the pinned modules`);
      }
      // Auth0: modules cannot require other modules.
      return { errors: [{ text: `Modules cannot require other modules (require('${specifier}')).` }] };
    }
    if (isBuiltin(specifier)) {
      return attributes.length > 0 ? refuseAttributes() : { path: specifier, external: true };
    }
    if (specifier.startsWith('node:')) return refuse(`it is not a Node.js built-in; ${ONLY_PACKAGES}`);
    if (URL_SCHEME.test(specifier)) return refuse(`${ONLY_PACKAGES}, not URLs`);

    if (this.isPackageFile(args.importer)) {
      if (attributes.length > 0 && !(attributes.length === 1 && args.with.type === 'json')) {
        return refuseAttributes();
      }
      const byPath = specifier.startsWith('.') || isAbsolute(specifier);
      if (byPath && !this.isPackageFile(resolve(args.resolveDir, specifier))) {
        return refuse("it leaves the module's installed packages");
      }
      return undefined;
    }
    if (isAbsolute(specifier)) return refuse(`${ONLY_PACKAGES}, not files by path`);
    if (specifier.startsWith('.')) {
      return refuse(`a module is one file, so it has nothing relative to import; ${ONLY_PACKAGES}`);
    }
    if (!isPackageName(specifier)) return refuse(`it is not an npm package name; ${ONLY_PACKAGES}`);
    if (attributes.length > 0) return refuseAttributes();
    return undefined;
  }

  /** A file outside node_modules by esbuild's path may still be inside by its real path; nothing else is read. */
  public async checkFile({ path }: FileArgs): Promise<esbuild.OnLoadResult | undefined> {
    const real = await realpath(path).catch(() => '');
    if (this.isPackageFile(real)) return undefined;
    const why = `it resolves to a file outside the module's installed packages; ${ONLY_PACKAGES}`;
    return { errors: [{ text: `${UNNAMED_IMPORT} is refused: ${why}` }] };
  }

  /** Whether a path (absolute, or relative to the working directory as in esbuild's messages) is a package's file. */
  public isPackageFile(path: string): boolean {
    return this.packages !== undefined && resolve(this.workingDir, path).startsWith(this.packages);
  }
}

/**
 * A regular expression for every string that does not start with `prefix`. esbuild runs plugin filters as
 * Go regular expressions, which have no negative look-ahead, so it spells out each place a string can differ.
 */
function notStartingWith(prefix: string): RegExp {
  const literal = (char: string) => char.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
  const pattern = [...prefix]
    .reverse()
    .reduce((rest, char) => `(?:$|[^${literal(char)}]${rest ? `|${literal(char)}${rest}` : ''})`, '');
  return new RegExp(`^${pattern}`);
}

/** `is-number`, `@scope/pkg`, `pkg/sub/path`: a name, optionally scoped, and a subpath without `.` or `..`. */
function isPackageName(specifier: string): boolean {
  return (
    /^(@[^/@:\\]+\/)?[^./@:#\\][^/:\\]*(\/[^:\\]*)?$/.test(specifier) &&
    !specifier.split('/').some((segment) => segment === '.' || segment === '..')
  );
}

/** The import as its author wrote it: `import "x"`, `require("x")`, `import("x")`. */
function describeImport({ path, kind, with: attributes }: ImportArgs): string {
  const name = JSON.stringify(path);
  const entries = Object.entries(attributes).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  const withClause = entries.length > 0 ? `{ ${entries.join(', ')} }` : '';
  switch (kind) {
    case 'require-call':
      return `require(${name})`;
    case 'require-resolve':
      return `require.resolve(${name})`;
    case 'dynamic-import':
      return withClause ? `import(${name}, { with: ${withClause} })` : `import(${name})`;
    default:
      return withClause ? `import ${name} with ${withClause}` : `import ${name}`;
  }
}

/**
 * esbuild's messages, for the module's author. A message may quote the module's own source and its
 * packages' files, nothing else: any other file is the host's, and its text stays out of the error.
 */
function describeBuildFailure(failure: BuildFailure, sourcefile: string, policy: ImportPolicy): string {
  const { errors } = failure;
  if (!errors || errors.length === 0) return failure.message;
  const lines = errors.slice(0, 5).map(({ text, location }) => {
    if (!location) return text;
    if (location.file !== sourcefile && !policy.isPackageFile(location.file)) {
      return 'a file outside the module and its packages could not be bundled (its contents are not shown)';
    }
    const where = `${location.file}:${location.line}:${location.column + 1}: `;
    if (text.startsWith(UNNAMED_IMPORT)) {
      // esbuild places a load error at the import that led there; the quoted name spans `length` characters.
      const quoted = location.lineText.slice(location.column, location.column + location.length);
      const name = quoted.length > 2 ? `The import ${JSON.stringify(quoted.slice(1, -1))}` : 'An import';
      return `${where}${name}${text.slice(UNNAMED_IMPORT.length)}`;
    }
    const hint = /^Could not resolve "/.test(text)
      ? " (add the package to the module's dependencies, or check the name)"
      : '';
    return `${where}${text}${hint}`;
  });
  const more = errors.length > 5 ? ` (and ${errors.length - 5} more errors)` : '';
  return `${lines.join('; ')}${more}`.slice(0, 2000);
}

// esbuild in a worker thread with a scrubbed environment -------------------------------------------------

/**
 * All the service process may see of the builder's environment. esbuild-wasm spawns `node` (found on PATH)
 * with the environment of the thread that starts it, and a module could read that process's environment
 * back; so it gets no AWS credentials, no Lambda variables and no NODE_OPTIONS.
 */
const SERVICE_ENVIRONMENT: readonly string[] = [...BASIC_ENVIRONMENT, 'LD_LIBRARY_PATH'];

/**
 * The worker relays: it asks the main thread (BuildGuard) about imports and files, and answers esbuild.
 * A package's plain imports (no attributes, no absolute path, no URL) it leaves to esbuild unasked, as a
 * round trip for each would slow a large build; the file such an import ends at is still checked. It is a
 * string because a worker runs a JavaScript file, and neither this TypeScript file nor the bundled handler
 * is one it should load.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const esbuild = require(workerData.esbuild);
const answers = new Map();
let nextQuestion = 0;
function ask(build, check, args) {
  const question = nextQuestion++;
  return new Promise((answer) => {
    answers.set(question, answer);
    parentPort.postMessage({ type: 'check', build, check, question, args });
  });
}
async function run(build, options, packages, outsidePackages) {
  const guard = {
    name: 'a0bridge-guard',
    setup(plugin) {
      plugin.onResolve({ filter: /.*/ }, ({ path, importer, resolveDir, kind, with: attributes }) => {
        const plain = Object.keys(attributes).length === 0 && !/^[\\\\/]|:/.test(path);
        if (packages && importer.startsWith(packages) && plain) return undefined;
        return ask(build, 'import', { path, importer, resolveDir, kind, with: attributes });
      });
      plugin.onLoad({ filter: new RegExp(outsidePackages), namespace: 'file' }, ({ path }) =>
        ask(build, 'file', { path }));
    },
  };
  try {
    const result = await esbuild.build({ ...options, plugins: [guard] });
    const output = result.outputFiles[0];
    if (!output) throw new Error('esbuild produced no output.');
    const contents = output.contents.slice();
    parentPort.postMessage({ type: 'built', build, contents }, [contents.buffer]);
  } catch (error) {
    const errors = Array.isArray(error && error.errors) ? error.errors : undefined;
    const message = error instanceof Error ? error.message : String(error);
    parentPort.postMessage({ type: 'failed', build, errors, message });
  }
}
parentPort.on('message', (message) => {
  if (message.type === 'answer') {
    const answer = answers.get(message.question);
    answers.delete(message.question);
    answer(message.result);
  } else if (message.type === 'build') {
    void run(message.build, message.options, message.packages, message.outsidePackages);
  } else if (message.type === 'stop') {
    esbuild.stop().finally(() => process.exit(0));
  }
});
`;

type BuildOptions = Omit<esbuild.BuildOptions, 'plugins'>;

interface BuildFailure {
  readonly errors?: esbuild.Message[];
  readonly message: string;
}

type WorkerMessage =
  | { type: 'check'; build: number; question: number; check: 'import'; args: ImportArgs }
  | { type: 'check'; build: number; question: number; check: 'file'; args: FileArgs }
  | { type: 'built'; build: number; contents: Uint8Array }
  | ({ type: 'failed'; build: number } & BuildFailure);

interface PendingBuild {
  readonly guard: BuildGuard;
  readonly settle: (outcome: { contents: Uint8Array } | BuildFailure) => void;
  readonly fail: (error: Error) => void;
}

let service: EsbuildService | undefined;

function esbuildService(): EsbuildService {
  if (!service) {
    const started = new EsbuildService(() => {
      if (service === started) service = undefined;
    });
    service = started;
  }
  return service;
}

class EsbuildService {
  private readonly worker: Worker;
  private readonly exited: Promise<unknown>;
  private readonly pending = new Map<number, PendingBuild>();
  private nextBuild = 0;

  public constructor(onExit: () => void) {
    const environment = scrubbedEnvironment(SERVICE_ENVIRONMENT);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      // The worker's process.env, and so the environment of the service process esbuild spawns from it.
      env: environment,
      execArgv: [],
      workerData: { esbuild: createRequire(import.meta.url).resolve('esbuild-wasm') },
    });
    // An idle worker does not keep the process alive; a running build does (see build()).
    this.worker.unref();
    this.exited = once(this.worker, 'exit');
    this.worker.on('message', (message: WorkerMessage) => this.receive(message));
    this.worker.on('error', (error) => this.failAll(error));
    this.worker.on('exit', (code) => {
      onExit();
      this.failAll(new Error(`The esbuild worker exited (code ${code}) before the build finished.`));
    });
  }

  public build(options: BuildOptions, guard: BuildGuard): Promise<{ contents: Uint8Array } | BuildFailure> {
    const build = this.nextBuild++;
    const { packages, outsidePackages } = guard;
    return new Promise((settle, fail) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(build, { guard, settle, fail });
      this.worker.postMessage({ type: 'build', build, options, packages, outsidePackages });
    });
  }

  public async stop(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage({ type: 'stop' });
    await this.exited;
  }

  private receive(message: WorkerMessage): void {
    const pending = this.pending.get(message.build);
    if (!pending) return;
    if (message.type === 'check') {
      const answer = (result: esbuild.OnResolveResult | esbuild.OnLoadResult | undefined) =>
        this.worker.postMessage({ type: 'answer', question: message.question, result });
      const check =
        message.check === 'import'
          ? async () => pending.guard.checkImport(message.args)
          : () => pending.guard.checkFile(message.args);
      check().then(answer, (error: unknown) =>
        answer({ errors: [{ text: `The ${message.check} could not be checked: ${String(error)}` }] }),
      );
      return;
    }
    this.finish(message.build);
    pending.settle(message.type === 'built' ? { contents: message.contents } : message);
  }

  private failAll(error: Error): void {
    for (const [build, pending] of this.pending) {
      this.finish(build);
      pending.fail(error);
    }
  }

  private finish(build: number): void {
    this.pending.delete(build);
    if (this.pending.size === 0) this.worker.unref();
  }
}
